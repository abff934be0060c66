"""A real redis-server on a free loopback port, for the shared token cache tests.

redis-server comes from the Debian package (``scripts/test.py`` installs it); a test that
needs it fails with the reason when it is missing, it never skips.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REDIS_SERVER = "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RedisServer:
    """One running redis-server (no persistence, loopback only)."""

    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Stop it now (a lost Redis, as far as its clients can tell)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def _executable() -> str:
    found = shutil.which("redis-server") or (REDIS_SERVER if Path(REDIS_SERVER).exists() else None)
    if found is None:
        pytest.fail(
            "redis-server is not installed: `apt-get install redis-server` "
            "(python3 scripts/test.py installs it)",
            pytrace=False,
        )
    return found


@contextlib.contextmanager
def running_redis(workdir: Path) -> Iterator[RedisServer]:
    """Start redis-server in ``workdir``; stop it whatever happens."""
    executable = _executable()
    for _attempt in range(5):  # the free port may be taken between the probe and the bind
        port = free_port()
        log = workdir / f"redis-{port}.log"
        process = subprocess.Popen(
            [
                executable,
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(workdir),
                "--logfile", str(log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        server = RedisServer(port, process)
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline and not server.ping():
            time.sleep(0.02)
        if server.ping():
            break
        server.stop()
    else:
        text = log.read_text(errors="replace") if log.exists() else "(no log)"
        pytest.fail(f"redis-server did not start: {text[-2000:]}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()
