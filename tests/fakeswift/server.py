"""The HTTP layer: a threaded pytest-httpserver with real keep-alive and socket-level faults.

werkzeug's development server closes every connection after one reply (it sends
``Connection: close`` and drains the socket afterwards, which would eat a pipelined request).
Swift keeps connections open, and our transports' pooling must be testable, so this module
brings its own request handler: HTTP/1.1 keep-alive, exact ``Content-Length`` on HEAD, and
the delivery plans of the fault switches (RST before or during the reply, truncated bodies,
delays, trickling), acted on the raw socket.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import socket
import struct
import sys
import termios
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from ssl import SSLContext
from typing import Any

from pytest_httpserver import HTTPServer
from pytest_httpserver.httpserver import HTTPServerError
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

__all__ = ["Delivery", "FakeSwiftHTTPServer", "RawResponse"]

_DELIVERY_KEY = "fakeswift.delivery"
_HANDLER_KEY = "fakeswift.handler"
#: Set by the app when its reply must end the connection (the request body was left unread).
CLOSE_KEY = "fakeswift.close_after_reply"

_WSGIEnviron = dict[str, Any]
_StartResponse = Callable[..., Any]


@dataclass
class Delivery:
    """How the handler sends one reply (the transport half of a fault).

    ``mode``: ``"normal"``; ``"reset"`` (TCP RST); ``"close"`` (FIN, no more bytes).
    ``after_bytes``: body bytes sent before a reset/close; None means before the status line.
    ``delay``: seconds to wait before the status line; ``delay_after_bytes`` moves the wait
    to after that many body bytes. ``trickle_chunk``/``trickle_interval`` send the body in
    small pieces. Waits end early when ``cancel`` is set (the fake was reset).
    ``corrupt_at``: the body byte at that offset goes out with its bits flipped.
    ``wrong_etag``: the ``Etag`` header is replaced by a wrong one (the reply is otherwise
    unchanged).
    """

    mode: str = "normal"
    after_bytes: int | None = None
    delay: float = 0.0
    delay_after_bytes: int | None = None
    trickle_chunk: int = 0
    trickle_interval: float = 0.0
    corrupt_at: int | None = None
    wrong_etag: bool = False
    cancel: threading.Event = field(default_factory=threading.Event)


class RawResponse(Response):
    """A reply written as given: status, header list and body, nothing added or removed.

    werkzeug's ``Response`` rewrites ``Content-Length`` for HEAD/204/304; Swift semantics need
    the exact headers, so this bypasses it. ``body`` may be an iterable of byte chunks.
    """

    def __init__(
        self,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes | Iterable[bytes] = b"",
        delivery: Delivery | None = None,
    ) -> None:
        super().__init__(status=status)
        self.raw_status = status
        self.raw_headers = headers
        self.raw_body = body
        self.delivery = delivery

    def __call__(self, environ: _WSGIEnviron, start_response: _StartResponse) -> Iterable[bytes]:
        if self.delivery is not None:
            environ[_DELIVERY_KEY] = self.delivery
        try:
            phrase = HTTPStatus(self.raw_status).phrase
        except ValueError:
            phrase = "Unknown"
        start_response(f"{self.raw_status} {phrase}", self.raw_headers)
        if isinstance(self.raw_body, bytes):
            return [self.raw_body] if self.raw_body else []
        return self.raw_body


def handler_of(environ: _WSGIEnviron) -> KeepAliveHandler | None:
    """The connection handler serving this request (for socket-level faults)."""
    handler = environ.get(_HANDLER_KEY)
    return handler if isinstance(handler, KeepAliveHandler) else None


class _ContinueOnRead(io.RawIOBase):
    """The request body stream of an ``Expect: 100-continue`` request.

    Like Swift (eventlet), the interim ``100 Continue`` goes out when the application first
    reads the body, so an answer given before that (401, 404, 412, ...) reaches the client
    instead of an invitation to upload.
    """

    def __init__(self, stream: Any, wfile: Any) -> None:
        super().__init__()
        self._stream = stream
        self._wfile = wfile
        self.started = False

    def _start(self) -> None:
        if not self.started:
            self.started = True
            self._wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self._wfile.flush()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._start()
        if hasattr(self._stream, "readinto"):
            return int(self._stream.readinto(buffer))
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        self._start()
        return bytes(self._stream.read(size))

    def readline(self, size: int | None = -1) -> bytes:
        self._start()
        return bytes(self._stream.readline(size))


class KeepAliveHandler(WSGIRequestHandler):
    """HTTP/1.1 keep-alive WSGI handler with fault delivery."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, each small reply waits ~40 ms
    # for the client's delayed ACK.
    disable_nagle_algorithm = True
    # An idle keep-alive connection is dropped after this many seconds (Swift: client_timeout).
    timeout = 60
    server: Any
    quiet = True

    def make_environ(self) -> _WSGIEnviron:
        environ = super().make_environ()
        environ[_HANDLER_KEY] = self
        if self.headers.get("Expect", "").strip().lower() == "100-continue":
            environ["wsgi.input"] = _ContinueOnRead(environ["wsgi.input"], self.wfile)
        return environ

    def handle_expect_100(self) -> bool:
        # Not now: _ContinueOnRead sends "100 Continue" when the body is first read.
        return True

    def send_response(self, code: int, message: str | None = None) -> None:
        # Like the base class, minus the ``Server`` header: Swift's proxy sends none.
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if not self.quiet:
            super().log_request(code, size)

    # -- socket faults ---------------------------------------------------------------------
    def abort(self, *, rst: bool) -> None:
        """Drop the connection: a TCP RST (``rst``) or an abrupt FIN without more bytes."""
        self.close_connection = True
        sock = self.connection
        if rst:
            # SO_LINGER 0 throws away whatever the kernel has not sent yet; let the bytes
            # already written reach the peer first, or "mid body" would become "no reply".
            wait_until_sent(sock)
        try:
            if rst:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        # The rfile holds a reference to the socket: close it too so the fd really closes
        # now (with SO_LINGER 0 that is what sends the RST).
        with contextlib.suppress(OSError):
            self.rfile.close()
        with contextlib.suppress(OSError):
            sock.close()

    # -- the WSGI call -----------------------------------------------------------------------
    def run_wsgi(self) -> None:
        environ = self.environ = self.make_environ()
        started: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: object = None
        ) -> Callable[[bytes], None]:
            started["status"] = status
            started["headers"] = headers

            def write(_data: bytes) -> None:  # pragma: no cover - the apps here never call it
                raise RuntimeError("write() is not supported")

            return write

        try:
            app_iter = self.server.app(environ, start_response)
        except Exception:  # noqa: BLE001 - any bug in the fake must still get an answer
            # pytest-httpserver has recorded the handler error; the test fails at teardown.
            self._send_plain(500, b"fake swift: handler error\n")
            self.close_connection = True
            return
        try:
            self._deliver(environ, started["status"], started["headers"], app_iter)
        except (ConnectionError, TimeoutError, OSError):
            self.close_connection = True
        except Exception as exc:  # noqa: BLE001 - recorded and re-raised at test teardown
            self.close_connection = True
            errors = getattr(self.server, "fake_errors", None)
            if isinstance(errors, list):
                errors.append(exc)
            traceback.print_exc(file=sys.stderr)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()

    def _send_plain(self, code: int, body: bytes) -> None:
        try:
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass

    def _deliver(
        self,
        environ: _WSGIEnviron,
        status: str,
        headers: list[tuple[str, str]],
        app_iter: Iterable[bytes],
    ) -> None:
        plan: Delivery = environ.get(_DELIVERY_KEY) or Delivery()
        code = int(status.split(None, 1)[0])
        reason = status.split(None, 1)[1] if " " in status else ""
        no_body = environ["REQUEST_METHOD"] == "HEAD" or code in (204, 304) or code < 200
        has_length = any(k.lower() == "content-length" for k, _ in headers)
        chunked = not has_length and not no_body

        if plan.delay and plan.delay_after_bytes is None:
            plan.cancel.wait(plan.delay)
        if plan.mode in ("reset", "close") and plan.after_bytes is None:
            self.abort(rst=plan.mode == "reset")
            return
        if environ.get(CLOSE_KEY):
            self.close_connection = True
        if plan.wrong_etag:
            headers = lie_about_etag(headers)

        self.send_response(code, reason)
        for key, value in headers:
            self.send_header(key, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if no_body:
            for _chunk in app_iter:
                pass
            if plan.mode in ("reset", "close"):
                self.abort(rst=plan.mode == "reset")
            return

        sent = 0
        for piece in _pieces(app_iter, plan.trickle_chunk):
            chunk = piece
            if plan.corrupt_at is not None and 0 <= plan.corrupt_at - sent < len(chunk):
                chunk = flip_byte(chunk, plan.corrupt_at - sent)
            if plan.mode in ("reset", "close") and plan.after_bytes is not None:
                room = plan.after_bytes - sent
                if room <= len(chunk):
                    self._write(chunk[: max(room, 0)], chunked)
                    self.abort(rst=plan.mode == "reset")
                    return
            if plan.delay and plan.delay_after_bytes is not None:
                room = plan.delay_after_bytes - sent
                if 0 <= room < len(chunk):
                    self._write(chunk[:room], chunked)
                    plan.cancel.wait(plan.delay)
                    self._write(chunk[room:], chunked)
                    plan.delay_after_bytes = None
                    sent += len(chunk)
                    plan.delay = 0.0
                    continue
            self._write(chunk, chunked)
            sent += len(chunk)
            if plan.trickle_interval:
                plan.cancel.wait(plan.trickle_interval)
        if plan.mode in ("reset", "close"):
            self.abort(rst=plan.mode == "reset")
            return
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _write(self, data: bytes, chunked: bool) -> None:
        if not data:
            return
        if chunked:
            self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
        else:
            self.wfile.write(data)


#: The ``Etag`` a ``wrong_etag`` fault puts on a reply instead of the real one.
WRONG_ETAG = "0123456789abcdef0123456789abcdef"


def flip_byte(data: bytes, at: int) -> bytes:
    """``data`` with the bits of the byte at ``at`` flipped (a corrupted hop)."""
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def lie_about_etag(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers with a wrong ``Etag`` (quoted like the real one), added when absent."""
    out = []
    found = False
    for key, value in headers:
        if key.lower() == "etag":
            found = True
            out.append((key, f'"{WRONG_ETAG}"' if value.startswith('"') else WRONG_ETAG))
        else:
            out.append((key, value))
    if not found:
        out.append(("Etag", WRONG_ETAG))
    return out


def wait_until_sent(sock: socket.socket, limit: float = 2.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            raw = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
        except OSError:
            return
        if struct.unpack("i", raw)[0] == 0:
            return
        time.sleep(0.002)


def _pieces(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    for chunk in chunks:
        if size <= 0:
            yield chunk
            continue
        for start in range(0, len(chunk), size):
            yield chunk[start : start + size]


class FakeSwiftHTTPServer(HTTPServer):
    """pytest-httpserver's server with the keep-alive handler and without the request log.

    The stock ``application`` buffers every request body and keeps every request/response
    pair in ``log`` for the whole session; the fake records requests itself, so both go.
    Errors raised while a reply streams are kept in ``fake_errors`` and re-raised by
    ``check()`` like handler errors.
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, ssl_context: SSLContext | None = None
    ) -> None:
        super().__init__(host=host, port=port, ssl_context=ssl_context, threaded=True)
        self.fake_errors: list[BaseException] = []
        self.quiet = True

    def start(self) -> None:
        """Start serving in a daemon thread."""
        if self.is_running():
            raise HTTPServerError("Server is already running")
        handler = type("FakeSwiftRequestHandler", (KeepAliveHandler,), {"quiet": self.quiet})
        app = Request.application(self.application)
        server = make_server(
            self.host,
            self.port,
            app,
            threaded=True,
            request_handler=handler,
            ssl_context=self.ssl_context,
        )
        server.fake_errors = self.fake_errors  # type: ignore[attr-defined]
        self.server = server
        self.port = server.port
        self.server_thread = threading.Thread(target=self.thread_target, daemon=True)
        self.server_thread.start()

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        server = self.server
        super().stop()
        if server is not None:
            server.server_close()

    def application(self, request: Request) -> Response:
        """Dispatch without buffering the body up front and without logging."""
        return self.dispatch(request)

    def check_handler_errors(self) -> None:
        """Re-raise the first error of a handler or of a streaming reply."""
        super().check_handler_errors()
        if self.fake_errors:
            raise self.fake_errors.pop(0)

    def clear_handler_errors(self) -> None:
        """Forget recorded errors."""
        super().clear_handler_errors()
        self.fake_errors.clear()
