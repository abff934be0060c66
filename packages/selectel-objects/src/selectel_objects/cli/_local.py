"""The local side: walking folders into object names, names back into paths, checksums."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from selectel_objects import MAX_OBJECT_NAME_BYTES, Container, ObjectEntry, SubdirEntry

__all__ = [
    "Checksums",
    "LocalFile",
    "WalkError",
    "checksums",
    "join_name",
    "local_path",
    "name_problem",
    "remote_index",
    "shown",
    "unchanged",
    "walk",
]

#: Swift's default ``max_object_name_length``.
_READ = 1 << 20


def shown(name: str) -> str:
    """``name`` fit for a message: undecodable bytes (surrogate escapes) shown as ``\\xNN``."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return name


def name_problem(name: str) -> str | None:
    """Why Swift would refuse ``name`` as an object name, or ``None``."""
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        return "the file name is not valid UTF-8, and Swift stores UTF-8 names only"
    if not name:
        return "the object name is empty"
    if size > MAX_OBJECT_NAME_BYTES:
        return f"the object name is {size} bytes long; Swift allows {MAX_OBJECT_NAME_BYTES}"
    return None


@dataclass(frozen=True)
class LocalFile:
    """A regular file to upload: where it is, the object name it gets, its size and mtime."""

    path: str
    name: str
    size: int
    mtime: float


@dataclass(frozen=True)
class WalkError:
    """A path that cannot be uploaded, and why."""

    path: str
    reason: str


def join_name(prefix: str, rest: str) -> str:
    """``prefix`` and ``rest`` joined by one ``/`` (either may be empty)."""
    if not prefix:
        return rest
    if not rest:
        return prefix
    return prefix.rstrip("/") + "/" + rest


def _given_name(path: str) -> str:
    # `upload c ./site/../dist` stores "dist/...": the path as written, without ./, ../ or /.
    parts = [p for p in Path(os.path.normpath(path)).parts if p not in ("/", ".", "..")]
    return "/".join(parts)


def walk(path: str, name: str | None = None) -> Iterator[LocalFile | WalkError]:
    """The regular files under ``path`` (or ``path`` itself), each with its object name.

    Names are ``name`` (default: ``path`` as written, without leading ``/``, ``./``, ``../``)
    joined with the path below it, ``/``-separated. Symbolic links are followed; a link that
    leads back into a folder being walked (a loop), a dangling link, or anything that is not
    a regular file or folder is reported as a :class:`WalkError` and skipped.
    """
    base = _given_name(path) if name is None else name
    try:
        info = Path(path).stat()
    except OSError as exc:
        yield WalkError(path, _os_reason(exc, path))
        return
    if stat.S_ISREG(info.st_mode):
        yield LocalFile(path, base or Path(path).name, info.st_size, info.st_mtime)
        return
    if not stat.S_ISDIR(info.st_mode):
        yield WalkError(path, "not a regular file or folder")
        return
    yield from _walk_dir(path, base, [(info.st_dev, info.st_ino)])


def _walk_dir(
    path: str, name: str, parents: list[tuple[int, int]]
) -> Iterator[LocalFile | WalkError]:
    try:
        with os.scandir(path) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as exc:
        yield WalkError(path, _os_reason(exc, path))
        return
    for entry in entries:
        child = join_name(name, entry.name)
        try:
            info = entry.stat()  # follows links
        except OSError as exc:
            yield WalkError(entry.path, _os_reason(exc, entry.path))
            continue
        if stat.S_ISREG(info.st_mode):
            yield LocalFile(entry.path, child, info.st_size, info.st_mtime)
        elif stat.S_ISDIR(info.st_mode):
            key = (info.st_dev, info.st_ino)
            if key in parents:
                yield WalkError(entry.path, "symbolic link loop (it leads back to a parent folder)")
                continue
            yield from _walk_dir(entry.path, child, [*parents, key])
        else:
            yield WalkError(entry.path, "not a regular file or folder")


def _os_reason(exc: OSError, path: str) -> str:
    if isinstance(exc, FileNotFoundError):
        return "dangling symbolic link" if Path(path).is_symlink() else "no such file or folder"
    if exc.errno == 40:  # ELOOP
        return "symbolic link loop"
    return exc.strerror or str(exc)


def local_path(root: str, name: str, strip: str = "") -> str | None:
    """Where object ``name`` goes under ``root`` (``strip`` removed from its start), or
    ``None`` when the name cannot be a safe relative path (``..``, empty steps, absolute)."""
    rest = name[len(strip) :] if strip and name.startswith(strip) else name
    rest = rest.lstrip("/") if strip else rest
    parts = rest.split("/")
    if not rest or any(p in ("", ".", "..") for p in parts) or "\x00" in rest:
        return None
    return str(Path(root).joinpath(*parts))


@dataclass(frozen=True)
class Checksums:
    """A file's MD5 and, when it is above the segment size, its large-object ETag."""

    size: int
    md5: str
    slo_etag: str | None

    def matches(self, size: int | None, etag: str | None, slo_etag: str | None) -> bool:
        """Whether an object of ``size`` / ``etag`` / ``slo_etag`` holds these bytes."""
        if size != self.size:
            return False
        if slo_etag is not None:
            return slo_etag == self.slo_etag
        return etag == self.md5


def checksums(path: str, segment_size: int) -> Checksums:
    """Hash ``path`` once: its MD5, and the ETag a Static Large Object of it in
    ``segment_size`` segments would have (MD5 of the segments' MD5s) when it is larger."""
    whole = hashlib.md5(usedforsecurity=False)
    pieces: list[str] = []
    segment = hashlib.md5(usedforsecurity=False)
    in_segment = size = 0
    with Path(path).open("rb") as file:
        while chunk := file.read(_READ):
            whole.update(chunk)
            size += len(chunk)
            view = memoryview(chunk)
            while view:
                take = min(len(view), segment_size - in_segment)
                segment.update(view[:take])
                in_segment += take
                view = view[take:]
                if in_segment == segment_size:
                    pieces.append(segment.hexdigest())
                    segment = hashlib.md5(usedforsecurity=False)
                    in_segment = 0
    if in_segment:
        pieces.append(segment.hexdigest())
    slo = None
    if size > segment_size:
        slo = hashlib.md5("".join(pieces).encode(), usedforsecurity=False).hexdigest()
    return Checksums(size, whole.hexdigest(), slo)


def remote_index(container: Container, prefix: str) -> dict[str, ObjectEntry]:
    """Every object under ``prefix`` by name, from one listing."""
    return {
        e.name: e
        for e in container.list_objects(prefix=prefix or None)
        if not isinstance(e, SubdirEntry) and e.name is not None
    }


def unchanged(item: LocalFile, index: dict[str, ObjectEntry], segment_size: int) -> bool:
    """Whether the object listed for ``item.name`` holds the file's bytes."""
    entry = index.get(item.name)
    if entry is None or entry.size != item.size:
        return False
    return checksums(item.path, segment_size).matches(entry.size, entry.etag, entry.slo_etag)
