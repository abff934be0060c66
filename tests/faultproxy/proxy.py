"""``FaultProxy``: an HTTP/1.1 proxy on loopback that applies the fake's fault switches.

Every request from the client is classified like the fake does (``auth``, ``info``,
``account``, ``container``, ``object``), recorded, and matched against the armed rules of a
``tests.fakeswift.faults.Faults``. Then, as the fake would:

* a failure status (503, 429 + ``Retry-After``, 401, 422 ...) is answered by the proxy, the
  request never reaches Swift (its body is read and dropped, so the connection stays usable);
* ``during_upload`` reads part of the request body and resets the connection (not forwarded);
* everything else is forwarded, and the reply is delivered under the plan: a reset (TCP RST)
  before the status line or mid-body, a truncation (FIN after part of the announced body), a
  stall, a trickle, a corrupted byte, a wrong ``Etag``.

Bodies are streamed both ways in pieces (never held whole); one upstream connection per client
connection, kept alive while both sides allow. The ``Host`` header goes through unchanged, so
tempauth hands out storage URLs that point at the proxy.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import BinaryIO
from urllib.parse import parse_qsl, unquote

from tests.fakeswift.app import RequestRecord
from tests.fakeswift.faults import Faults
from tests.fakeswift.replies import error
from tests.fakeswift.server import Delivery, flip_byte, lie_about_etag, wait_until_sent

__all__ = ["FaultProxy", "classify"]

_PIECE = 64 * 1024
_MAX_HEAD = 64 * 1024
_STORAGE_KINDS = ("account", "container", "object")
#: Between a token and the generation the proxy issued it in.
_MARK = "~"


def classify(path: str) -> str:
    """The request kind of a (decoded) path, in the fake's words."""
    if path.startswith(("/auth/", "/v3", "/identity/v3")):
        return "auth"
    if path in ("/info", "/healthcheck"):
        return "info"
    # /v1/<account>[/<container>[/<object>]], as Swift's proxy splits it.
    parts = [*path[1:].split("/", 3), "", ""]
    version, account, container, obj = parts[:4]
    if version != "v1" or not account:
        return "other"
    if not container:
        return "other" if obj else "account"
    return "object" if obj else "container"


class _Closed(Exception):
    """The peer closed the connection (between or inside messages)."""


