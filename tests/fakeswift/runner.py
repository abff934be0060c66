"""Start a fake Swift outside pytest: ``serve(port=0, tls=False) -> RunningFakeSwift``."""

from __future__ import annotations

import re
import ssl
import tempfile
from pathlib import Path
from types import TracebackType

from tests.fakeswift.app import FakeSwift
from tests.fakeswift.server import FakeSwiftHTTPServer

__all__ = ["RunningFakeSwift", "serve"]


class RunningFakeSwift:
    """A fake Swift serving in a background thread until ``stop()`` (or the ``with`` block ends)."""

    def __init__(self, server: FakeSwiftHTTPServer, fake: FakeSwift, ca_dir: str | None) -> None:
        self.server = server
        self.fake = fake
        self._ca_dir = ca_dir

    @property
    def base_url(self) -> str:
        """``http(s)://host:port``."""
        return self.fake.base_url

    @property
    def ca_path(self) -> str | None:
        """PEM file of the CA that signed the TLS certificate (None without TLS)."""
        return self.fake.ca_path

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self.server.is_running():
            self.fake.faults.reset()
            self.server.stop()

    def __enter__(self) -> RunningFakeSwift:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def tls_context(
    ca_dir: str, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")
) -> tuple[ssl.SSLContext, str]:
    """A server TLS context signed by a fresh trustme CA, and the CA's PEM path in ``ca_dir``."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert(*hosts)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_path = str(Path(ca_dir) / "fakeswift-ca.pem")
    ca.cert_pem.write_to_path(ca_path)
    return context, ca_path


def serve(
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    tls: bool = False,
    ca_dir: str | None = None,
    quiet: bool = True,
) -> RunningFakeSwift:
    """Start a fake Swift on ``host:port`` (0 picks a free port) in a daemon thread.

    With ``tls`` the certificate is signed by a new trustme CA whose PEM is written to
    ``ca_dir`` (a new temporary directory by default) and exposed as ``.ca_path``.
    """
    context = None
    ca_path = None
    if tls:
        ca_dir = ca_dir or tempfile.mkdtemp(prefix="fakeswift-")
        context, ca_path = tls_context(ca_dir)
    server = FakeSwiftHTTPServer(host=host, port=port, ssl_context=context)
    server.quiet = quiet
    server.start()
    fake = FakeSwift(server, ca_path=ca_path)
    server.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
    return RunningFakeSwift(server, fake, ca_dir)
