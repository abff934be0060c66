"""Where a large upload's data comes from: slices of a seekable file, or a one-shot stream
spooled one segment at a time."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from selectel_objects._pipeline.body import DEFAULT_CHUNK_SIZE

__all__ = ["FileSource", "StreamSource", "open_source"]

#: A spooled stream segment stays in memory up to this size, then goes to a temporary file.
_SPOOL_IN_MEMORY = 1024 * 1024


class FileSource:
    """A seekable file shared by the workers: every read seeks under one lock."""

    def __init__(self, file: Any, start: int, total: int) -> None:
        self.file = file
        self.start = start
        self.total: int | None = total
        self.lock = threading.Lock()

    def identity(self) -> str | None:
        """What tells this file from another and from itself after a change, or ``None``."""
        try:
            stat = os.fstat(self.file.fileno())
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            return None
        return f"{stat.st_dev}:{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}:{self.start}"

    def slice(self, offset: int, size: int) -> Slice:
        """The ``size`` bytes at ``offset`` as a file of their own."""
        return Slice(self, self.start + offset, size)


class Slice:
    """Part of a :class:`FileSource` as a seekable binary file (what an upload body reads)."""

    def __init__(self, source: FileSource, start: int, size: int) -> None:
        self._source = source
        self._start = start
        self._size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, size: int = -1) -> bytes:
        left = self._size - self._pos
        size = left if size is None or size < 0 else min(size, left)
        if size <= 0:
            return b""
        with self._source.lock:
            self._source.file.seek(self._start + self._pos)
            data: bytes = self._source.file.read(size)
        self._pos += len(data)
        return data


class StreamSource:
    """A one-shot stream: segments are spooled one at a time, in order, by one thread."""

    total: int | None = None

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def spool(self, size: int, hasher: Any | None) -> tuple[Any, int]:
        """The next (at most) ``size`` bytes in a rewound temporary file, and their count."""
        spool = tempfile.SpooledTemporaryFile(max_size=min(size, _SPOOL_IN_MEMORY))  # noqa: SIM115
        filled = 0
        try:
            while filled < size:
                chunk = self._pending or next(self._chunks, b"")
                self._pending = b""
                if not chunk:
                    break
                if not isinstance(chunk, bytes | bytearray | memoryview):
                    raise TypeError(f"upload data gave {type(chunk).__name__}, expected bytes")
                room = size - filled
                if len(chunk) > room:
                    chunk, self._pending = chunk[:room], bytes(chunk[room:])
                spool.write(chunk)
                if hasher is not None:
                    hasher.update(chunk)
                filled += len(chunk)
            spool.seek(0)
        except BaseException:
            spool.close()
            raise
        return spool, filled


def open_source(data: Any) -> FileSource | StreamSource:
    if isinstance(data, bytes | bytearray | memoryview):
        data = io.BytesIO(data)
    if hasattr(data, "read"):
        if isinstance(data, io.TextIOBase):
            raise TypeError("open the file in binary mode ('rb'): uploads send bytes")
        with contextlib.suppress(AttributeError, OSError, ValueError):
            if data.seekable():
                start = data.tell()
                end = data.seek(0, io.SEEK_END)
                data.seek(start)
                return FileSource(data, start, max(0, end - start))
        return StreamSource(iter(lambda: data.read(DEFAULT_CHUNK_SIZE), b""))
    if isinstance(data, Iterable) and not isinstance(data, str):
        return StreamSource(iter(data))
    raise TypeError(
        f"upload_large takes a binary file, bytes or an iterable of bytes, "
        f"not {type(data).__name__}"
    )
