"""Upload bodies: framing, MD5 while streaming, progress, and rewinding for retries."""

from __future__ import annotations

import functools
import hashlib
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import BinaryIO, Protocol, cast

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "BodySourceError",
    "Data",
    "Progress",
    "UploadBody",
]

#: Bytes handed to the socket at a time (and read from files): big enough for throughput,
#: small enough that progress callbacks come often and memory stays flat.
DEFAULT_CHUNK_SIZE = 256 * 1024

#: ``progress(bytes_done, total)``; ``total`` is ``None`` when the size is unknown. It starts
#: again from 0 when a retry resends the body.
Progress = Callable[[int, int | None], None]


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


#: What an upload accepts.
Data = bytes | bytearray | memoryview | str | BinaryIO | Iterable[bytes]


class BodySourceError(Exception):
    """Carries an exception raised by the caller's data (or progress callback) out through the
    HTTP library unchanged; the client re-raises ``original``."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


def _seekable_size(f: _Readable) -> tuple[int, int] | None:
    """``(position, bytes left)`` for a seekable file, else ``None``."""
    try:
        if not getattr(f, "seekable", lambda: False)():
            return None
        start = f.tell()  # type: ignore[attr-defined]
        end = f.seek(0, io.SEEK_END)  # type: ignore[attr-defined]
        f.seek(start)  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return None
    return int(start), max(0, int(end) - int(start))


# The sources below are module functions, not methods: an UploadBody holding a callable bound
# to itself would be a reference cycle, and keep the caller's data alive until the next garbage
# collection.


def _slices(view: memoryview, size: int) -> Iterator[bytes]:
    for offset in range(0, view.nbytes, size):
        yield view[offset : offset + size]  # type: ignore[misc]  # bytes-like is enough


def _file_from(f: _Readable, start: int, limit: int | None, size: int) -> Iterator[bytes]:
    f.seek(start)  # type: ignore[attr-defined]
    return _reads(f, limit, size)


def _reads(f: _Readable, limit: int | None, size: int) -> Iterator[bytes]:
    left = limit
    while left is None or left > 0:
        chunk = f.read(size if left is None else min(size, left))
        if not chunk:
            return
        if left is not None:
            left -= len(chunk)
        yield chunk


def _same(source: Iterator[bytes]) -> Iterator[bytes]:
    return source


class UploadBody:
    """The data of one upload, sendable once per attempt.

    bytes / str (UTF-8) / a seekable binary file can be sent again (``rewindable``); an
    iterator or a non-seekable stream only until its first byte has gone. ``length`` is
    ``None`` when unknown (sent chunked). ``md5`` is known up front for bytes (so Swift can
    check it: 422 on mismatch) and after a complete attempt otherwise (``sent_md5``).
    """

    def __init__(
        self,
        data: Data,
        *,
        content_length: int | None = None,
        progress: Progress | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        if content_length is not None and content_length < 0:
            raise ValueError(f"content_length must be >= 0, not {content_length}")
        self._progress = progress
        self.md5: str | None = None
        self.sent_md5: str | None = None
        self._started = False
        self.rewindable = True
        self._open: Callable[[], Iterator[bytes]]
        if isinstance(data, str):
            data = data.encode("utf-8")
        self._whole: bytes | None = None
        if isinstance(data, bytes | bytearray | memoryview):
            if isinstance(data, bytes) and len(data) <= chunk_size and progress is None:
                self._whole = data  # one piece: sent as it is, no chunking
            view = memoryview(data).cast("B")
            self._check_length(content_length, view.nbytes, "the data")
            self.length: int | None = view.nbytes
            self.md5 = hashlib.md5(view, usedforsecurity=False).hexdigest()
            self._open = functools.partial(_slices, view, chunk_size)
        elif hasattr(data, "read"):
            if isinstance(cast(object, data), io.TextIOBase):
                raise TypeError("open the file in binary mode ('rb'): uploads send bytes")
            f: _Readable = data  # type: ignore[assignment]
            where = _seekable_size(f)
            if where is None:
                self.rewindable = False
                self.length = content_length
                self._open = functools.partial(_same, _reads(f, content_length, chunk_size))
            else:
                start, left = where
                if content_length is not None and content_length > left:
                    raise ValueError(
                        f"content_length={content_length} but the file has {left} bytes left"
                    )
                self.length = left if content_length is None else content_length
                self._open = functools.partial(_file_from, f, start, self.length, chunk_size)
        elif isinstance(data, Iterable):
            if isinstance(data, Sequence):
                self._open = functools.partial(iter, cast("Sequence[bytes]", data))
            else:
                self.rewindable = False
                self._open = functools.partial(_same, iter(data))
            self.length = content_length
        else:
            raise TypeError(
                f"cannot upload {type(data).__name__}: give bytes, str, a binary file "
                "or an iterable of bytes"
            )

    @staticmethod
    def _check_length(given: int | None, actual: int, what: str) -> None:
        if given is not None and given != actual:
            raise ValueError(f"content_length={given} but {what} is {actual} bytes")

    @property
    def replayable(self) -> bool:
        """Whether the body can be sent (again) now."""
        return self.rewindable or not self._started

    def payload(self) -> bytes | Iterator[bytes]:
        """The body for one attempt: the bytes themselves when that is all there is to do,
        else :meth:`chunks`."""
        return self._whole if self._whole is not None else self.chunks()

    def chunks(self) -> Iterator[bytes]:
        """The body for one attempt. Errors of the source come out as :class:`BodySourceError`."""
        try:
            source = self._open()
        except Exception as exc:
            raise BodySourceError(exc) from exc
        hasher = None if self.md5 else hashlib.md5(usedforsecurity=False)
        sent = 0
        if self._progress is not None:
            self._call_progress(0)
        while True:
            try:
                chunk: object = next(source, None)
            except Exception as exc:
                raise BodySourceError(exc) from exc
            if chunk is None:
                break
            if not isinstance(chunk, bytes | bytearray | memoryview):
                raise BodySourceError(
                    TypeError(f"upload data gave {type(chunk).__name__}, expected bytes")
                )
            self._started = True
            size = memoryview(chunk).nbytes
            if self.length is not None and sent + size > self.length:
                raise BodySourceError(
                    ValueError(f"the data is longer than content_length={self.length}")
                )
            if hasher is not None:
                hasher.update(chunk)
            sent += size
            if size:
                yield chunk  # type: ignore[misc]  # bytearray/memoryview are sent alike
            if self._progress is not None:
                self._call_progress(sent)
        if self.length is not None and sent != self.length:
            raise BodySourceError(
                ValueError(f"the data ended after {sent} of content_length={self.length} bytes")
            )
        self.sent_md5 = self.md5 or (hasher.hexdigest() if hasher else None)

    def _call_progress(self, done: int) -> None:
        assert self._progress is not None
        try:
            self._progress(done, self.length)
        except Exception as exc:
            raise BodySourceError(exc) from exc
