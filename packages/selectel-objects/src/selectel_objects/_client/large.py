"""Static Large Object uploads: segments in parallel, resumable, then the manifest.

A large upload cuts the data into segments of ``segment_size`` bytes, uploads up to
``threads`` of them at a time, and stores a manifest naming them. Memory stays bounded: a
worker streams its slice of a seekable file chunk by chunk, and a one-shot stream is spooled
(to a temporary file beyond a few MiB) one segment per worker.

Segment names come from :func:`~selectel_objects._protocol.slo.segment_name`. When the upload id is
deterministic -- the same unchanged local file, or the same ``upload_id`` given by the caller
-- a second call finds the segments the first one stored, checks each against the local data
(size and MD5) and uploads only the others.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import BinaryIO

import attrs

from selectel_objects._client.base import guess_type
from selectel_objects._client.containers import bulk_delete
from selectel_objects._client.metadata import MetadataMethods
from selectel_objects._client.sources import open_source
from selectel_objects._client.upload import Upload
from selectel_objects._pipeline.body import Progress, UploadBody
from selectel_objects._protocol._generated import operations as ops
from selectel_objects._protocol._generated.models import PutResult
from selectel_objects._protocol.names import check_object_name
from selectel_objects._protocol.slo import (
    MAX_SEGMENT_SIZE,
    SegmentInfo,
    build_manifest,
    manifest_etag,
    parse_manifest,
    plan_segments,
)
from selectel_objects.errors import (
    AlreadyExistsError,
    NotFoundError,
    ObjectStorageError,
)

__all__ = ["DEFAULT_SEGMENT_SIZE", "DEFAULT_THREADS", "LargeMethods"]


#: Segment size when the caller gives none: few segments for big files, and a retried
#: segment costs little.
DEFAULT_SEGMENT_SIZE = 256 * 1024 * 1024
#: Segments uploaded at once when the caller says nothing.
DEFAULT_THREADS = 4
#: A spooled stream segment stays in memory up to this size, then goes to a temporary file.


class LargeMethods(MetadataMethods):
    """Static Large Objects: parallel, resumable uploads."""

    def upload_large(
        self,
        name: str,
        data: BinaryIO | Iterable[bytes] | bytes,
        *,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        segment_container: str | None = None,
        threads: int = DEFAULT_THREADS,
        upload_id: str | None = None,
        delete_old_segments: bool = False,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        cache_control: str | None = None,
        content_disposition: str | None = None,
        content_encoding: str | None = None,
        delete_at: int | datetime | None = None,
        delete_after: int | None = None,
        if_none_match: bool = False,
        headers: Mapping[str, str] | None = None,
        progress: Progress | None = None,
    ) -> PutResult:
        """Store a large object as a Static Large Object: segments, then a manifest.

        The data (a binary file, bytes or an iterable of bytes) is cut into segments of
        ``segment_size`` bytes, stored in ``segment_container`` (default
        ``<container>_segments``, created when missing) as ``<name>/slo/<upload id>/...``,
        ``threads`` at a time. Each segment is an ordinary upload, checked by MD5 and retried
        on its own; then the manifest lists them with their ETags and Swift checks the whole
        (the large object's ETag is sent too). Memory stays bounded: a seekable file is read
        in slices by the workers, a stream is spooled one segment per worker (to a temporary
        file beyond 1 MiB).

        **Resuming**: the upload id is derived from the file (device, inode, size, mtime),
        the names and ``segment_size`` -- or is ``upload_id`` when given (required to resume
        a stream). Calling again after a failure lists the segments already stored, hashes
        the matching local slices and uploads only the missing or different ones. A failed
        resumable upload therefore keeps its segments; one that cannot be resumed (a stream
        or in-memory file without ``upload_id``) deletes them.

        **Replacing** a large object leaves the old version's segments in place (Swift does
        not know they are unused); ``delete_old_segments=True`` deletes those the new
        version does not use, once its manifest is stored (a reader of the old version in
        that moment fails).

        The object's headers (``content_type``, ``metadata``, ``cache_control``,
        ``content_disposition``, ``content_encoding``, ``delete_at``, ``delete_after``,
        extra ``headers``) go on the manifest, as for :meth:`put_object`; expiry applies to
        the manifest only. ``if_none_match=True`` only creates, atomically: the manifest PUT
        carries ``If-None-Match: *``; when the name is taken it raises
        :class:`AlreadyExistsError` and deletes the segments just uploaded.

        ``progress(bytes_done, total)`` is called from the worker threads, one call at a
        time; ``total`` is ``None`` for a stream. Read the object back with
        :meth:`open_object`; delete it with ``delete_object(name, delete_segments=True)``.
        """
        check_object_name(name)
        return _upload_large(
            self,
            name,
            data,
            segment_size=segment_size,
            segment_container=segment_container,
            threads=threads,
            upload_id=upload_id,
            delete_old_segments=delete_old_segments,
            progress=progress,
            manifest=ops.PutObjectOptions(
                content_type=content_type or guess_type(name),
                metadata=metadata,
                cache_control=cache_control,
                content_disposition=content_disposition,
                content_encoding=content_encoding,
                delete_at=(
                    int(delete_at.timestamp()) if isinstance(delete_at, datetime) else delete_at
                ),
                delete_after=delete_after,
                if_none_match=if_none_match,
                headers=headers,
            ),
        )


def _upload_large(
    container: LargeMethods,
    name: str,
    data: BinaryIO | Iterable[bytes] | bytes,
    *,
    segment_size: int,
    segment_container: str | None,
    threads: int,
    upload_id: str | None,
    delete_old_segments: bool,
    progress: Progress | None,
    manifest: ops.PutObjectOptions,
) -> PutResult:
    """See :meth:`selectel_objects.Container.upload_large` (which checked ``name``)."""
    if isinstance(segment_size, bool) or not isinstance(segment_size, int):
        raise TypeError(f"segment_size must be an int, not {type(segment_size).__name__}")
    if not 1 <= segment_size <= MAX_SEGMENT_SIZE:
        raise ValueError(f"segment_size must be 1..{MAX_SEGMENT_SIZE}, not {segment_size}")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be an int >= 1, not {threads!r}")
    source = open_source(data)
    if source.total is not None:
        if source.total == 0:
            raise ValueError("upload_large needs at least one byte; use put_object")
        plan_segments(source.total, segment_size)  # too many segments: refused before any request
    job = Upload(
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
        result = _put_manifest(container, name, segments, manifest)
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
            bulk_delete(container._pipeline, [pair for pair in old if pair not in keep])
    return result


def _stored_segments(container: LargeMethods, name: str) -> list[tuple[str, str]]:
    """``(container, name)`` of the segments of the large object ``name`` stored now, if any."""
    try:
        response = container._pipeline.send(
            ops.build_get_object_request(
                container.name, name, ops.GetObjectOptions(multipart_manifest="get")
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
    container: LargeMethods, name: str, segments: list[SegmentInfo], options: ops.PutObjectOptions
) -> PutResult:
    # Swift checks each segment's ETag and size against the manifest, and the large object's
    # ETag (MD5 of the segment ETags) against the one sent.
    manifest = build_manifest(segments)
    expected = manifest_etag(segments)
    create_only = options.if_none_match
    response = container._pipeline.send(
        ops.build_put_object_request(
            container.name,
            name,
            attrs.evolve(
                options, content_length=len(manifest), etag=expected, multipart_manifest="put"
            ),
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
