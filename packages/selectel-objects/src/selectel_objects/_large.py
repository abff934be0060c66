"""Static Large Object uploads: segments in parallel, resumable, then the manifest.

A large upload cuts the data into segments of ``segment_size`` bytes, uploads up to
``threads`` of them at a time, and stores a manifest naming them. Memory stays bounded: a
worker streams its slice of a seekable file chunk by chunk, and a one-shot stream is spooled
(to a temporary file beyond a few MiB) one segment per worker.

Segment names come from :func:`~selectel_objects._slo.segment_name`. When the upload id is
deterministic -- the same unchanged local file, or the same ``upload_id`` given by the caller
-- a second call finds the segments the first one stored, checks each against the local data
(size and MD5) and uploads only the others.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import hashlib
import io
import itertools
import os
import tempfile
import threading
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, BinaryIO

import attrs

from selectel_objects._body import DEFAULT_CHUNK_SIZE, Progress, UploadBody
from selectel_objects._bulk import parse_bulk_delete
from selectel_objects._generated import operations as ops
from selectel_objects._generated.models import ObjectEntry, PutResult
from selectel_objects._slo import (
    DEFAULT_MAX_SEGMENTS,
    MAX_SEGMENT_SIZE,
    SegmentInfo,
    build_manifest,
    manifest_etag,
    parse_manifest,
    plan_segments,
    segment_name,
    segment_prefix,
    segments_container,
)
from selectel_objects.errors import (
    AlreadyExistsError,
    NotFoundError,
    ObjectStorageError,
)

if TYPE_CHECKING:
    from selectel_objects._container import Container

__all__ = ["DEFAULT_SEGMENT_SIZE", "DEFAULT_THREADS", "delete_with_segments", "upload_large"]

#: Segment size when the caller gives none: few segments for big files, and a retried
#: segment costs little.
DEFAULT_SEGMENT_SIZE = 256 * 1024 * 1024
#: Segments uploaded at once when the caller says nothing.
DEFAULT_THREADS = 4
#: A spooled stream segment stays in memory up to this size, then goes to a temporary file.
_SPOOL_IN_MEMORY = 1024 * 1024


def upload_large(
    container: Container,
    name: str,
    data: BinaryIO | Iterable[bytes] | bytes,
    *,
    segment_size: int,
    segment_container: str | None,
    threads: int,
    upload_id: str | None,
    delete_old_segments: bool,
    progress: Progress | None,
    manifest_options: dict[str, Any],
) -> PutResult:
    """See :meth:`selectel_objects.Container.upload_large` (which checked ``name``)."""
    if isinstance(segment_size, bool) or not isinstance(segment_size, int):
        raise TypeError(f"segment_size must be an int, not {type(segment_size).__name__}")
    if not 1 <= segment_size <= MAX_SEGMENT_SIZE:
        raise ValueError(f"segment_size must be 1..{MAX_SEGMENT_SIZE}, not {segment_size}")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be an int >= 1, not {threads!r}")
    source = _open_source(data)
    if source.total is not None:
        if source.total == 0:
            raise ValueError("upload_large needs at least one byte; use put_object")
        plan_segments(source.total, segment_size)  # too many segments: refused before any request
    job = _Upload(
        container,
        name,
        source,
        segment_size=segment_size,
        segment_container=segment_container,
        upload_id=upload_id,
        progress=progress,
    )
    try:
        segments = job.run(threads)
        old = _stored_segments(container, name) if delete_old_segments else []
        result = _put_manifest(container, name, segments, manifest_options)
    except AlreadyExistsError:
        # Create-only and the name is taken: these segments serve nobody, unless the object
        # there is an earlier upload of the same file, which uses them.
        in_use = {n for c, n in _stored_segments(container, name) if c == job.segment_container}
        job.remove_uploaded(keep=in_use)
        raise
    except Exception:
        if not job.resumable:  # nobody can come back for the segments: delete them
            job.remove_uploaded()
        raise
    if old:  # best effort: the new version is stored whatever happens here
        keep = {(s.container, s.name) for s in segments}
        with contextlib.suppress(ObjectStorageError):
            container.storage.bulk_delete(pair for pair in old if pair not in keep)
    return result


def delete_with_segments(
    container: Container, name: str, *, missing_ok: bool, headers: Mapping[str, str] | None
) -> None:
    """Delete object ``name`` and, when it is a Static Large Object, its segments.

    Swift answers ``?multipart-manifest=delete`` with 200 and the outcome in the body: read
    it, so that a segment left behind is an error, not a silent success.
    """
    try:
        response = container._pipeline.send(
            lambda base: ops.build_delete_object_request(
                base,
                container.name,
                name,
                multipart_manifest="delete",
                headers={"Accept": "application/json", **(headers or {})},
            ),
            ok_after_retry=frozenset({404}),
        )
        body = response.read()
    except NotFoundError:
        if missing_ok:
            return
        raise
    if response.status == 204 or not body.strip():
        return  # a plain object, deleted as such
    result = parse_bulk_delete(body, http_status=response.status)
    if result.ok:
        if result.deleted or missing_ok:
            return
        raise NotFoundError(f"{container.name}/{name}: not found", status=404)
    if not result.deleted and any(
        error.status == 400 or "not an slo manifest" in error.reason.lower()
        for error in result.errors
    ):
        # An ordinary object (or a DLO manifest): Swift refuses it with "Not an SLO manifest".
        container.delete_object(name, missing_ok=missing_ok, headers=headers)
        return
    problems = "; ".join(f"{e.path}: {e.reason}" for e in result.errors) or result.reason
    raise ObjectStorageError(
        f"{container.name}/{name}: deleting the large object failed ({problems})",
        status=result.status,
    )


# -- the data ---------------------------------------------------------------------------------


class _FileSource:
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

    def slice(self, offset: int, size: int) -> _Slice:
        """The ``size`` bytes at ``offset`` as a file of their own."""
        return _Slice(self, self.start + offset, size)


class _Slice:
    """Part of a :class:`_FileSource` as a seekable binary file (what an upload body reads)."""

    def __init__(self, source: _FileSource, start: int, size: int) -> None:
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


class _StreamSource:
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


def _open_source(data: Any) -> _FileSource | _StreamSource:
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
                return _FileSource(data, start, max(0, end - start))
        return _StreamSource(iter(lambda: data.read(DEFAULT_CHUNK_SIZE), b""))
    if isinstance(data, Iterable) and not isinstance(data, str):
        return _StreamSource(iter(data))
    raise TypeError(
        f"upload_large takes a binary file, bytes or an iterable of bytes, "
        f"not {type(data).__name__}"
    )


# -- the upload ---------------------------------------------------------------------------------


@attrs.frozen
class _Stored:
    """A segment already in Swift (from the listing)."""

    size: int
    etag: str


class _Upload:
    """One large upload: the segment store, the names, what is already there, progress."""

    def __init__(
        self,
        container: Container,
        name: str,
        source: _FileSource | _StreamSource,
        *,
        segment_size: int,
        segment_container: str | None,
        upload_id: str | None,
        progress: Progress | None,
    ) -> None:
        self._name = name
        self._source = source
        self._segment_size = segment_size
        self._store = container.storage.container(
            segment_container or segments_container(container.name)
        )
        identity = source.identity() if isinstance(source, _FileSource) else None
        if upload_id is None and identity is not None:
            key = "\0".join([self._store.name, container.name, name, str(segment_size), identity])
            upload_id = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        #: Resumable uploads keep their segments when they fail, for the next call to find.
        self.resumable = upload_id is not None
        self._upload_id = upload_id or uuid.uuid4().hex
        self._prefix = segment_prefix(
            name,
            upload_id=self._upload_id,
            total_size=source.total or 0,
            segment_size=segment_size,
        )
        self._progress = progress
        self._lock = threading.Lock()
        self._done = 0  # bytes of finished (or skipped) segments
        self._sending: dict[int, int] = {}  # segment index -> bytes sent so far
        self._uploaded: list[SegmentInfo] = []
        self._attempted = False  # whether a segment upload started (and may have stored one)

    def run(self, threads: int) -> list[SegmentInfo]:
        """Upload every segment that is not already stored; the manifest's segments in order."""
        self._store.create()
        stored = self._stored() if self.resumable else {}
        results: dict[int, SegmentInfo] = {}
        pending: dict[concurrent.futures.Future[SegmentInfo], int] = {}
        tasks = self._tasks(stored)
        pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="selectel-objects-segment"
        )
        try:
            while True:
                # A free worker first, then the next segment: at most `threads` segments are
                # read or spooled at a time, so memory stays bounded.
                while len(pending) >= threads:
                    self._harvest(pending, results)
                task = next(tasks, None)
                if task is None:
                    break
                index, work = task
                if isinstance(work, SegmentInfo):
                    results[index] = work
                else:
                    pending[pool.submit(work)] = index
            while pending:
                self._harvest(pending, results)
        except BaseException as exc:
            for future in pending:
                future.cancel()
            # Let the segments in flight finish before anyone cleans up after them (an
            # interrupt does not wait: the workers end with their current request).
            pool.shutdown(wait=isinstance(exc, Exception), cancel_futures=True)
            raise
        finally:
            tasks.close()
        pool.shutdown()
        if not results:
            raise ValueError("upload_large needs at least one byte; use put_object")
        return [results[index] for index in range(len(results))]

    @staticmethod
    def _harvest(
        pending: dict[concurrent.futures.Future[SegmentInfo], int],
        results: dict[int, SegmentInfo],
    ) -> None:
        done, _ = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
        for future in done:
            index = pending.pop(future)
            results[index] = future.result()  # the first failure ends the upload

    def _tasks(
        self, stored: Mapping[int, _Stored]
    ) -> Generator[tuple[int, SegmentInfo | Callable[[], SegmentInfo]], None, None]:
        """Per segment, in order: its index and either its :class:`SegmentInfo` (already
        stored) or a callable that uploads it and returns that."""
        source = self._source
        if isinstance(source, _FileSource):
            assert source.total is not None
            for index, offset in enumerate(range(0, source.total, self._segment_size)):
                part = source.slice(offset, min(self._segment_size, source.total - offset))
                yield index, functools.partial(self._file_segment, index, part, stored)
            return
        for index in itertools.count():
            known = stored.get(index)
            # Hashed while spooled: the segment goes with its MD5, which Swift checks.
            hasher = hashlib.md5(usedforsecurity=False)
            spool, size = source.spool(self._segment_size, hasher)
            if not size:
                spool.close()
                return
            if index >= DEFAULT_MAX_SEGMENTS:
                spool.close()
                raise ValueError(
                    f"the data needs more than {DEFAULT_MAX_SEGMENTS} segments of "
                    f"{self._segment_size} bytes; raise segment_size"
                )
            md5 = hasher.hexdigest()
            if known and self._matches(known, size, md5):
                spool.close()
                self._count_skipped(size)
                yield index, self._info(index, known.etag, size)
                continue
            yield index, functools.partial(self._spooled_segment, index, spool, size, md5)

    def _file_segment(self, index: int, part: _Slice, stored: Mapping[int, _Stored]) -> SegmentInfo:
        size = part.seek(0, io.SEEK_END)
        part.seek(0)
        # Read once for the MD5 before sending: Swift then checks the segment against it (422)
        # instead of the client trusting the ETag of an answer that may be damaged on the way.
        hasher = hashlib.md5(usedforsecurity=False)
        while chunk := part.read(DEFAULT_CHUNK_SIZE):
            hasher.update(chunk)
        part.seek(0)
        known = stored.get(index)
        if known is not None and self._matches(known, size, hasher.hexdigest()):
            self._count_skipped(size)
            return self._info(index, known.etag, size)
        return self._put(index, part, size, hasher.hexdigest())

    def _spooled_segment(self, index: int, spool: Any, size: int, md5: str) -> SegmentInfo:
        with spool:
            return self._put(index, spool, size, md5)

    def _put(self, index: int, body: Any, size: int, md5: str) -> SegmentInfo:
        self._attempted = True
        result = self._store.put_object(
            self._segment_name(index),
            body,
            content_length=size,
            content_type="application/octet-stream",
            etag=md5,
            progress=lambda sent, _total: self._report(index, sent),
        )
        assert result.etag is not None  # the MD5 sent, which Swift checked
        info = self._info(index, result.etag, size)
        with self._lock:
            self._uploaded.append(info)
            self._sending.pop(index, None)
            self._done += size
        return info

    def _info(self, index: int, etag: str, size: int) -> SegmentInfo:
        return SegmentInfo(self._store.name, self._segment_name(index), etag, size)

    def _segment_name(self, index: int) -> str:
        return segment_name(
            self._name,
            upload_id=self._upload_id,
            total_size=self._source.total or 0,
            segment_size=self._segment_size,
            index=index,
        )

    @staticmethod
    def _matches(known: _Stored, size: int, md5: str) -> bool:
        return known.size == size and known.etag == md5

    def _stored(self) -> dict[int, _Stored]:
        """This upload's segments already in Swift, by index."""
        found: dict[int, _Stored] = {}
        for entry in self._store.list_objects(prefix=self._prefix):
            index = entry.name[len(self._prefix) :] if entry.name else ""
            if (
                isinstance(entry, ObjectEntry)
                and len(index) == 8
                and index.isdigit()
                and entry.size is not None
                and entry.etag
            ):
                found[int(index)] = _Stored(entry.size, entry.etag.lower())
        return found

    def _report(self, index: int, sent: int) -> None:
        if self._progress is None:
            return
        with self._lock:  # one call at a time, totals never mixed up between workers
            self._sending[index] = sent
            self._progress(self._done + sum(self._sending.values()), self._source.total)

    def _count_skipped(self, size: int) -> None:
        with self._lock:
            self._done += size
            if self._progress is not None:
                self._progress(self._done + sum(self._sending.values()), self._source.total)

    @property
    def segment_container(self) -> str:
        """The name of the container the segments go to."""
        return self._store.name

    def remove_uploaded(self, keep: frozenset[str] | set[str] = frozenset()) -> None:
        """Delete the segments this upload stored (quietly: the upload's error matters),
        except those named in ``keep``.

        The listing finds those whose answer was lost (a segment stored just as its upload
        failed); the upload id is this upload's own, so everything under it goes.
        """
        with self._lock:
            if not self._attempted:
                return
            names = {info.name for info in self._uploaded}
        with contextlib.suppress(ObjectStorageError):
            names.update(
                entry.name for entry in self._store.list_objects(prefix=self._prefix) if entry.name
            )
        names -= keep
        if names:
            with contextlib.suppress(Exception):
                self._store.delete_objects(sorted(names))


