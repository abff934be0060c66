"""``python -m tests.fakeswift --port 8080 [--tls]``: run the fake Swift until interrupted."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from tests.fakeswift.runner import serve


def main(argv: list[str] | None = None) -> int:
    """Start the server, print where it listens and how to log in, serve until Ctrl+C."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakeswift", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port (0 picks a free one)")
    parser.add_argument("--tls", action="store_true", help="HTTPS with a fresh trustme CA")
    parser.add_argument("--ca-dir", default=None, help="where to write the CA PEM (with --tls)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)

    running = serve(
        args.port, host=args.host, tls=args.tls, ca_dir=args.ca_dir, quiet=not args.verbose
    )
    fake = running.fake
    lines = [
        f"fake swift listening on {fake.base_url}",
        f"  v1 auth URL : {fake.auth_v1_url}",
        f"  v1 users    : {fake.v1_user} / {fake.v1_key} (admin of AUTH_test), "
        "test2:tester2 / testing2 (AUTH_test2), test:tester3 / testing3 (non-admin, AUTH_test)",
        f"  storage URL : {fake.storage_url()}",
        f"  v3 auth URL : {fake.auth_v3_url}",
        f"  v3 user     : {fake.v3.name} / {fake.v3.password}",
        f"  v3 account  : {fake.v3.account_id} (user and project domain name)",
        f"  v3 project  : {fake.v3.project_id} ({fake.v3.project_name}), region {fake.v3.region}",
        f"  v3 storage  : {fake.storage_url(fake.v3.project_id)}",
        f"  info        : {fake.info_url}",
    ]
    if running.ca_path:
        lines.append(f"  CA bundle   : {running.ca_path}")
    print("\n".join(lines), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
