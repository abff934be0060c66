"""The file object ``open()`` returns: a streamed download, or a spooled upload on close."""

from __future__ import annotations

import gzip
import io
import tempfile
from collections.abc import Callable
from typing import IO, Any, Final, Protocol, cast

from django.core.files.base import File
from selectel_objects import Container, NotFoundError, ObjectInfo, ObjectReader

__all__ = [
    "READ_MODES",
    "UNCOMPRESSED_SIZE_META",
    "WRITE_MODES",
    "ObjectRaw",
    "Reader",
    "SelectelFile",
    "file_for_reading",
    "file_for_writing",
    "new_spool",
    "open_read_stream",
    "uncompressed_size",
]

# Small forward seeks read and drop bytes; longer ones (and every backward one) ask for a Range.
_SKIP_LIMIT = 256 * 1024
_BUFFER = 64 * 1024
SPOOL_MAX_MEMORY = 8 * 1024 * 1024
#: open() modes: the value says whether the file is text.
READ_MODES: Final = {"rb": False, "r": True}
WRITE_MODES: Final = {"wb": False, "w": True}
# The size of a gzip-stored object before compression, in its metadata.
UNCOMPRESSED_SIZE_META: Final = "uncompressed-size"


class Reader(Protocol):
    """What the storage needs from a streamed download (``selectel_objects.ObjectReader``)."""

    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


class ObjectRaw(io.RawIOBase):
    """A seekable raw stream over one object.

    Reads stream from the open response. A seek that a short read cannot reach closes the
    response and opens a new one at the target offset (one more request), so a file that is
    only read front to back costs exactly one GET.
    """

    def __init__(self, first: Reader, size: int | None, reopen: Callable[[int], Reader]) -> None:
        super().__init__()
        self._reader: Reader | None = first
        self._size = size
        self._reopen = reopen
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def readinto(self, buffer: Any) -> int:
        if self._reader is None:
            if self._size is not None and self._pos >= self._size:
                return 0
            self._reader = self._reopen(self._pos)
        view = memoryview(buffer).cast("B")
        data = self._reader.read(len(view))
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self._pos + offset
        elif whence == io.SEEK_END:
            if self._size is None:
                raise io.UnsupportedOperation("the object size is unknown: cannot seek from end")
            target = self._size + offset
        else:
            raise ValueError(f"invalid whence {whence!r}")
        if target < 0:
            raise ValueError(f"negative seek position {target}")
        if target == self._pos:
            return target
        if self._reader is not None and 0 < target - self._pos <= _SKIP_LIMIT:
            while self._pos < target:
                chunk = self._reader.read(min(target - self._pos, _BUFFER))
                if not chunk:
                    break
                self._pos += len(chunk)
            if self._pos == target:
                return target
        self._drop()
        self._pos = target
        return target

    def _drop(self) -> None:
        if self._reader is not None:
            reader, self._reader = self._reader, None
            reader.close()

    def close(self) -> None:
        if not self.closed:
            self._drop()
        super().close()


def open_read_stream(raw: ObjectRaw, *, gzipped: bool, text: bool) -> IO[Any]:
    """Buffer ``raw``; undo ``Content-Encoding: gzip`` as a stream; decode UTF-8 for text mode."""
    stream: IO[bytes] = io.BufferedReader(raw, buffer_size=_BUFFER)
    if gzipped:
        stream = cast(IO[bytes], gzip.GzipFile(fileobj=stream, mode="rb"))
    if text:
        return io.TextIOWrapper(stream, encoding="utf-8")
    return stream