def _stored_segments(container: Container, name: str) -> list[tuple[str, str]]:
    """``(container, name)`` of the segments of the large object ``name`` stored now, if any."""
    try:
        response = container._pipeline.send(
            lambda base: ops.build_get_object_request(
                base, container.name, name, multipart_manifest="get"
            )
        )
    except NotFoundError:
        return []
    info = ops.parse_get_object_response(response.headers)
    if not info.static_large_object:
        return []
    return [
        (entry.container, entry.name)
        for entry in parse_manifest(response.read())
        if entry.container is not None and entry.name is not None
    ]


def _put_manifest(
    container: Container, name: str, segments: list[SegmentInfo], options: dict[str, Any]
) -> PutResult:
    # Swift checks each segment's ETag and size against the manifest, and the large object's
    # ETag (MD5 of the segment ETags) against the one sent.
    manifest = build_manifest(segments)
    expected = manifest_etag(segments)
    create_only = bool(options.get("if_none_match"))
    response = container._pipeline.send(
        lambda base: ops.build_put_object_request(
            base,
            container.name,
            name,
            content_length=len(manifest),
            etag=expected,
            multipart_manifest="put",
            **options,
        ),
        body=UploadBody(manifest),
        errors={412: AlreadyExistsError} if create_only else None,
        # A create-only manifest whose answer was lost finds, sent again, the object it
        # stored: 412 is then success if that object is this one (same ETag of ETags).
        ok_after_retry=frozenset({412}) if create_only else frozenset(),
    )
    if response.status == 412:
        info = container.head_object(name)
        if info.etag != expected:
            raise AlreadyExistsError(
                f"{container.name}/{name} already exists", status=412, request_id=info.request_id
            )
        return PutResult(
            etag=info.etag, last_modified=info.last_modified, request_id=info.request_id
        )
    # Swift checked the manifest against the ETag sent (422 otherwise): a different ETag in
    # its answer was changed on the way, and deleting would destroy what Swift stored right.
    return attrs.evolve(ops.parse_put_object_response(response.headers), etag=expected)
