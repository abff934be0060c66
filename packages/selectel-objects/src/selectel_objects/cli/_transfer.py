"""Moving files: one upload or download each, many at once, Ctrl-C and failures accounted.

Downloads go to a hidden partial file next to the target, named after the object's ETag,
and are renamed into place only once size and MD5 check out; a partial file left by a failed
run is resumed with ``Range`` + ``If-Match`` (the same ETag), so a changed object starts over.
Uploads are single PUTs with ``Content-Length`` (Swift stores nothing unless the whole body
arrives and its MD5 matches) or, above the segment size, Static Large Objects whose manifest is
written last: neither leaves a partial object under the final name.
"""

from __future__ import annotations

import concurrent.futures
import errno
import hashlib
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from selectel_auth import AuthError

from selectel_objects import (
    AuthorizationError,
    Container,
    ObjectStorageError,
    PreconditionFailedError,
)
from selectel_objects.cli._local import LocalFile, shown
from selectel_objects.cli._progress import Progress

__all__ = [
    "Cancelled",
    "Failures",
    "Fault",
    "Options",
    "download_object",
    "partial_path",
    "run_parallel",
    "upload_file",
]

T = TypeVar("T")
_END = object()
_CHUNK = 256 * 1024  # small enough that Ctrl-C and the bar react quickly
_PART_SUFFIX = ".part"
MTIME_KEY = "mtime"  # X-Object-Meta-Mtime, as swift sets it


class Cancelled(Exception):
    """The user pressed Ctrl-C: stop this transfer where it is."""


class Fault(Exception):
    """A per-object failure with a message for the user (no traceback)."""


@dataclass
class Options:
    """What the transfer commands share."""

    threads: int
    segment_size: int
    segment_threads: int
    headers: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    cancel: threading.Event = field(default_factory=threading.Event)


class Failures:
    """The objects that failed, each named on stderr as it happens."""

    def __init__(self, progress: Progress, prog: str) -> None:
        self._progress = progress
        self._prog = prog
        self._lock = threading.Lock()
        self.items: list[tuple[str, str]] = []
        self.auth = False

    def add(self, what: str, reason: str, *, auth: bool = False) -> None:
        """Record and print ``what`` (e.g. ``upload dist/app.js``) failing for ``reason``."""
        with self._lock:
            self.items.append((what, reason))
            self.auth = self.auth or auth
        self._progress.note(f"{self._prog}: error: {what}: {reason}")

    def __bool__(self) -> bool:
        return bool(self.items)


def describe(exc: BaseException) -> str:
    """A one-line reason for ``exc``."""
    if isinstance(exc, OSError) and not isinstance(exc, ObjectStorageError):
        if exc.errno == errno.ENOSPC:
            return "no space left on the device"
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__


def run_parallel(
    items: Iterable[T],
    work: Callable[[T], None],
    label: Callable[[T], str],
    *,
    threads: int,
    failures: Failures,
    progress: Progress,
    cancel: threading.Event,
) -> None:
    """``work(item)`` for every item, ``threads`` at a time; a failure is recorded and the
    others go on. Ctrl-C sets ``cancel`` (transfers stop at their next chunk), waits for the
    workers and re-raises :class:`KeyboardInterrupt`."""

    def guarded(item: T) -> None:
        if cancel.is_set():
            return
        try:
            work(item)
        except Cancelled:
            return
        except (AuthorizationError, AuthError) as exc:
            failures.add(label(item), describe(exc), auth=True)
        except (ObjectStorageError, OSError, Fault) as exc:
            failures.add(label(item), describe(exc))
        else:
            return
        progress.file_done(failed=True)

    pool = concurrent.futures.ThreadPoolExecutor(max(1, threads), thread_name_prefix="transfer")
    window = max(1, threads) * 4  # a million files are not a million futures at once
    source = iter(items)
    try:
        pending: set[concurrent.futures.Future[None]] = set()
        exhausted = False
        while pending or not exhausted:
            while not exhausted and len(pending) < window:
                item = next(source, _END)
                if item is _END:
                    exhausted = True
                else:
                    pending.add(pool.submit(guarded, item))  # type: ignore[arg-type]
            # A timeout keeps the main thread awake for Ctrl-C.
            done, pending = concurrent.futures.wait(
                pending, timeout=0.2, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in done:
                future.result()
    except KeyboardInterrupt:
        cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)


class _Counter:
    """Turns a ``progress(done, total)`` callback's totals into deltas for :class:`Progress`."""

    def __init__(self, progress: Progress, cancel: threading.Event) -> None:
        self._progress = progress
        self._cancel = cancel
        self._lock = threading.Lock()
        self.seen = 0

    def __call__(self, done: int, total: int | None) -> None:
        if self._cancel.is_set():
            raise Cancelled
        with self._lock:
            delta, self.seen = done - self.seen, done
        self._progress.add_bytes(delta)


