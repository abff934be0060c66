"""Object operations of :class:`~selectel_objects.Container`."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import datetime

import attrs

from selectel_objects._client.base import ByteRange, guess_type, range_value
from selectel_objects._client.containers import ContainerMethods
from selectel_objects._client.reader import ObjectReader
from selectel_objects._features.bulk import (
    parse_bulk_delete,
)
from selectel_objects._pipeline.body import DEFAULT_CHUNK_SIZE, Data, Progress, UploadBody
from selectel_objects._protocol._generated import operations as ops
from selectel_objects._protocol._generated.models import (
    ObjectInfo,
    PutResult,
)
from selectel_objects._protocol.codec import MD5_HEX
from selectel_objects._protocol.http import HttpResponse
from selectel_objects._protocol.names import (
    check_object_name,
)
from selectel_objects.errors import (
    AlreadyExistsError,
    ChecksumMismatchError,
    NotFoundError,
    ObjectStorageError,
    ReadError,
)

__all__ = ["ObjectMethods"]


class ObjectMethods(ContainerMethods):
    """Objects: upload, download, read headers, delete."""

    def put_object(
        self,
        name: str,
        data: Data,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        cache_control: str | None = None,
        content_disposition: str | None = None,
        content_encoding: str | None = None,
        delete_at: int | datetime | None = None,
        delete_after: int | None = None,
        if_none_match: bool = False,
        content_length: int | None = None,
        etag: str | None = None,
        headers: Mapping[str, str] | None = None,
        progress: Progress | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> PutResult:
        """Store ``data`` as object ``name`` (replacing any object and its metadata).

        ``data``: bytes, str (sent as UTF-8), a binary file (streamed from its current
        position) or an iterable of bytes (streamed chunked unless ``content_length`` is
        given). Nothing is read into memory beyond ``chunk_size`` at a time.

        Integrity: bytes (and streams given their MD5 as ``etag``) are sent with it as
        ``ETag``, so Swift refuses a body that does not hash to it with 422 (retried) before
        the name is visible; a success answer then stands for that MD5. Other streamed data is
        hashed on the way and compared with the ETag Swift returns. On a mismatch the client
        asks Swift again (HEAD) before it touches anything: the stored ETag is the data's
        (the answer was damaged on the way) -> success; it is the one the answer named (Swift
        stored other bytes) -> the object is deleted; anything else (another writer, no
        answer) -> left alone. The last two raise :class:`ChecksumMismatchError`.

        Retries: bytes, str and seekable files are rewound and resent; a one-shot stream that
        needed a retry raises :class:`NotRewindableError` instead.

        ``metadata``: ``X-Object-Meta-*`` values (str); a ``None`` value leaves the key out.
        ``content_type`` defaults to a guess from the name. ``if_none_match=True`` only creates:
        :class:`AlreadyExistsError` when the object exists. ``delete_at`` (Unix time or an
        aware datetime) / ``delete_after`` (seconds) make Swift delete it later.
        ``progress(bytes_sent, total)`` is called as the body goes out.
        """
        check_object_name(name)
        body = UploadBody(
            data, content_length=content_length, progress=progress, chunk_size=chunk_size
        )
        if etag is not None:
            given = etag.strip().strip('"').lower()
            if not MD5_HEX.fullmatch(given):
                raise ValueError(f"etag must be an MD5 hex digest, not {etag!r}")
            if body.md5 is not None and body.md5 != given:
                raise ValueError(f"etag={etag!r} but the data hashes to {body.md5}")
            body.md5 = given
        if content_type is None:
            content_type = guess_type(name)
            if isinstance(data, str) and content_type.startswith("text/"):
                content_type += "; charset=utf-8"
        when = int(delete_at.timestamp()) if isinstance(delete_at, datetime) else delete_at
        errors = {412: AlreadyExistsError} if if_none_match else None
        response = self._pipeline.send(
            ops.build_put_object_request(
                self._name,
                name,
                ops.PutObjectOptions(
                    content_length=body.length,
                    content_type=content_type,
                    etag=body.md5,
                    metadata=metadata,
                    cache_control=cache_control,
                    content_disposition=content_disposition,
                    content_encoding=content_encoding,
                    delete_at=when,
                    delete_after=delete_after,
                    if_none_match=if_none_match,
                    headers=headers,
                ),
            ),
            body=body,
            errors=errors,
            # A create-only PUT whose answer was lost and that is sent again finds the object
            # it stored: 412 then means success if the object is the data sent.
            ok_after_retry=frozenset({412}) if if_none_match else frozenset(),
        )
        if response.status == 412:
            return self._created_by_this_upload(name, body)
        result = ops.parse_put_object_response(response.headers)
        if body.md5 is not None:
            # Swift checked the body against the ETag sent (422 otherwise): a different ETag in
            # its answer was changed on the way.
            return attrs.evolve(result, etag=body.md5)
        if result.etag is not None and result.etag != body.sent_md5:
            return self._verify_stored(name, result, body.sent_md5, response.status)
        return result

    def _verify_stored(
        self, name: str, answered: PutResult, sent: str | None, status: int
    ) -> PutResult:
        """The PUT's answer names another ETag than the data sent: ask Swift what it has."""
        try:
            stored: str | None = self.head_object(name).etag
        except ObjectStorageError:
            stored = None
        if stored is not None and stored == sent:
            return attrs.evolve(answered, etag=stored)
        if stored is not None and stored == answered.etag:
            self._delete_quietly(name)
            outcome = "the object was deleted"
        else:
            outcome = f"left as it is (Swift now has ETag {stored})"
        raise ChecksumMismatchError(
            f"{self._name}/{name}: Swift stored ETag {answered.etag} but the data sent hashes "
            f"to {sent}; {outcome}",
            status=status,
            request_id=answered.request_id,
        )

    def _created_by_this_upload(self, name: str, body: UploadBody) -> PutResult:
        info = self.head_object(name)
        sent = body.md5 or body.sent_md5
        if sent is None or info.etag != sent:
            raise AlreadyExistsError(
                f"{self._name}/{name} already exists", status=412, request_id=info.request_id
            )
        return PutResult(
            etag=info.etag, last_modified=info.last_modified, request_id=info.request_id
        )

    def _delete_quietly(self, name: str) -> None:
        # The checksum error that follows is the one that matters.
        with contextlib.suppress(ObjectStorageError):
            self.delete_object(name, missing_ok=True)

    def open_object(
        self,
        name: str,
        *,
        range: ByteRange | None = None,
        if_match: str | None = None,
        if_none_match: str | None = None,
        if_modified_since: datetime | None = None,
        if_unmodified_since: datetime | None = None,
        progress: Progress | None = None,
        verify_checksum: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> ObjectReader:
        """Open the object for streaming reads: an :class:`ObjectReader` (a binary file).

        ``range``: ``(first, last)`` inclusive byte positions, ``(first, None)`` to the end,
        ``(None, n)`` the last n bytes. Conditions: ``if_match`` /
        ``if_unmodified_since`` fail with :class:`PreconditionFailedError`, ``if_none_match``
        / ``if_modified_since`` with :class:`NotModifiedError`. ``progress(bytes_read,
        total)`` is called as the body arrives. Close the reader (or use ``with``).
        """
        check_object_name(name)
        range_header = range_value(range)
        response = self._pipeline.send(
            ops.build_get_object_request(
                self._name,
                name,
                ops.GetObjectOptions(
                    range=range_header,
                    if_match=if_match,
                    if_none_match=if_none_match,
                    if_modified_since=if_modified_since,
                    if_unmodified_since=if_unmodified_since,
                    headers=headers,
                ),
            ),
            stream=True,
        )

        def reopen(first: int, last: int, etag: str | None) -> HttpResponse:
            again = self._pipeline.send(
                ops.build_get_object_request(
                    self._name,
                    name,
                    ops.GetObjectOptions(
                        range=f"bytes={first}-{last}",
                        if_match=f'"{etag}"' if etag else None,
                        headers=headers,
                    ),
                ),
                stream=True,
            )
            content_range = again.headers.get("Content-Range", "")
            if again.status != 206 or not content_range.startswith(f"bytes {first}-"):
                again.close()
                raise ReadError(f"{self._name}/{name}: could not resume the download at {first}")
            return again

        return ObjectReader(
            response,
            name=name,
            reopen=reopen,
            retry=self._pipeline.retry,
            progress=progress,
            verify_checksum=verify_checksum,
        )

    def get_object_bytes(
        self,
        name: str,
        *,
        range: ByteRange | None = None,
        if_match: str | None = None,
        progress: Progress | None = None,
    ) -> bytes:
        """The whole object (or ``range`` of it) as bytes, checked against its ETag."""
        with self.open_object(name, range=range, if_match=if_match, progress=progress) as reader:
            return reader.readall()

    def head_object(
        self,
        name: str,
        *,
        if_match: str | None = None,
        if_none_match: str | None = None,
        if_modified_since: datetime | None = None,
        if_unmodified_since: datetime | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """Size, type, ETag, dates and metadata; :class:`NotFoundError` when absent."""
        check_object_name(name)
        response = self._pipeline.send(
            ops.build_head_object_request(
                self._name,
                name,
                ops.HeadObjectOptions(
                    if_match=if_match,
                    if_none_match=if_none_match,
                    if_modified_since=if_modified_since,
                    if_unmodified_since=if_unmodified_since,
                    headers=headers,
                ),
            )
        )
        return ops.parse_head_object_response(response.headers)

    def object_exists(self, name: str) -> bool:
        """Whether the object exists (one HEAD)."""
        try:
            self.head_object(name)
        except NotFoundError:
            return False
        return True

    def delete_object(
        self,
        name: str,
        *,
        missing_ok: bool = False,
        delete_segments: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Delete the object; :class:`NotFoundError` when absent unless ``missing_ok``.

        For a Static Large Object this deletes the manifest only, unless ``delete_segments``:
        then its segments go too (a segment Swift could not delete raises
        :class:`ObjectStorageError`). Other objects, DLO manifests included, are deleted alone
        either way.
        """
        check_object_name(name)
        if delete_segments:
            self._delete_with_segments(name, missing_ok=missing_ok, headers=headers)
            return
        try:
            self._pipeline.send(
                ops.build_delete_object_request(
                    self._name, name, ops.DeleteObjectOptions(headers=headers)
                ),
                ok_after_retry=frozenset({404}),
            )
        except NotFoundError:
            if not missing_ok:
                raise

    def _delete_with_segments(
        self, name: str, *, missing_ok: bool, headers: Mapping[str, str] | None
    ) -> None:
        """Delete object ``name`` and, when it is a Static Large Object, its segments.

        Swift answers ``?multipart-manifest=delete`` with 200 and the outcome in the body: read
        it, so that a segment left behind is an error, not a silent success.
        """
        try:
            response = self._pipeline.send(
                ops.build_delete_object_request(
                    self._name,
                    name,
                    ops.DeleteObjectOptions(
                        multipart_manifest="delete",
                        headers={"Accept": "application/json", **(headers or {})},
                    ),
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
            raise NotFoundError(f"{self._name}/{name}: not found", status=404)
        if not result.deleted and any(
            error.status == 400 or "not an slo manifest" in error.reason.lower()
            for error in result.errors
        ):
            # An ordinary object (or a DLO manifest): Swift refuses it with "Not an SLO manifest".
            self.delete_object(name, missing_ok=missing_ok, headers=headers)
            return
        problems = "; ".join(f"{e.path}: {e.reason}" for e in result.errors) or result.reason
        raise ObjectStorageError(
            f"{self._name}/{name}: deleting the large object failed ({problems})",
            status=result.status,
        )