class _Head:
    """A request or response head: the first line and the header lines, as received."""

    def __init__(self, first: str, headers: list[tuple[str, str]]) -> None:
        self.first = first
        self.headers = headers

    def get(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def encode(self, headers: list[tuple[str, str]] | None = None) -> bytes:
        lines = [self.first, *(f"{k}: {v}" for k, v in (headers or self.headers)), "", ""]
        return "\r\n".join(lines).encode("latin-1")


def _read_head(rfile: BinaryIO) -> _Head | None:
    """The next head, or None at a clean end of the connection."""
    first = rfile.readline(_MAX_HEAD)
    while first in (b"\r\n", b"\n"):  # tolerated between messages
        first = rfile.readline(_MAX_HEAD)
    if not first:
        return None
    if not first.endswith(b"\n"):
        raise _Closed("incomplete head")
    headers: list[tuple[str, str]] = []
    while True:
        line = rfile.readline(_MAX_HEAD)
        if not line:
            raise _Closed("incomplete head")
        if line in (b"\r\n", b"\n"):
            break
        key, _, value = line.decode("latin-1").partition(":")
        headers.append((key.strip(), value.strip()))
    return _Head(first.decode("latin-1").rstrip("\r\n"), headers)


def _is_chunked(head: _Head) -> bool:
    return "chunked" in (head.get("Transfer-Encoding") or "").lower()


def _copy_exact(rfile: BinaryIO, size: int, out: Callable[[bytes], None]) -> None:
    left = size
    while left > 0:
        data = rfile.read(min(_PIECE, left))
        if not data:
            raise _Closed(f"body ended {left} bytes early")
        out(data)
        left -= len(data)


def _copy_chunked(rfile: BinaryIO, out: Callable[[bytes], None]) -> None:
    """Relay a chunked body with its framing, up to and including the last chunk."""
    while True:
        line = rfile.readline(_MAX_HEAD)
        if not line:
            raise _Closed("chunked body ended early")
        out(line)
        size = int(line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while True:  # trailers, then the empty line
                trailer = rfile.readline(_MAX_HEAD)
                if not trailer:
                    raise _Closed("chunked body ended in the trailers")
                out(trailer)
                if trailer in (b"\r\n", b"\n"):
                    return
        _copy_exact(rfile, size + 2, out)


def _request_body(head: _Head, rfile: BinaryIO, out: Callable[[bytes], None]) -> int:
    """Relay (or, with a no-op ``out``, drop) the request body; its size on the wire."""
    counted = [0]

    def counting(data: bytes) -> None:
        counted[0] += len(data)
        out(data)

    if _is_chunked(head):
        _copy_chunked(rfile, counting)
    else:
        _copy_exact(rfile, int(head.get("Content-Length") or 0), counting)
    return counted[0]


def _abort(sock: socket.socket, *, rst: bool) -> None:
    """Drop a connection: RST (``rst``) or FIN, after what was written reached the kernel."""
    with contextlib.suppress(OSError):
        if rst:
            wait_until_sent(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


class _Upstream:
    """The connection to Swift of one client connection (opened on first use)."""

    def __init__(self, address: tuple[str, int]) -> None:
        self._address = address
        self.sock: socket.socket | None = None
        self.rfile: BinaryIO | None = None

    def open(self) -> tuple[socket.socket, BinaryIO]:
        if self.sock is None or self.rfile is None:
            self.sock = socket.create_connection(self._address, timeout=60)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.rfile = self.sock.makefile("rb")
        return self.sock, self.rfile

    def close(self) -> None:
        if self.rfile is not None:
            with contextlib.suppress(OSError):
                self.rfile.close()
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
        self.sock = self.rfile = None


class FaultProxy:
    """A threaded proxy from ``127.0.0.1:<port>`` to ``upstream``, under ``faults``."""

    def __init__(
        self,
        upstream: tuple[str, int],
        faults: Faults,
        record: Callable[[RequestRecord], None],
    ) -> None:
        self._upstream = upstream
        self._faults = faults
        self._record = record
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        # Token generations: tempauth hands out the same token while it lives, so the proxy
        # marks each token it passes to a client with the generation it was issued in
        # ("<token>~<n>") and takes the mark off on the way to Swift. ``expire_tokens``
        # makes every token issued so far answer 401, as on the fake; later ones are new.
        self._generation = 0
        self._valid_from = 0
        self._issued = 0  # tokens handed out in the current generation
        self._stopping = threading.Event()
        self._clients: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name="faultproxy", daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop accepting and drop every client connection."""
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() in progress
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            clients = list(self._clients)
        for sock in clients:
            _abort(sock, rst=False)
        self._thread.join(5)

    def drop_connections(self) -> None:
        """Close every client connection (idle ones too): a test starts from a clean slate."""
        with self._lock:
            clients = list(self._clients)
        for sock in clients:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _addr = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._clients.add(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        rfile: BinaryIO = client.makefile("rb")
        upstream = _Upstream(self._upstream)
        try:
            while not self._stopping.is_set():
                head = _read_head(rfile)
                if head is None or not self._exchange(head, client, rfile, upstream):
                    break
        except (_Closed, OSError, ValueError):
            pass
        finally:
            upstream.close()
            with contextlib.suppress(OSError):
                rfile.close()
            with contextlib.suppress(OSError):
                client.close()
            with self._lock:
                self._clients.discard(client)

    # -- one request ---------------------------------------------------------------------------
    def _exchange(
        self, head: _Head, client: socket.socket, rfile: BinaryIO, upstream: _Upstream
    ) -> bool:
        """Serve one request; False when the client connection is done."""
        method, target, _version = head.first.split(" ", 2)
        raw_path, _, raw_query = target.partition("?")
        path = unquote(raw_path, errors="replace")
        kind = classify(path)
        record = RequestRecord(
            method=method.upper(),
            path=path,
            query=dict(parse_qsl(raw_query, keep_blank_values=True, errors="replace")),
            kind=kind,
            headers=dict(head.headers),
            time=time.time(),
        )
        plan = self._faults.take(record.method, kind, path)
        record.faults = plan.applied
        if self._unmark_token(head):
            record.faults.append("expired token")
            plan.fail_status = plan.fail_status or 401
        # Recorded now (the status is filled in later), as the fake records a request before
        # delivering its answer: a stalled reply is already counted.
        self._record(record)
        if plan.upload_reset:
            if plan.upload_reset_after:
                with contextlib.suppress(_Closed, OSError):
                    _copy_exact(rfile, plan.upload_reset_after, lambda _d: None)
            _abort(client, rst=True)
            return False
        if plan.fail_status is not None:
            record.body_size = _request_body(head, rfile, lambda _d: None)
            record.status = plan.fail_status
            return self._answer_failure(head, client, plan.fail_status, plan.retry_after)
        return self._forward(head, client, rfile, upstream, plan.delivery, record)

    def expire_tokens(self) -> int:
        """Every token handed out so far answers 401 from now on; how many that were since the
        last expiry (0: no client held a token, as the fake counts)."""
        with self._lock:
            expired, self._issued = self._issued, 0
            self._generation += 1
            self._valid_from = self._generation
            return expired

    def _unmark_token(self, head: _Head) -> bool:
        """Strip the generation mark off the request's token; True when it is expired."""
        for index, (key, value) in enumerate(head.headers):
            if key.lower() in ("x-auth-token", "x-storage-token") and _MARK in value:
                token, _, generation = value.rpartition(_MARK)
                head.headers[index] = (key, token)
                return generation.isdigit() and int(generation) < self._valid_from
        return False

    def _mark_tokens(self, reply: _Head) -> None:
        with self._lock:
            marked = False
            for index, (key, value) in enumerate(reply.headers):
                if key.lower() in ("x-auth-token", "x-storage-token") and value:
                    reply.headers[index] = (key, f"{value}{_MARK}{self._generation}")
                    marked = True
            self._issued += marked

    def _answer_failure(
        self, head: _Head, client: socket.socket, status: int, retry_after: float | None
    ) -> bool:
        reply = error(status, "Rate Limit exceeded" if status == 429 else None)
        body = reply.body if isinstance(reply.body, bytes) else b""
        if head.first.upper().startswith("HEAD "):
            body = b""
        headers = [(k.title(), v) for k, v in reply.headers.items()]
        headers.append(("Content-Length", str(len(body))))
        if retry_after is not None:
            shown = str(int(retry_after)) if retry_after == int(retry_after) else str(retry_after)
            headers.append(("Retry-After", shown))
        if status == 401:
            headers.append(("Www-Authenticate", 'Swift realm="unknown"'))
        trans_id = f"tx{secrets.token_hex(11)}-{int(time.time()):010x}"
        headers += [("X-Trans-Id", trans_id), ("X-Openstack-Request-Id", trans_id)]
        first = _Head(f"HTTP/1.1 {status} {_phrase(status)}", headers)
        client.sendall(first.encode() + body)
        return True

    def _forward(
        self,
        head: _Head,
        client: socket.socket,
        rfile: BinaryIO,
        upstream: _Upstream,
        delivery: Delivery | None,
        record: RequestRecord,
    ) -> bool:
        try:
            up, up_rfile = upstream.open()
            up.sendall(head.encode())
            record.body_size = _request_body(head, rfile, up.sendall)
            reply = _read_head(up_rfile)
            while reply is not None and reply.first.split(" ", 2)[1].startswith("1"):
                reply = _read_head(up_rfile)  # interim answers: the client sent no Expect
        except (_Closed, OSError):
            upstream.close()
            _abort(client, rst=True)
            return False
        if reply is None:
            upstream.close()
            _abort(client, rst=True)
            return False
        status = int(reply.first.split(" ", 2)[1])
        record.status = status
        if record.kind == "auth":
            self._mark_tokens(reply)
        plan = delivery or Delivery()
        no_body = head.first.upper().startswith("HEAD ") or status in (204, 304)
        length_header = reply.get("Content-Length")
        length = None if no_body or length_header is None else int(length_header)
        keep = "close" not in (reply.get("Connection") or "").lower()
        if not no_body and length is None and not _is_chunked(reply):
            keep = False  # the body ends when Swift closes
        if plan.after_bytes == -1:
            plan.after_bytes = (length or 0) // 2
        if plan.corrupt_at == -1:
            plan.corrupt_at = (length or 0) // 2

        if plan.delay and plan.delay_after_bytes is None:
            plan.cancel.wait(plan.delay)
        if plan.mode in ("reset", "close") and plan.after_bytes is None:
            # Swift served the request; its answer is lost.
            with contextlib.suppress(_Closed, OSError):
                self._drain(reply, no_body, length, up_rfile)
            upstream.close()
            _abort(client, rst=plan.mode == "reset")
            return False
        headers = lie_about_etag(reply.headers) if plan.wrong_etag else reply.headers
        writer = _ShapedWriter(client, plan)
        try:
            client.sendall(reply.encode(headers))
            if not no_body:
                if _is_chunked(reply):
                    _copy_chunked(up_rfile, writer.write)
                elif length is not None:
                    _copy_exact(up_rfile, length, writer.write)
                else:
                    while data := up_rfile.read1(_PIECE):  # type: ignore[attr-defined]
                        writer.write(data)
        except _Cut:
            upstream.close()
            return False
        except (_Closed, OSError):
            upstream.close()
            _abort(client, rst=True)
            return False
        if plan.mode in ("reset", "close"):
            upstream.close()
            _abort(client, rst=plan.mode == "reset")
            return False
        if not keep:
            upstream.close()
            return False
        return True

    @staticmethod
    def _drain(reply: _Head, no_body: bool, length: int | None, up_rfile: BinaryIO) -> None:
        if no_body:
            return
        if _is_chunked(reply):
            _copy_chunked(up_rfile, lambda _d: None)
        elif length is not None:
            _copy_exact(up_rfile, length, lambda _d: None)


class _Cut(Exception):
    """The plan ended the reply early (the client connection is already dropped)."""


class _ShapedWriter:
    """Writes a reply body to the client as the delivery plan says."""

    def __init__(self, client: socket.socket, plan: Delivery) -> None:
        self._client = client
        self._plan = plan
        self._sent = 0

    def write(self, data: bytes) -> None:
        plan = self._plan
        step = plan.trickle_chunk or len(data) or 1
        for at in range(0, len(data), step):
            self._piece(data[at : at + step])
            if plan.trickle_interval:
                plan.cancel.wait(plan.trickle_interval)

    def _piece(self, piece: bytes) -> None:
        plan = self._plan
        sent = self._sent
        if plan.corrupt_at is not None and 0 <= plan.corrupt_at - sent < len(piece):
            piece = flip_byte(piece, plan.corrupt_at - sent)
        if plan.mode in ("reset", "close") and plan.after_bytes is not None:
            room = plan.after_bytes - sent
            if room <= len(piece):
                if room > 0:
                    self._client.sendall(piece[:room])
                _abort(self._client, rst=plan.mode == "reset")
                raise _Cut
        if plan.delay and plan.delay_after_bytes is not None:
            room = plan.delay_after_bytes - sent
            if 0 <= room < len(piece):
                self._client.sendall(piece[:room])
                plan.cancel.wait(plan.delay)
                plan.delay, plan.delay_after_bytes = 0.0, None
                self._client.sendall(piece[room:])
                self._sent += len(piece)
                return
        self._client.sendall(piece)
        self._sent += len(piece)


def _phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
