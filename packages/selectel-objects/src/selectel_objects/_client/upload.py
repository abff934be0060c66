"""One large upload's segments: which are stored already, uploading the others in parallel."""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import hashlib
import io
import itertools
import threading
import uuid
from collections.abc import Callable, Generator, Mapping
from typing import Any

import attrs

from selectel_objects._client.objects import ObjectMethods
from selectel_objects._client.sources import FileSource, Slice, StreamSource
from selectel_objects._pipeline.body import DEFAULT_CHUNK_SIZE, Progress
from selectel_objects._protocol._generated.models import ObjectEntry
from selectel_objects._protocol.slo import (
    DEFAULT_MAX_SEGMENTS,
    SegmentInfo,
    segment_name,
    segment_prefix,
    segments_container,
)
from selectel_objects.errors import (
    ObjectStorageError,
)

__all__ = ["Upload"]


@attrs.frozen
class _Stored:
    """A segment already in Swift (from the listing)."""

    size: int
    etag: str


class Upload:
    """One large upload: the segment store, the names, what is already there, progress."""

    def __init__(
        self,
        container: ObjectMethods,
        name: str,
        source: FileSource | StreamSource,
        *,
        segment_size: int,
        segment_container: str | None,
        upload_id: str | None,
        progress: Progress | None,
    ) -> None:
        self._name = name
        self._source = source
        self._segment_size = segment_size
        self._store = container._sibling(segment_container or segments_container(container.name))
        identity = source.identity() if isinstance(source, FileSource) else None
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
        if isinstance(source, FileSource):
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

    def _file_segment(self, index: int, part: Slice, stored: Mapping[int, _Stored]) -> SegmentInfo:
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
