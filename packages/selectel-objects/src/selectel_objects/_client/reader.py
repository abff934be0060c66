"""Streaming downloads: a read-only binary file over one GET, resumed on a broken connection."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from selectel_objects._pipeline.body import Progress
from selectel_objects._pipeline.pipeline import request_id_of
from selectel_objects._pipeline.retry import RetryPolicy
from selectel_objects._protocol import codec as _codec
from selectel_objects._protocol._generated import operations as ops
from selectel_objects._protocol._generated.models import ObjectInfo
from selectel_objects._protocol.http import HttpResponse
from selectel_objects.errors import ChecksumMismatchError, ReadError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["ObjectReader"]

_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
_READ_ALL_CHUNK = 1024 * 1024

#: ``reopen(first_byte, last_byte, etag)`` -> a 206 answer for that inclusive range.
Reopen = Callable[[int, int, str | None], HttpResponse]


class ObjectReader(io.RawIOBase):
    """An object's content as a read-only binary file, streamed from one GET.

    ``read(n)``, ``readinto()``, ``readall()``, ``readline()``; iterating yields chunks of
    bytes (not lines); use it as a context manager or call :meth:`close` to release the
    connection. ``info`` holds the object's headers (:class:`ObjectInfo`).

    The body is checked as it arrives: a connection that breaks off is resumed with a
    ``Range`` request pinned to the same ETag (at most the retry policy's ``total`` times),
    and when it cannot be, :class:`~selectel_objects.errors.ReadError` is raised -- a short
    read never looks like the end. A whole-object read is hashed and compared with the ETag at
    the end (:class:`~selectel_objects.errors.ChecksumMismatchError`).
    """

    def __init__(
        self,
        response: HttpResponse,
        *,
        name: str,
        reopen: Reopen | None,
        retry: RetryPolicy,
        progress: Progress | None = None,
        verify_checksum: bool = True,
    ) -> None:
        super().__init__()
        self.name = name
        self._headers = response.headers
        self._info: ObjectInfo | None = None
        self._response: HttpResponse | None = response
        self._reopen = reopen
        self._retry = retry
        self._retries = 0
        self._progress = progress
        self._done = 0
        # What reading needs comes straight from the headers; the whole ObjectInfo is parsed
        # only when asked for (get_object_bytes never does).
        lowered = self._headers.lowered()
        self._etag = _codec.to_etag(lowered.get("etag"))
        self._request_id = request_id_of(self._headers)
        self._expected = _codec.to_int(lowered.get("content-length"))
        self._first = 0
        content_range = lowered.get("content-range")
        if content_range:
            match = _CONTENT_RANGE.fullmatch(content_range.strip())
            if match:
                self._first = int(match.group(1))
        checkable = (
            verify_checksum
            and response.status == 200
            and self._etag is not None
            and _codec.MD5_HEX.fullmatch(self._etag) is not None
            and not _codec.to_bool(lowered.get("x-static-large-object"))
            and not lowered.get("x-object-manifest")
        )
        self._md5 = hashlib.md5(usedforsecurity=False) if checkable else None
        self._eof = False

    @property
    def info(self) -> ObjectInfo:
        """The object's headers, as :class:`ObjectInfo` (those of the first answer)."""
        if self._info is None:
            self._info = ops.parse_get_object_response(self._headers)
        return self._info

    def __repr__(self) -> str:
        return f"<ObjectReader {self.name!r} {self._done}/{self._expected} bytes>"

    def readable(self) -> bool:
        """Always true."""
        return True

    @property
    def bytes_read(self) -> int:
        """How many bytes of the body have been returned so far."""
        return self._done

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (everything left when negative or ``None``); ``b""`` at the end."""
        if size is None or size < 0:
            return self.readall()
        self._check_open()
        if size == 0 or self._eof:
            return b""
        while True:
            assert self._response is not None
            try:
                data = self._response.read(size)
            except ReadError as exc:
                self._resume(exc)
                continue
            if data:
                self._consume(data)
                if self._done == self._expected:
                    self._finish()  # all there: check it and free the connection at once
                return data
            if self._expected is not None and self._done < self._expected:
                self._resume(
                    ReadError(
                        f"{self.name}: the connection closed after {self._done} of "
                        f"{self._expected} bytes"
                    )
                )
                continue
            self._finish()
            return b""

    def readinto(self, buffer: WriteableBuffer) -> int:
        """Read into ``buffer``; the number of bytes read (0 at the end)."""
        view = memoryview(buffer).cast("B")
        data = self.read(view.nbytes)
        view[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        """Everything left."""
        parts = []
        while chunk := self.read(_READ_ALL_CHUNK):
            parts.append(chunk)
        return b"".join(parts)

    def __iter__(self) -> Iterator[bytes]:
        """Chunks of the body, in order (not lines)."""
        return self.iter_chunks()

    def iter_chunks(self, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        """Chunks of at most ``chunk_size`` bytes until the end."""
        while chunk := self.read(chunk_size):
            yield chunk

    def close(self) -> None:
        """Release the connection (dropping it when the body was not read to the end)."""
        if self._response is not None:
            self._response.close()
            self._response = None
        super().close()

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on a closed ObjectReader")

    def _consume(self, data: bytes) -> None:
        self._done += len(data)
        if self._expected is not None and self._done > self._expected:
            raise ReadError(f"{self.name}: the server sent more than {self._expected} bytes")
        if self._md5 is not None:
            self._md5.update(data)
        if self._progress is not None:
            self._progress(self._done, self._expected)

    def _finish(self) -> None:
        self._eof = True
        if self._response is not None:
            self._response.close()
            self._response = None
        if self._md5 is not None:
            actual = self._md5.hexdigest()
            self._md5 = None
            if actual != self._etag:
                raise ChecksumMismatchError(
                    f"{self.name}: the downloaded bytes hash to {actual}, "
                    f"Swift's ETag says {self._etag}",
                    request_id=self._request_id,
                )

    def _resume(self, cause: ReadError) -> None:
        """Continue the body with a new ranged GET, or raise ``cause``."""
        assert self._response is not None
        self._response.close()
        if self._reopen is None or self._expected is None:
            raise cause
        self._retries += 1
        if not self._retry.wait(self._retries):
            raise cause
        first = self._first + self._done
        last = self._first + self._expected - 1
        self._response = self._reopen(first, last, self._etag)