def upload_file(
    container: Container, item: LocalFile, options: Options, progress: Progress
) -> None:
    """Upload one file as object ``item.name`` (segmented above the segment size)."""
    counter = _Counter(progress, options.cancel)
    with Path(item.path).open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        metadata = {MTIME_KEY: f"{item.mtime:.6f}", **options.metadata}
        common: dict[str, Any] = {
            "metadata": metadata,
            "headers": options.headers or None,
            "progress": counter,
        }
        if size > options.segment_size:
            container.upload_large(
                item.name,
                file,
                segment_size=options.segment_size,
                threads=options.segment_threads,
                delete_old_segments=True,
                **common,
            )
        else:
            container.put_object(item.name, file, content_length=size, **common)
    progress.add_bytes(size - counter.seen)
    progress.file_done()


def partial_path(target: str, etag: str | None) -> str:
    """The hidden file a download of ``target`` (an object with ``etag``) is written to."""
    path = Path(target)
    tag = (etag or "unknown")[:40]
    name = f".{path.name}.{tag}{_PART_SUFFIX}"
    if len(os.fsencode(name)) > 255:  # the usual file name limit
        digest = hashlib.sha1(os.fsencode(path.name), usedforsecurity=False).hexdigest()[:20]
        name = f".selectel-{digest}.{tag}{_PART_SUFFIX}"
    return str(path.with_name(name))


def _stale_partials(target: str, keep: str) -> list[str]:
    path = Path(target)
    prefix = f".{path.name}."
    try:
        siblings = list(path.parent.iterdir())
    except OSError:
        return []
    return [
        str(p)
        for p in siblings
        if p.name.startswith(prefix) and p.name.endswith(_PART_SUFFIX) and str(p) != keep
    ]


def download_object(
    container: Container,
    name: str,
    target: str,
    options: Options,
    progress: Progress,
    *,
    etag: str | None = None,
) -> None:
    """Download object ``name`` to ``target``: partial file, verify, rename into place.

    ``etag`` is the object's (large objects: ``slo_etag``) as listed; without it a HEAD
    finds it. A partial file of the same ETag is resumed."""
    if etag is None:
        etag = container.head_object(name).etag
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    part = partial_path(target, etag)
    for stale in _stale_partials(target, part):
        Path(stale).unlink(missing_ok=True)
    hasher = hashlib.md5(usedforsecurity=False)
    offset = _hash_existing(part, hasher) if etag else 0
    counter = _Counter(progress, options.cancel)
    reader = None
    if offset:
        try:
            reader = container.open_object(
                name, range=(offset, None), if_match=etag, verify_checksum=False, progress=counter
            )
        except PreconditionFailedError:
            offset = 0  # the object changed since: start over
        except ObjectStorageError as exc:
            if getattr(exc, "status", None) != 416:
                raise
            reader = None  # the partial file is whole already
    if not offset:
        hasher = hashlib.md5(usedforsecurity=False)
        reader = container.open_object(name, verify_checksum=False, progress=counter)
    written = offset
    info = reader.info if reader is not None else container.head_object(name)
    try:
        with Path(part).open("ab" if offset else "wb") as out:
            if reader is not None:
                for chunk in reader.iter_chunks(_CHUNK):
                    if options.cancel.is_set():
                        raise Cancelled
                    out.write(chunk)
                    hasher.update(chunk)
                    written += len(chunk)
    except OSError as exc:
        if isinstance(exc, ObjectStorageError):
            raise
        raise Fault(
            f"{describe(exc)} (writing {part}: the partial file is kept, run again to resume)"
        ) from exc
    finally:
        if reader is not None:
            reader.close()
    progress.add_bytes(written - offset - counter.seen)
    total = _total_size(info)
    if total is not None and written != total:
        raise Fault(f"got {written} of {total} bytes; run again to resume")
    large = info.static_large_object or info.object_manifest is not None
    if not large and info.etag and hasher.hexdigest() != info.etag:
        Path(part).unlink()
        raise Fault(f"MD5 {hasher.hexdigest()} does not match the ETag {info.etag}; discarded")
    Path(part).replace(target)
    mtime = info.metadata.get(MTIME_KEY)
    if mtime:
        try:
            stamp = float(mtime)
            os.utime(target, (stamp, stamp))
        except (ValueError, OverflowError, OSError):
            pass  # a foreign or odd mtime is not worth failing a good download for
    progress.file_done()


def _total_size(info: Any) -> int | None:
    content_range = info.content_range or ""
    if "/" in content_range:
        tail = content_range.rsplit("/", 1)[1]
        return int(tail) if tail.isdigit() else None
    length: int | None = info.content_length
    return length


def _hash_existing(part: str, hasher: Any) -> int:
    try:
        with Path(part).open("rb") as file:
            size = 0
            while chunk := file.read(_CHUNK):
                hasher.update(chunk)
                size += len(chunk)
            return size
    except FileNotFoundError:
        return 0


def label_of(verb: str) -> Callable[[Any], str]:
    """``label(item)`` for :func:`run_parallel`: ``"upload <name>"``."""

    def label(item: Any) -> str:
        name = item.name if isinstance(item, LocalFile) else item[0]
        return f"{verb} {shown(name)}"

    return label
