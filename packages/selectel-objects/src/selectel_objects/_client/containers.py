"""Container operations of :class:`~selectel_objects.Container`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from selectel_objects._client.base import ContainerBase
from selectel_objects._client.listing import MAX_PAGE_SIZE, listing
from selectel_objects._features.bulk import (
    BulkDeleteResult,
    ExtractArchiveResult,
    bulk_delete_bodies,
    parse_bulk_delete,
    parse_extract_archive,
)
from selectel_objects._pipeline.body import Data, Progress, UploadBody
from selectel_objects._pipeline.pipeline import Pipeline
from selectel_objects._protocol._generated import operations as ops
from selectel_objects._protocol._generated.models import (
    ContainerInfo,
    ObjectEntry,
    SubdirEntry,
)
from selectel_objects._protocol.names import (
    check_object_name,
)
from selectel_objects.errors import (
    AlreadyExistsError,
    NotFoundError,
)

__all__ = ["ContainerMethods", "bulk_delete"]


class ContainerMethods(ContainerBase):
    """The container itself: create, read, change, delete, list, bulk operations."""

    def create(
        self,
        *,
        exist_ok: bool = True,
        metadata: Mapping[str, str] | None = None,
        read_acl: str | None = None,
        write_acl: str | None = None,
        container_type: str | None = None,
        storage_policy: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> bool:
        """Create the container; true if it was created, false if it existed.

        An existing container gets the given metadata/ACLs/type (Swift's PUT updates them).
        ``exist_ok=False`` raises :class:`AlreadyExistsError` instead and then changes nothing
        (checked with a HEAD first; another client may still create it in between).
        ``container_type`` is Selectel's ``"public"`` / ``"private"`` (legacy storage);
        ``read_acl=".r:*"`` is Swift's way to make a container public.
        """
        if not exist_ok and self.exists():
            raise AlreadyExistsError(f"container {self._name!r} already exists", status=202)
        response = self._pipeline.send(
            ops.build_put_container_request(
                self._name,
                ops.PutContainerOptions(
                    metadata=metadata,
                    read_acl=read_acl,
                    write_acl=write_acl,
                    container_type=container_type,
                    storage_policy=storage_policy,
                    headers=headers,
                ),
            )
        )
        if response.status == 202 and not exist_ok:
            raise AlreadyExistsError(f"container {self._name!r} already exists", status=202)
        return response.status == 201

    def info(self) -> ContainerInfo:
        """Totals, ACLs, type and metadata; :class:`NotFoundError` when it does not exist."""
        response = self._pipeline.send(ops.build_head_container_request(self._name))
        return ops.parse_head_container_response(response.headers)

    def exists(self) -> bool:
        """Whether the container exists."""
        try:
            self.info()
        except NotFoundError:
            return False
        return True

    def delete(self, *, missing_ok: bool = False) -> None:
        """Delete the container, which must be empty (:class:`ConflictError` otherwise)."""
        try:
            self._pipeline.send(
                ops.build_delete_container_request(self._name),
                ok_after_retry=frozenset({404}),
            )
        except NotFoundError:
            if not missing_ok:
                raise

    def set_metadata(
        self,
        metadata: Mapping[str, str | None] | None = None,
        *,
        read_acl: str | None = None,
        write_acl: str | None = None,
        container_type: str | None = None,
        temp_url_key: str | None = None,
        temp_url_key_2: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Set metadata keys (``None`` removes one; keys not given are kept), ACLs, type,
        TempURL keys."""
        self._pipeline.send(
            ops.build_post_container_request(
                self._name,
                ops.PostContainerOptions(
                    metadata=metadata,
                    read_acl=read_acl,
                    write_acl=write_acl,
                    container_type=container_type,
                    temp_url_key=temp_url_key,
                    temp_url_key_2=temp_url_key_2,
                    headers=headers,
                ),
            )
        )

    def list_objects(
        self,
        *,
        prefix: str | None = None,
        delimiter: str | None = None,
        marker: str | None = None,
        end_marker: str | None = None,
        reverse: bool = False,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[ObjectEntry | SubdirEntry]:
        """The objects in name order (reversed with ``reverse``), fetched lazily.

        With a ``delimiter``, names that continue past it after ``prefix`` are folded into
        one :class:`SubdirEntry` each. Pages of ``page_size`` (at most 10 000) follow one
        another with ``marker``, so any number of objects can be listed.
        """
        return listing(
            self._pipeline,
            lambda after: ops.build_list_objects_request(
                self._name,
                ops.ListObjectsOptions(
                    limit=page_size,
                    marker=after,
                    end_marker=end_marker,
                    prefix=prefix,
                    delimiter=delimiter,
                    reverse=reverse,
                ),
            ),
            ops.parse_list_objects_response,
            marker=marker,
            page_size=page_size,
        )

    def delete_objects(self, names: Iterable[str]) -> BulkDeleteResult:
        """Delete many objects of this container with few requests; see
        :meth:`ObjectStorage.bulk_delete`."""
        return bulk_delete(self._pipeline, ((self._name, name) for name in names))

    def extract_archive(
        self,
        data: Data,
        *,
        archive_format: str = "tar",
        prefix: str | None = None,
        content_length: int | None = None,
        progress: Progress | None = None,
    ) -> ExtractArchiveResult:
        """Upload a tar archive (``tar``, ``tar.gz`` or ``tar.bz2``) and have Swift store each
        regular file in it as an object, named ``<prefix>/<path in the archive>`` (``prefix``
        is a folder; a trailing ``/`` changes nothing). The result counts the files and lists
        the failures; check ``result.ok``."""
        if archive_format not in {"tar", "tar.gz", "tar.bz2"}:
            raise ValueError(
                f"archive_format must be tar, tar.gz or tar.bz2, not {archive_format!r}"
            )
        # Swift strips trailing slashes from the upload path: "up/" and "up" both mean the folder.
        folder = check_object_name(prefix).rstrip("/") if prefix else ""
        upload_path = self._name + ("/" + folder if folder else "")
        body = UploadBody(data, content_length=content_length, progress=progress)
        response = self._pipeline.send(
            ops.build_extract_archive_request(
                upload_path,
                ops.ExtractArchiveOptions(
                    archive_format=archive_format, content_length=body.length
                ),
            ),
            body=body,
        )
        return parse_extract_archive(response.read(), http_status=response.status)


def bulk_delete(pipeline: Pipeline, items: Iterable[tuple[str, str | None]]) -> BulkDeleteResult:
    """See :meth:`selectel_objects.ObjectStorage.bulk_delete`."""
    results = []
    for payload in bulk_delete_bodies(items):
        response = pipeline.send(ops.build_bulk_delete_request(), body=UploadBody(payload))
        results.append(parse_bulk_delete(response.read(), http_status=response.status))
    return _merge_bulk_results(results)


def _merge_bulk_results(results: list[BulkDeleteResult]) -> BulkDeleteResult:
    if not results:
        return BulkDeleteResult(status=200, reason="OK", deleted=0, not_found=0, errors=())
    failed = [r for r in results if not 200 <= r.status < 300]
    worst = failed[0] if failed else results[-1]
    return BulkDeleteResult(
        status=worst.status,
        reason=worst.reason,
        deleted=sum(r.deleted for r in results),
        not_found=sum(r.not_found for r in results),
        errors=tuple(e for r in results for e in r.errors),
        response_body=worst.response_body,
    )
