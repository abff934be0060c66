"""The container client, :class:`Container`: the container, its objects, signed URLs."""

from __future__ import annotations

import contextlib
import functools
import math
import mimetypes
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, BinaryIO

import attrs

from selectel_objects import _large
from selectel_objects._body import DEFAULT_CHUNK_SIZE, Data, Progress, UploadBody
from selectel_objects._bulk import BulkDeleteResult, ExtractArchiveResult, parse_extract_archive
from selectel_objects._formpost import FormPostForm, sign_form_post
from selectel_objects._generated import operations as ops
from selectel_objects._generated.models import (
    ContainerInfo,
    CopyResult,
    ObjectEntry,
    ObjectInfo,
    PutResult,
    SubdirEntry,
)
from selectel_objects._http import HttpResponse
from selectel_objects._listing import MAX_PAGE_SIZE, listing
from selectel_objects._names import (
    check_container_name,
    check_object_name,
    object_path,
    quote_container,
    quote_object,
)
from selectel_objects._reader import ObjectReader
from selectel_objects._sendmefile import SendMeFileVariant, build_sendmefile_link
from selectel_objects._tempurl import sign_temp_url
from selectel_objects.errors import (
    AlreadyExistsError,
    ChecksumMismatchError,
    NotFoundError,
    ObjectStorageError,
    ReadError,
)

if TYPE_CHECKING:
    from selectel_objects._account import ObjectStorage

__all__ = ["ByteRange", "Container", "guess_type"]

_MD5_HEX = re.compile(r"[0-9a-f]{32}")

ByteRange = tuple[int | None, int | None]


def _range_header(byte_range: ByteRange | None) -> str | None:
    if byte_range is None:
        return None
    first, last = byte_range
    if first is None and last is None:
        raise ValueError("range needs a start, an end, or both")
    if first is None:
        assert last is not None
        if last <= 0:
            raise ValueError("a suffix range (None, n) needs n > 0")
        return f"bytes=-{last}"
    if first < 0 or (last is not None and last < first):
        raise ValueError(f"invalid byte range {byte_range!r}: want 0 <= start <= end")
    return f"bytes={first}-" if last is None else f"bytes={first}-{last}"


def guess_type(name: str) -> str:
    """The content type an object name suggests, ``application/octet-stream`` if none."""
    # The type depends on the name's extensions only: look each one up once.
    base = name.rpartition("/")[2].lstrip(".")
    dot = base.find(".")
    return _type_of_extensions(base[dot:] if dot >= 0 else "")


@functools.lru_cache(maxsize=512)
def _type_of_extensions(extensions: str) -> str:
    guessed, _encoding = mimetypes.guess_type(f"x{extensions}", strict=False)
    return guessed or "application/octet-stream"


def _expires(expires_in: float | None, expires_at: int | datetime | None) -> int:
    if (expires_in is None) == (expires_at is None):
        raise ValueError("give expires_in (seconds from now) or expires_at, not both or neither")
    if expires_at is not None:
        return int(expires_at.timestamp()) if isinstance(expires_at, datetime) else expires_at
    assert expires_in is not None
    if expires_in <= 0:
        raise ValueError(f"expires_in must be > 0 seconds, not {expires_in!r}")
    return math.ceil(time.time() + expires_in)