class SelectelFile(File):  # type: ignore[type-arg]
    """A file of a Selectel storage, as returned by ``storage.open()``.

    Read modes (``rb``, ``r``) stream the object: nothing is held in memory beyond a buffer.
    Write modes (``wb``, ``w``) collect the data in a spooled temporary file (memory, then
    disk) and upload it to the same name when the file is closed.
    """

    def __init__(
        self,
        stream: IO[Any],
        name: str,
        mode: str,
        *,
        size: int | None = None,
        size_of: Callable[[], int] | None = None,
        reopen: Callable[[str], SelectelFile] | None = None,
        upload: Callable[[IO[bytes]], None] | None = None,
        spool: IO[bytes] | None = None,
    ) -> None:
        super().__init__(stream, name)
        self.mode = mode
        self._stream = stream
        self._known_size = size
        self._size_of = size_of
        self._reopen_fn = reopen
        self._upload = upload
        self._spool = spool

    @property
    def size(self) -> int:
        """The size of the content as read (uncompressed), or as written so far."""
        if self._spool is not None:
            self._stream.flush()
            return _spool_size(self._spool)
        if self._known_size is None and self._size_of is not None:
            self._known_size = self._size_of()
        if self._known_size is None:
            raise AttributeError("size")
        return self._known_size

    @size.setter
    def size(self, value: int) -> None:
        self._known_size = value

    def open(self, mode: str | None = None, *args: Any, **kwargs: Any) -> SelectelFile:
        """Rewind an open file, or reopen a closed one from the storage (never from disk)."""
        if not self.closed:
            self.seek(0)
            return self
        if self._reopen_fn is None:
            raise ValueError("this file cannot be reopened")
        fresh = self._reopen_fn(mode or self.mode)
        self.file = self._stream = fresh._stream
        self.mode = fresh.mode
        self._known_size, self._spool, self._upload = fresh._known_size, fresh._spool, fresh._upload
        return self

    def close(self) -> None:
        """Close the stream; in a write mode, upload what was written first."""
        if self._stream.closed:
            return
        upload, self._upload = self._upload, None
        try:
            if upload is not None and self._spool is not None:
                self._stream.flush()
                self._spool.seek(0)
                upload(self._spool)
        finally:
            self._stream.close()
            if self._spool is not None:
                self._spool.close()


def _spool_size(spool: IO[bytes]) -> int:
    here = spool.tell()
    end = spool.seek(0, io.SEEK_END)
    spool.seek(here)
    return end


def new_spool() -> IO[bytes]:
    """A temporary file that stays in memory up to 8 MiB, then moves to disk."""
    return cast(IO[bytes], tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_MEMORY, mode="w+b"))


def uncompressed_size(info: ObjectInfo) -> int | None:
    """The size before gzip recorded at upload, if any."""
    raw = info.metadata.get(UNCOMPRESSED_SIZE_META)
    return int(raw) if raw is not None and raw.isdigit() else None


def file_for_writing(
    name: str,
    mode: str,
    upload: Callable[[IO[bytes]], None],
    reopen: Callable[[str], SelectelFile],
) -> SelectelFile:
    """A file open for writing: a spool that ``upload`` sends when the file is closed."""
    spool = new_spool()
    stream: IO[Any] = io.TextIOWrapper(spool, encoding="utf-8") if WRITE_MODES[mode] else spool
    return SelectelFile(stream, name, mode, spool=spool, upload=upload, reopen=reopen)


def file_for_reading(
    container: Container,
    object_name: str,
    name: str,
    mode: str,
    *,
    size_of: Callable[[], int],
    reopen: Callable[[str], SelectelFile],
) -> SelectelFile:
    """The object streamed in one GET; seeking further reopens it at the offset (a Range)."""
    try:
        reader = container.open_object(object_name)
    except NotFoundError:
        raise FileNotFoundError(f"{name!r} does not exist") from None
    info = reader.info
    gzipped = (info.content_encoding or "").lower() == "gzip"
    etag = info.etag

    def reopen_at(offset: int) -> ObjectReader:
        # Pinned to the ETag: a seek never splices two versions of the object together.
        match = f'"{etag}"' if etag else None
        return container.open_object(object_name, range=(offset, None), if_match=match)

    raw = ObjectRaw(reader, info.content_length, reopen_at)
    size = uncompressed_size(info) if gzipped else info.content_length
    return SelectelFile(
        open_read_stream(raw, gzipped=gzipped, text=READ_MODES[mode]),
        name,
        mode,
        size=size,
        size_of=size_of,
        reopen=reopen,
    )