class Container:
    """A client for one container; get it from :meth:`ObjectStorage.container`.

    Cheap to create, shares its storage's connection pool, thread-safe.
    """

    def __init__(
        self, storage: ObjectStorage, name: str, *, public_base_url: str | None = None
    ) -> None:
        self._storage = storage
        self._pipeline = storage._pipeline
        self._name = check_container_name(name)
        self._public_base_url = public_base_url.rstrip("/") if public_base_url else None

    def __repr__(self) -> str:
        return f"Container({self._name!r})"

    @property
    def name(self) -> str:
        """The container name."""
        return self._name

    @property
    def storage(self) -> ObjectStorage:
        """The account client this container belongs to."""
        return self._storage

    # -- the container ----------------------------------------------------------------------

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
            lambda base: ops.build_put_container_request(
                base,
                self._name,
                metadata=metadata,
                read_acl=read_acl,
                write_acl=write_acl,
                container_type=container_type,
                storage_policy=storage_policy,
                headers=headers,
            )
        )
        if response.status == 202 and not exist_ok:
            raise AlreadyExistsError(f"container {self._name!r} already exists", status=202)
        return response.status == 201

    def info(self) -> ContainerInfo:
        """Totals, ACLs, type and metadata; :class:`NotFoundError` when it does not exist."""
        response = self._pipeline.send(
            lambda base: ops.build_head_container_request(base, self._name)
        )
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
                lambda base: ops.build_delete_container_request(base, self._name),
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
            lambda base: ops.build_post_container_request(
                base,
                self._name,
                metadata=metadata,
                read_acl=read_acl,
                write_acl=write_acl,
                container_type=container_type,
                temp_url_key=temp_url_key,
                temp_url_key_2=temp_url_key_2,
                headers=headers,
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
            lambda base, after: ops.build_list_objects_request(
                base,
                self._name,
                limit=page_size,
                marker=after,
                end_marker=end_marker,
                prefix=prefix,
                delimiter=delimiter,
                reverse=reverse,
            ),
            ops.parse_list_objects_response,
            marker=marker,
            page_size=page_size,
        )

    # -- objects ----------------------------------------------------------------------------

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
            if not _MD5_HEX.fullmatch(given):
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
            lambda base: ops.build_put_object_request(
                base,
                self._name,
                name,
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
        range_header = _range_header(range)
        response = self._pipeline.send(
            lambda base: ops.build_get_object_request(
                base,
                self._name,
                name,
                range=range_header,
                if_match=if_match,
                if_none_match=if_none_match,
                if_modified_since=if_modified_since,
                if_unmodified_since=if_unmodified_since,
                headers=headers,
            ),
            stream=True,
        )

        def reopen(first: int, last: int, etag: str | None) -> HttpResponse:
            again = self._pipeline.send(
                lambda base: ops.build_get_object_request(
                    base,
                    self._name,
                    name,
                    range=f"bytes={first}-{last}",
                    if_match=f'"{etag}"' if etag else None,
                    headers=headers,
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
            retry=self._storage.retry,
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
            lambda base: ops.build_head_object_request(
                base,
                self._name,
                name,
                if_match=if_match,
                if_none_match=if_none_match,
                if_modified_since=if_modified_since,
                if_unmodified_since=if_unmodified_since,
                headers=headers,
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
            _large.delete_with_segments(self, name, missing_ok=missing_ok, headers=headers)
            return
        try:
            self._pipeline.send(
                lambda base: ops.build_delete_object_request(
                    base, self._name, name, headers=headers
                ),
                ok_after_retry=frozenset({404}),
            )
        except NotFoundError:
            if not missing_ok:
                raise

    def copy_object(
        self,
        name: str,
        dest_container: str | Container,
        dest_name: str | None = None,
        *,
        metadata: Mapping[str, str] | None = None,
        fresh_metadata: bool = False,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> CopyResult:
        """Copy object ``name`` on the server to ``dest_container`` / ``dest_name`` (default:
        the same name). The copy keeps the source's metadata, updated by ``metadata``, or only
        ``metadata`` with ``fresh_metadata=True`` (then a ``None`` value leaves the key out;
        without it ``None`` is refused: a copy cannot drop a source key). The destination
        container must exist.
        """
        check_object_name(name)
        if not fresh_metadata and metadata and any(v is None for v in metadata.values()):
            # A copy merges the source's metadata with these keys; Swift cannot drop one
            # there (an empty value is stored as such).
            raise ValueError(
                "metadata: None (remove the key) needs fresh_metadata=True in copy_object"
            )
        target = dest_container.name if isinstance(dest_container, Container) else dest_container
        check_container_name(target)
        target_name = check_object_name(dest_name if dest_name is not None else name)
        response = self._pipeline.send(
            lambda base: ops.build_copy_object_request(
                base,
                self._name,
                name,
                destination=object_path(target, target_name),
                metadata=metadata,
                fresh_metadata=fresh_metadata,
                content_type=content_type,
                headers=headers,
            )
        )
        return ops.parse_copy_object_response(response.headers)

    def post_object_metadata(
        self,
        name: str,
        metadata: Mapping[str, str] | None = None,
        *,
        content_type: str | None = None,
        cache_control: str | None = None,
        content_disposition: str | None = None,
        content_encoding: str | None = None,
        delete_at: int | datetime | None = None,
        delete_after: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Replace the object's metadata with ``metadata`` (one POST).

        Swift drops every ``X-Object-Meta-*`` key, ``Cache-Control``, ``Content-Disposition``,
        ``Content-Encoding`` and ``X-Delete-At`` not sent again. To change some keys and keep
        the rest, use :meth:`update_object_metadata`. A ``None`` value leaves the key out.
        ``delete_after`` is sent as the absolute ``X-Delete-At`` it means now (this machine's
        clock), so that a retried POST does not push the deletion back.
        """
        check_object_name(name)
        when = int(delete_at.timestamp()) if isinstance(delete_at, datetime) else delete_at
        if delete_after is not None:
            if when is not None:
                raise ValueError("give delete_at or delete_after, not both")
            # Computed once: a POST sent again (its answer lost) must not restart the clock,
            # as a relative X-Delete-After would.
            when = math.ceil(time.time()) + int(delete_after)
        self._pipeline.send(
            lambda base: ops.build_post_object_request(
                base,
                self._name,
                name,
                metadata=metadata,
                content_type=content_type,
                cache_control=cache_control,
                content_disposition=content_disposition,
                content_encoding=content_encoding,
                delete_at=when,
                headers=headers,
            )
        )

    def update_object_metadata(
        self, name: str, changes: Mapping[str, str | None]
    ) -> dict[str, str]:
        """Set (or with ``None`` remove) some metadata keys and keep the others.

        Reads the object's headers, merges, and posts them back (with its ``Cache-Control``,
        ``Content-Disposition``, ``Content-Encoding`` and ``X-Delete-At``). Not atomic: a
        concurrent update between the read and the write is lost. Returns the new metadata.
        """
        info = self.head_object(name)
        merged = dict(info.metadata)
        for key, value in changes.items():
            if value is None:
                merged.pop(key.lower(), None)
            else:
                merged[key.lower()] = value
        self.post_object_metadata(
            name,
            merged,
            content_type=info.content_type,
            cache_control=info.cache_control,
            content_disposition=info.content_disposition,
            content_encoding=info.content_encoding,
            delete_at=info.delete_at,
        )
        return merged

    def public_url(self, name: str) -> str:
        """The anonymous URL of object ``name``.

        With ``public_base_url`` (given to :meth:`ObjectStorage.container`):
        ``<public_base_url>/<name>``; otherwise ``<storage_url>/<container>/<name>``, which
        serves anonymous readers once the container is public (``read_acl=".r:*"`` or
        Selectel's ``container_type="public"``). Offline once the storage URL is known.
        """
        if self._public_base_url is not None:
            return f"{self._public_base_url}/{quote_object(check_object_name(name))}"
        return self._object_url(name)

    # -- signed URLs and forms (offline once the storage URL is known) -----------------------

    def _offline_url(self) -> str:
        """``<storage_url>/<container>``, built without a request."""
        base = self._storage.known_storage_url
        if base is None:
            raise ObjectStorageError(
                "the storage URL is not known yet (no request has been made): pass "
                "storage_url= to ObjectStorage, or public_base_url= to container() for "
                "public URLs"
            )
        return f"{base}/{quote_container(self._name)}"

    def _object_url(self, name: str) -> str:
        check_object_name(name)
        return f"{self._offline_url()}/{quote_object(name)}"

    def temp_url(
        self,
        name: str,
        *,
        key: str | bytes,
        expires_in: float | None = None,
        expires_at: int | datetime | None = None,
        method: str = "GET",
        digest: str = "sha256",
        filename: str | None = None,
        inline: bool = False,
        ip_range: str | None = None,
    ) -> str:
        """A TempURL: anyone holding it may ``method`` the object until it expires.

        ``key`` is the account's (or this container's) Temp-URL key (see
        :meth:`ObjectStorage.set_account_metadata`). Give ``expires_in`` seconds or
        ``expires_at`` (Unix time or aware datetime). ``digest`` must be one the cluster allows
        (``storage.info()["tempurl"]["allowed_digests"]``). ``filename`` makes a download an
        attachment of that name, ``inline`` shows it in the browser; ``ip_range`` limits the
        clients. No request is made once the storage URL is known.
        """
        return sign_temp_url(
            method=method,
            url_or_path=self._object_url(name),
            key=key,
            expires=_expires(expires_in, expires_at),
            digest=digest,
            filename=filename,
            inline=inline,
            ip_range=ip_range,
        )

    def form_post(
        self,
        *,
        key: str | bytes,
        max_file_size: int,
        max_file_count: int = 1,
        prefix: str = "",
        expires_in: float | None = None,
        expires_at: int | datetime | None = None,
        redirect: str | None = None,
        digest: str = "sha256",
        delete_after: int | None = None,
    ) -> FormPostForm:
        """A signed browser upload form (Swift FormPost): POST ``multipart/form-data`` with
        ``form.fields`` (before the file fields) to ``form.action``. Files are stored as
        ``<prefix><filename>``. ``key`` is a Temp-URL key; see :meth:`temp_url` for expiry."""
        action = self._offline_url()
        if prefix:
            action += "/" + quote_object(check_object_name(prefix))
        return sign_form_post(
            url_or_path=action,
            key=key,
            expires=_expires(expires_in, expires_at),
            max_file_size=max_file_size,
            max_file_count=max_file_count,
            redirect=redirect,
            digest=digest,
            x_delete_after=delete_after,
        )

    def create_sendmefile_link(
        self,
        name: str,
        *,
        variant: SendMeFileVariant = "plain",
        disable_web: bool | None = None,
        max_size: int | None = None,
        allow_overwrite: bool | None = None,
        default_expire: int | None = None,
        expire: int | None = None,
        delete_at: int | None = None,
        ignore_filename: bool | None = None,
        password: str | bytes | None = None,
        help_text: str | None = None,
    ) -> PutResult:
        """Create a Selectel *sendmefile* upload link at ``name`` (legacy storage only):
        anyone may then PUT files to :meth:`public_url` of ``name``.

        Options left as ``None`` are not sent (the service default applies): ``disable_web``
        turns off the web upload form; ``max_size`` caps an upload; ``allow_overwrite`` lets
        uploads replace objects; ``default_expire`` and ``expire`` are seconds (at least
        3600); ``delete_at`` is a Unix time; ``ignore_filename`` ignores the uploader's file
        name; ``password`` protects the link (only its SHA-1 is sent); ``help_text`` is shown
        on the web form."""
        headers, body = build_sendmefile_link(
            variant=variant,
            disable_web=disable_web,
            max_size=max_size,
            allow_overwrite=allow_overwrite,
            default_expire=default_expire,
            expire=expire,
            delete_at=delete_at,
            ignore_filename=ignore_filename,
            password=password,
            help_text=help_text,
        )
        content_type = headers.pop("Content-Type")
        return self.put_object(name, body, content_type=content_type, headers=headers)

    # -- many objects at once ---------------------------------------------------------------

    def delete_objects(self, names: Iterable[str]) -> BulkDeleteResult:
        """Delete many objects of this container with few requests; see
        :meth:`ObjectStorage.bulk_delete`."""
        return self._storage.bulk_delete((self._name, name) for name in names)

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
            lambda base: ops.build_extract_archive_request(
                base, upload_path, archive_format=archive_format, content_length=body.length
            ),
            body=body,
        )
        return parse_extract_archive(response.read(), http_status=response.status)

    def upload_large(
        self,
        name: str,
        data: BinaryIO | Iterable[bytes] | bytes,
        *,
        segment_size: int = _large.DEFAULT_SEGMENT_SIZE,
        segment_container: str | None = None,
        threads: int = _large.DEFAULT_THREADS,
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
        return _large.upload_large(
            self,
            name,
            data,
            segment_size=segment_size,
            segment_container=segment_container,
            threads=threads,
            upload_id=upload_id,
            delete_old_segments=delete_old_segments,
            progress=progress,
            manifest_options={
                "content_type": content_type or guess_type(name),
                "metadata": metadata,
                "cache_control": cache_control,
                "content_disposition": content_disposition,
                "content_encoding": content_encoding,
                "delete_at": (
                    int(delete_at.timestamp()) if isinstance(delete_at, datetime) else delete_at
                ),
                "delete_after": delete_after,
                "if_none_match": if_none_match,
                "headers": headers,
            },
        )
