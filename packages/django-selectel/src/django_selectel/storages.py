"""Django storages for Selectel Cloud Storage.

* :class:`SelectelStorage`: one container (plus an optional ``location`` prefix).
* :class:`ApiStorage`: django-selectel 2.x compatible, the first folder of a name is the container.
* :class:`SelectelStaticStorage` and :class:`ManifestSelectelStaticStorage`: for ``collectstatic``.
"""

from __future__ import annotations

import hashlib
import io
import logging
import mimetypes
import pickle
import posixpath
import re
import threading
import time
import weakref
import zlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import IO, Any, ClassVar, Final
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage
from django.core.files.utils import validate_file_name
from django.utils.module_loading import import_string
from selectel_objects import (
    AlreadyExistsError,
    Container,
    FormPostForm,
    NotFoundError,
    ObjectEntry,
    ObjectInfo,
    ObjectReader,
    ObjectStorage,
    PutResult,
    SendMeFileVariant,
    SubdirEntry,
)

from django_selectel import _config
from django_selectel._clients import get_client
from django_selectel._config import StorageConfig
from django_selectel._files import ObjectRaw, SelectelFile, new_spool, open_read_stream
from django_selectel._names import clean_name, join_location

__all__ = [
    "ApiStorage",
    "ManifestSelectelStaticStorage",
    "SelectelStaticStorage",
    "SelectelStorage",
]

_READ_MODES: Final = {"rb": False, "r": True}
_WRITE_MODES: Final = {"wb": False, "w": True}
_MAX_NAME_ATTEMPTS: Final = 100
_CHUNK: Final = 64 * 1024
_UNCOMPRESSED_SIZE_META: Final = "uncompressed-size"
# Metadata for the upload in progress (save_with_metadata); a context variable keeps the
# storage itself free of per-call state, so threads cannot see each other's metadata.
_EXTRA_METADATA: ContextVar[Mapping[str, str]] = ContextVar(
    "_EXTRA_METADATA", default=MappingProxyType({})
)
# Headers the storage itself owns; object_parameters may not set them.
_RESERVED_HEADERS: Final = frozenset(
    {"content-length", "transfer-encoding", "etag", "if-none-match", "x-auth-token", "range"}
)


@dataclass(frozen=True)
class _Body:
    """An upload body rewound to its start, with its exact length."""

    stream: IO[bytes]
    length: int
    owned: bool  # a temporary copy the storage made (and must close)
    uncompressed: int | None = None


def _storages_alias(cls: type, kwargs: Mapping[str, Any]) -> str | None:
    """The ``settings.STORAGES`` alias this instance was built from, if any.

    Django builds ``STORAGES`` entries as ``BACKEND(**OPTIONS)``; an instance with exactly
    those arguments can be described by its alias instead of by its options (and secrets).
    """
    if "alias" in kwargs:
        return None
    storages = getattr(settings, "STORAGES", None)
    if not isinstance(storages, Mapping):
        return None
    for alias, entry in storages.items():
        if not isinstance(entry, Mapping) or dict(entry.get("OPTIONS") or {}) != dict(kwargs):
            continue
        try:
            backend = import_string(entry.get("BACKEND", ""))
        except ImportError:
            continue
        if backend is cls:
            return str(alias)
    return None


def _public_kwargs(given: Mapping[str, Any]) -> dict[str, Any]:
    """Constructor arguments minus credentials and secrets (a DSN keeps its other parts)."""
    out: dict[str, Any] = {}
    for name, value in given.items():
        if (
            name in ("dsn", "storage")
            and isinstance(value, str)
            and value.startswith("selectel://")
        ):
            parts = _config.parse_dsn(value, name)
            out.update(
                (k, v)
                for k, v in parts.items()
                if k not in _config.CREDENTIAL_OPTIONS and k not in _config.SECRET_OPTIONS
            )
            continue
        if name in _config.CREDENTIAL_OPTIONS or name in _config.SECRET_OPTIONS:
            continue
        out[name] = value
    # Explicit options win over the parts of a DSN, as they do at construction.
    out.update(
        (k, v)
        for k, v in given.items()
        if k in out and k not in ("dsn", "storage") and k not in _config.CREDENTIAL_OPTIONS
    )
    return out


def _carries_secrets(given: Mapping[str, Any]) -> bool:
    for name, value in given.items():
        if value is None:
            continue
        if name in _config.CREDENTIAL_OPTIONS or name in _config.SECRET_OPTIONS:
            return True
        if (
            name in ("dsn", "storage")
            and isinstance(value, str)
            and value.startswith("selectel://")
        ):
            parts = _config.parse_dsn(value, name)
            if any(k in parts for k in _config.SECRET_OPTIONS | {"user"}):
                return True
    return False


def _put_arguments(params: Mapping[str, str]) -> dict[str, Any]:
    """Map ``object_parameters`` headers onto ``Container.put_object`` keywords."""
    kwargs: dict[str, Any] = {}
    metadata: dict[str, str] = {}
    headers: dict[str, str] = {}
    for name, value in params.items():
        lower = name.lower()
        if lower in _RESERVED_HEADERS:
            raise ImproperlyConfigured(f"object_parameters may not set {name!r}")
        if lower == "content-type":
            kwargs["content_type"] = value
        elif lower == "cache-control":
            kwargs["cache_control"] = value
        elif lower == "content-disposition":
            kwargs["content_disposition"] = value
        elif lower == "content-encoding":
            kwargs["content_encoding"] = value
        elif lower in ("x-delete-after", "x-delete-at"):
            try:
                number = int(value)
            except ValueError:
                raise ImproperlyConfigured(
                    f"object_parameters[{name!r}] must be an integer"
                ) from None
            kwargs["delete_after" if lower == "x-delete-after" else "delete_at"] = number
        elif lower.startswith("x-object-meta-"):
            metadata[lower.removeprefix("x-object-meta-")] = value
        else:
            headers[name] = value
    if metadata:
        kwargs["metadata"] = metadata
    if headers:
        kwargs["headers"] = headers
    return kwargs


def _as_datetime(value: datetime) -> datetime:
    """Swift's UTC timestamps as Django expects: aware with USE_TZ, naive local time without."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    if settings.USE_TZ:
        return aware.astimezone(timezone.utc)
    return aware.astimezone().replace(tzinfo=None)


logger = logging.getLogger("django_selectel")


class SelectelStorage(Storage):
    """A Django storage on one Selectel (OpenStack Swift) container.

    Configure it with ``STORAGES[alias]["OPTIONS"]`` (snake_case options, see the README),
    with keyword arguments, or through the settings of the packages it replaces: a
    ``SELECTEL_STORAGES`` schema name or a ``selectel://`` DSN as the first argument
    (``storage=``/``dsn=``), exactly as django-selectel-storage 1.x took them. Settings are
    read when the storage is built; no request is made until the first file operation.

    The storage is deconstructible: :meth:`deconstruct` (hence migrations and pickles) never
    contains credentials. A storage built from ``STORAGES`` is described by its alias.
    """

    #: Options applied before any settings; subclasses change them.
    default_options: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, storage: str | None = None, **options: Any) -> None:
        given = dict(options)
        if storage is not None:
            given["storage"] = storage
        self._setup(given, given)

    # --- configuration -------------------------------------------------------------------

    @classmethod
    def _fallback_options(cls) -> dict[str, Any] | None:
        """Settings used when nothing else names credentials: the 1.x ``default`` schema."""
        return _config.seed2_default()

    @classmethod
    def resolve_config(cls, options: Mapping[str, Any]) -> StorageConfig:
        """The configuration an instance built with ``options`` would have (no instance made)."""
        resolved = _config.resolve_options(
            options, class_defaults=cls.default_options, fallback=cls._fallback_options()
        )
        return _config.build_config(resolved, f"{cls.__name__} options")

    def _setup(self, given: Mapping[str, Any], options: Mapping[str, Any]) -> None:
        self._given = dict(given)
        self._config = self.resolve_config(options)
        _put_arguments(self._config.object_parameters)  # reject bad headers now, not at upload
        self._alias = _storages_alias(type(self), given)

    @property
    def config(self) -> StorageConfig:
        """The resolved configuration (secrets are hidden from its ``repr``)."""
        return self._config

    def __repr__(self) -> str:
        where = self._config.container or "<first folder>"
        if self._config.location:
            where = f"{where}/{self._config.location}"
        return f"<{type(self).__name__} {where}>"

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        """Import path and arguments that rebuild this storage from settings.

        Credentials and secrets are left out: a storage built from ``STORAGES`` becomes
        ``alias=<name>``; otherwise the non-secret arguments are kept (a DSN keeps its
        container and domain). The rebuilt storage reads credentials from settings again.
        """
        path = f"{type(self).__module__}.{type(self).__qualname__}"
        if self._alias is not None:
            return path, (), {"alias": self._alias}
        return path, (), _public_kwargs(self._given)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the settings reference only: never a token, a password or a client."""
        if self._alias is None and _carries_secrets(self._given):
            raise pickle.PicklingError(
                f"{type(self).__name__} was given credentials as arguments, and a pickle never "
                "carries credentials: configure them in settings (STORAGES OPTIONS, "
                "SELECTEL_STORAGES or SELECTEL_STORAGE) so that the unpickled storage can read "
                "them again"
            )
        return {"kwargs": self.deconstruct()[2]}

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        type(self).__init__(self, **state["kwargs"])

    def __copy__(self) -> SelectelStorage:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> SelectelStorage:
        # Configuration is immutable and clients are shared per process: a copy is the same.
        return self

    # --- clients and names ---------------------------------------------------------------

    @property
    def client(self) -> ObjectStorage:
        """The shared :class:`selectel_objects.ObjectStorage` (built on first use, no request)."""
        return get_client(self._config).objects

    def known_storage_url(self) -> str | None:
        """The storage URL if it is known without a request (configured, or seen already)."""
        return self.client.known_storage_url

    def _container(self, name: str) -> Container:
        """The container to upload into; with ``auto_create_container``, created once."""
        if self._config.auto_create_container:
            get_client(self._config).ensure_container(name)
        return self.client.container(name)

    def _split(self, name: str) -> tuple[str, str]:
        """``(container, name inside it)`` for a clean Django name."""
        container = self._config.container
        if container is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__} has no 'container' option: set it in STORAGES OPTIONS"
            )
        return container, name

    def _locate(self, name: object) -> tuple[str, str, str]:
        """``(clean Django name, container, object name)``: every name goes through here."""
        clean = clean_name(name)
        container, inner = self._split(clean)
        return clean, container, join_location(self._config.location, inner)

    def _prefix(self, path: object) -> tuple[str, str]:
        """``(container, listing prefix ending in '/' or empty)`` for a directory path."""
        clean = clean_name(path, allow_empty=True)
        container, inner = self._split(clean)
        prefix = join_location(self._config.location, inner)
        return container, f"{prefix}/" if prefix else ""

    # --- reading -------------------------------------------------------------------------

    def _open(self, name: str, mode: str = "rb") -> SelectelFile:
        clean, container_name, object_name = self._locate(name)
        if mode in _WRITE_MODES:
            spool = new_spool()
            stream: IO[Any] = (
                io.TextIOWrapper(spool, encoding="utf-8") if _WRITE_MODES[mode] else spool
            )

            def upload(data: IO[bytes]) -> None:
                self._store(clean, File(data, clean), max_length=None, overwrite=True)

            return SelectelFile(
                stream,
                clean,
                mode,
                spool=spool,
                upload=upload,
                reopen=lambda m: self._open(clean, m),
            )
        if mode not in _READ_MODES:
            raise ValueError(
                f"unsupported mode {mode!r}: Selectel files open as 'rb', 'r', 'wb' or 'w'"
            )

        container = self.client.container(container_name)
        try:
            reader = container.open_object(object_name)
        except NotFoundError:
            raise FileNotFoundError(f"{clean!r} does not exist") from None
        info = reader.info
        gzipped = (info.content_encoding or "").lower() == "gzip"
        etag = info.etag

        def reopen(offset: int) -> ObjectReader:
            # Pinned to the ETag: a seek never splices two versions of the object together.
            match = f'"{etag}"' if etag else None
            return container.open_object(object_name, range=(offset, None), if_match=match)

        raw = ObjectRaw(reader, info.content_length, reopen)
        size = self._uncompressed_size(info) if gzipped else info.content_length
        return SelectelFile(
            open_read_stream(raw, gzipped=gzipped, text=_READ_MODES[mode]),
            clean,
            mode,
            size=size,
            size_of=lambda: self.size(clean),
            reopen=lambda m: self._open(clean, m),
        )

    @staticmethod
    def _uncompressed_size(info: ObjectInfo) -> int | None:
        raw = info.metadata.get(_UNCOMPRESSED_SIZE_META)
        return int(raw) if raw is not None and raw.isdigit() else None

    def _head(self, name: str) -> tuple[str, ObjectInfo]:
        clean, container, object_name = self._locate(name)
        try:
            return clean, self.client.container(container).head_object(object_name)
        except NotFoundError:
            raise FileNotFoundError(f"{clean!r} does not exist") from None

    def exists(self, name: str) -> bool:
        """One HEAD request. The root (``""``) always exists; folders are not objects."""
        if clean_name(name, allow_empty=True) == "":
            return True
        _, container, object_name = self._locate(name)
        return bool(self.client.container(container).object_exists(object_name))

    def size(self, name: str) -> int:
        """Size in bytes of the content ``open()`` returns (uncompressed for ``use_gz``)."""
        clean, info = self._head(name)
        if (info.content_encoding or "").lower() == "gzip":
            original = self._uncompressed_size(info)
            if original is not None:
                return original
        if info.content_length is None:
            raise OSError(f"{clean!r}: the server sent no Content-Length")
        return info.content_length

    def get_modified_time(self, name: str) -> datetime:
        """When the object was last written (aware UTC with ``USE_TZ``, else naive local)."""
        clean, info = self._head(name)
        if info.last_modified is None:
            raise OSError(f"{clean!r}: the server sent no Last-Modified")
        return _as_datetime(info.last_modified)

    def get_created_time(self, name: str) -> datetime:
        """Swift objects are replaced, never modified: creation is the last write."""
        return self.get_modified_time(name)

    def get_accessed_time(self, name: str) -> datetime:
        """Not available: Swift does not record reads."""
        raise NotImplementedError("Selectel Cloud Storage does not record access times")

    def path(self, name: str) -> str:
        """Not available: objects have no local path; use ``open()``."""
        raise NotImplementedError(
            "Selectel Cloud Storage files have no local path; use storage.open() instead"
        )

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        """``(directories, files)`` directly under ``path``, over all listing pages."""
        container, prefix = self._prefix(path)
        dirs: list[str] = []
        files: list[str] = []

        listing = self.client.container(container).list_objects(prefix=prefix, delimiter="/")
        for entry in listing:
            name = entry.name or ""
            if isinstance(entry, SubdirEntry):
                dirs.append(name[len(prefix) :].rstrip("/"))
            elif name != prefix:  # a "folder marker" object is not a file
                files.append(name[len(prefix) :])
        return dirs, files

    # --- writing -------------------------------------------------------------------------

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        """The name, cleaned and cut to ``max_length``; no request is made.

        With ``overwrite_files`` off, collisions are resolved race-free at upload time
        (``If-None-Match: *``), so no HEAD is needed here.
        """
        return self._fit(clean_name(name), max_length)

    @staticmethod
    def _split_ext(file_name: str) -> tuple[str, str]:
        # As Django does: every suffix is the extension ("a.tar.gz" -> "a", ".tar.gz").
        ext = "".join(PurePosixPath(file_name).suffixes)
        return file_name.removesuffix(ext), ext

    @classmethod
    def _fit(cls, name: str, max_length: int | None) -> str:
        if max_length is None or len(name) <= max_length:
            return name
        dir_name, file_name = posixpath.split(name)
        root, ext = cls._split_ext(file_name)
        cut = len(name) - max_length
        if cut >= len(root):
            raise SuspiciousFileOperation(
                f"Storage can not fit {name!r} into {max_length} characters; allow a longer "
                "max_length on the field"
            )
        return posixpath.join(dir_name, root[:-cut] + ext)

    def _alternative(self, name: str, max_length: int | None) -> str:
        dir_name, file_name = posixpath.split(name)
        root, ext = self._split_ext(file_name)
        candidate = posixpath.join(dir_name, self.get_alternative_name(root, ext))
        if max_length is not None and len(candidate) > max_length:
            cut = len(candidate) - max_length
            if cut >= len(root):
                raise SuspiciousFileOperation(
                    f"Storage can not find an available name for {name!r} within {max_length} "
                    "characters; allow a longer max_length on the field"
                )
            candidate = posixpath.join(dir_name, self.get_alternative_name(root[:-cut], ext))
        return candidate

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        """Upload ``content`` and return the name it was stored under.

        One request: with ``overwrite_files`` on, a PUT; with it off, a PUT that only
        creates (``If-None-Match: *``) and, if the name is taken, another with a new name.
        """
        if name is None:
            name = content.name
        if isinstance(content, bytes | bytearray | str):
            content = ContentFile(content, name)
        if not hasattr(content, "chunks"):
            content = File(content, name)
        validate_file_name(str(name), allow_relative_path=True)
        name = self.get_available_name(str(name), max_length=max_length)
        stored = self._store(name, content, max_length=max_length)
        validate_file_name(stored, allow_relative_path=True)
        return stored

    def _save(self, name: str, content: Any) -> str:
        return self._store(name, content, max_length=None)

    def save_with_metadata(
        self,
        name: str | None,
        content: Any,
        metadata: Mapping[str, str] | None = None,
        max_length: int | None = None,
    ) -> str:
        """:meth:`save` with object metadata (``X-Object-Meta-<key>``), as in
        django-selectel-storage 1.x (which accepted the metadata and then dropped it)."""
        token = _EXTRA_METADATA.set(dict(metadata or {}))
        try:
            return self.save(name, content, max_length=max_length)
        finally:
            _EXTRA_METADATA.reset(token)

    def get_object_parameters(self, name: str) -> dict[str, str]:
        """Headers for the upload of ``name`` (a copy of ``object_parameters``); override me."""
        return dict(self._config.object_parameters)

    def _content_type(self, name: str, content: Any) -> str:
        guessed = mimetypes.guess_type(name)[0]
        if guessed:
            return guessed
        declared = getattr(content, "content_type", None)
        return declared if isinstance(declared, str) and declared else "application/octet-stream"

    def _body(self, content: Any) -> _Body:
        """Rewind ``content`` and measure it; copy it to a spool when that is the only way."""
        source: Any = content.file if isinstance(content, File) and content.file else content
        seekable = bool(getattr(source, "seekable", lambda: False)())
        if seekable:
            source.seek(0)
        probe = source.read(0) if hasattr(source, "read") else b""
        text = isinstance(probe, str)
        if self._config.use_gz:
            return self._gzip_body(source, text=text)
        if seekable and not text:
            try:
                end = source.seek(0, io.SEEK_END)
            except (OSError, ValueError):  # e.g. a decompressing stream cannot seek from the end
                end = None
            source.seek(0)
            if isinstance(end, int):
                return _Body(source, end, owned=False)
        spool = new_spool()
        length = 0
        for chunk in _chunks(source):
            data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
            spool.write(data)
            length += len(data)
        spool.seek(0)
        return _Body(spool, length, owned=True)

    @staticmethod
    def _gzip_body(source: Any, *, text: bool) -> _Body:
        spool = new_spool()
        # mtime=0 keeps the output a function of the input, so equal files get equal ETags.
        compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        original = 0
        for chunk in _chunks(source):
            data = chunk.encode("utf-8") if text or isinstance(chunk, str) else chunk
            original += len(data)
            spool.write(compressor.compress(data))
        spool.write(compressor.flush())
        length = spool.tell()
        spool.seek(0)
        return _Body(spool, length, owned=True, uncompressed=original)

    def _put(
        self,
        container: Container,
        object_name: str,
        body: _Body,
        *,
        name: str,
        content: Any,
        create_only: bool,
    ) -> Any:
        kwargs = _put_arguments(self.get_object_parameters(name))
        kwargs.setdefault("content_type", self._content_type(name, content))
        metadata = {**kwargs.get("metadata", {}), **_EXTRA_METADATA.get()}
        if body.uncompressed is not None:
            kwargs["content_encoding"] = "gzip"
            metadata[_UNCOMPRESSED_SIZE_META] = str(body.uncompressed)
        if metadata:
            kwargs["metadata"] = metadata
        body.stream.seek(0)
        if body.length > self._config.large_file_threshold:
            return self._put_large(container, object_name, body, kwargs, create_only=create_only)
        return container.put_object(
            object_name,
            body.stream,
            content_length=body.length,
            if_none_match=create_only,
            **kwargs,
        )

    def _put_large(
        self,
        container: Container,
        object_name: str,
        body: _Body,
        kwargs: dict[str, Any],
        *,
        create_only: bool,
    ) -> PutResult:
        """Upload in segments (SLO); create-only is atomic (the manifest PUT carries
        ``If-None-Match: *``). Overwriting drops the segments of the version replaced."""
        return container.upload_large(
            object_name,
            body.stream,
            segment_size=self._config.segment_size,
            if_none_match=create_only,
            delete_old_segments=not create_only,
            **kwargs,
        )

    def _store(
        self, name: str, content: Any, *, max_length: int | None, overwrite: bool | None = None
    ) -> str:
        overwrite = self._config.overwrite_files if overwrite is None else overwrite
        clean, container_name, object_name = self._locate(name)
        body = self._body(content)
        try:
            container = self._container(container_name)
            for _ in range(_MAX_NAME_ATTEMPTS):
                try:
                    result = self._put(
                        container,
                        object_name,
                        body,
                        name=clean,
                        content=content,
                        create_only=not overwrite,
                    )
                except AlreadyExistsError:
                    clean = self._alternative(clean, max_length)
                    _, _, object_name = self._locate(clean)
                    continue
                self._stored(clean, result, body)
                return clean
        finally:
            if body.owned:
                body.stream.close()
        raise FileExistsError(
            f"no free name found for {name!r} after {_MAX_NAME_ATTEMPTS} attempts"
        )

    def _stored(self, name: str, result: Any, body: _Body) -> None:
        """Hook called after each successful upload (the static storage updates its listing)."""

    def delete(self, name: str) -> None:
        """Delete the object; a missing object is fine, any other failure raises.

        Two requests: a HEAD says whether the object is a large (segmented) one, whose
        segments must be deleted with it, then the DELETE.
        """
        _, container_name, object_name = self._locate(name)
        container = self.client.container(container_name)
        try:
            info = container.head_object(object_name)
        except NotFoundError:
            return
        container.delete_object(
            object_name, missing_ok=True, delete_segments=info.static_large_object
        )

    # --- URLs ----------------------------------------------------------------------------

    def url(self, name: str | None) -> str:
        """The object's URL, built without any request.

        Public storages get the custom domain (``custom_domain``/``domains``) or the storage
        URL; private ones (``public: False``) a signed temporary URL (TempURL) valid for
        ``url_expires`` seconds.
        """
        _, container, object_name = self._locate(name)
        config = self._config
        if not config.public:
            return self.signed_url(name or "")
        domain = config.domain_for(container)
        if domain:
            return self.client.container(container, public_base_url=domain).public_url(object_name)
        return self._offline(container).public_url(object_name)

    def signed_url(
        self,
        name: str,
        *,
        method: str = "GET",
        expires_in: int | None = None,
        filename: str | None = None,
        inline: bool = False,
    ) -> str:
        """A TempURL for ``name``: GET for private downloads, PUT for direct browser uploads.

        Needs ``temp_url_key`` (the account or container ``Temp-URL-Key``); valid for
        ``expires_in`` seconds (default ``url_expires``). No request is made.
        """
        _, container, object_name = self._locate(name)
        key = self._temp_url_key()
        return self._offline(container).temp_url(
            object_name,
            key=key,
            expires_in=expires_in or self._config.url_expires,
            method=method,
            digest=self._config.temp_url_digest,
            filename=filename,
            inline=inline,
        )

    def upload_form(
        self,
        folder: str = "",
        *,
        max_file_size: int,
        max_file_count: int = 1,
        expires_in: int | None = None,
        redirect: str | None = None,
        delete_after: int | None = None,
    ) -> FormPostForm:
        """A signed FormPost form for direct browser uploads into ``folder`` (no request).

        POST ``multipart/form-data`` to ``form.action`` with ``form.fields`` as hidden fields
        *before* the file field(s); each file is stored as ``<folder>/<its file name>``. Needs
        ``temp_url_key``; valid for ``expires_in`` seconds (default ``url_expires``).
        """
        container, prefix = self._prefix(folder)
        key = self._temp_url_key()
        return self._offline(container).form_post(
            key=key,
            max_file_size=max_file_size,
            max_file_count=max_file_count,
            prefix=prefix,
            expires_in=expires_in or self._config.url_expires,
            redirect=redirect,
            digest=self._config.temp_url_digest,
            delete_after=delete_after,
        )

    def sendmefile_link(
        self,
        name: str,
        *,
        variant: SendMeFileVariant = "inplace",
        disable_web: bool | None = None,
        max_size: int | None = None,
        allow_overwrite: bool | None = None,
        default_expire: int | None = None,
        expire: int | None = None,
        delete_at: int | None = None,
        ignore_filename: bool | None = None,
        password: str | None = None,
        help_text: str | None = None,
    ) -> str:
        """Create a Selectel *sendmefile* link (legacy storage only) and return its URL.

        Anyone may then ``PUT`` a file to the URL (with ``X-Filename``), without
        credentials; ``variant`` ``"inplace"`` stores exactly one file under ``name``.
        Costs one request (the link is an object). Options as in
        :meth:`selectel_objects.Container.create_sendmefile_link`.
        """
        _, container, object_name = self._locate(name)
        self._container(container).create_sendmefile_link(
            object_name,
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
        return self._offline(container).public_url(object_name)

    def _temp_url_key(self) -> str:
        if not self._config.temp_url_key:
            raise ImproperlyConfigured(
                "signed URLs need the 'temp_url_key' option (the Temp-URL-Key set on the "
                "account or container)"
            )
        return self._config.temp_url_key

    def _offline(self, container: str) -> Container:
        """A client for ``container`` that builds URLs and signatures, and never sends."""
        if self.known_storage_url() is None:
            raise ImproperlyConfigured(
                "url() makes no request, and the storage URL is not known yet (no request has "
                "been made): set the 'storage_url' option, or 'custom_domain'/'domains' for "
                "public files"
            )
        return self.client.container(container)


def _chunks(source: Any) -> Iterator[Any]:
    while True:
        chunk = source.read(_CHUNK)
        if not chunk:
            return
        yield chunk


class ApiStorage(SelectelStorage):
    """django-selectel 2.x compatible storage: the first folder of a name is the container.

    ``ApiStorage(user=..., password=..., domains=..., use_gz=..., overwrite_files=...)`` and
    ``settings.SELECTEL_STORAGE`` work as they did. A name without a folder cannot say which
    container it belongs to and raises :class:`SuspiciousFileOperation` before any request.
    """

    def __init__(
        self,
        user: str | None = None,
        password: str | None = None,
        domains: Mapping[str, str] | None = None,
        overwrite_files: bool | None = None,
        use_gz: bool | None = None,
        **options: Any,
    ) -> None:
        seed = {
            "user": user,
            "password": password,
            "domains": domains,
            "overwrite_files": overwrite_files,
            "use_gz": use_gz,
        }
        given = {k: v for k, v in seed.items() if v is not None} | options
        mapped = dict(given)
        if "password" in mapped and "user" in mapped:
            mapped["key"] = mapped.pop("password")
        self._setup(given, mapped)

    @classmethod
    def _fallback_options(cls) -> dict[str, Any] | None:
        return _config.seed1_settings()

    def _split(self, name: str) -> tuple[str, str]:
        if self._config.container is not None:
            return super()._split(name)
        container, _, rest = name.partition("/")
        if not rest:
            raise SuspiciousFileOperation(
                f"ApiStorage stores a file in the container named by its first folder, and "
                f"{name!r} has none: use upload_to='<container>/...'"
            )
        return container, rest

    def _prefix(self, path: object) -> tuple[str, str]:
        if self._config.container is not None:
            return super()._prefix(path)
        container, _, rest = clean_name(path).partition("/")
        prefix = join_location(self._config.location, rest)
        return container, f"{prefix}/" if prefix else ""

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        """At the root, the containers of the account; below it, as :class:`SelectelStorage`."""
        if self._config.container is None and clean_name(path, allow_empty=True) == "":
            return [c.name for c in self.client.list_containers() if c.name], []
        return super().listdir(path)


# --- static files ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Listed:
    last_modified: datetime
    etag: str
    size: int


class _Listing:
    """A snapshot of every object under the static location: name -> (time, ETag, size).

    ``collectstatic`` asks ``exists()`` and ``get_modified_time()`` for every file; the
    snapshot answers both from one listing request per 10 000 objects. It lives until the
    end of ``post_process`` (the end of a ``collectstatic`` run) or ``listing_cache_ttl``.
    """

    def __init__(self, entries: dict[str, _Listed]) -> None:
        self.entries = entries
        self.loaded_at = time.monotonic()
        self.dirs: set[str] = set()
        for name in entries:
            parent = posixpath.dirname(name)
            while parent and parent not in self.dirs:
                self.dirs.add(parent)
                parent = posixpath.dirname(parent)


class _PendingDelete:
    """The one deferred delete of a static storage (see :class:`SelectelStaticStorage`)."""

    def __init__(self) -> None:
        self.name: str | None = None
        self.target: tuple[Container, str] | None = None

    def flush(self) -> None:
        target, self.name, self.target = self.target, None, None
        if target is not None:
            target[0].delete_object(target[1], missing_ok=True)

    def flush_quietly(self) -> None:
        try:
            self.flush()
        except Exception:
            logger.warning("django-selectel: a held-back static file delete failed", exc_info=True)


class SelectelStaticStorage(SelectelStorage):
    """Static files storage: public, overwriting, and cheap to re-run ``collectstatic`` on.

    Give it its own container (or ``location``) in ``STORAGES["staticfiles"]["OPTIONS"]``.
    A second ``collectstatic`` with nothing changed uploads nothing and costs one listing
    request per 10 000 files: ``exists()``, ``get_modified_time()``, ``size()`` and
    ``listdir()`` answer from a listing snapshot, and a file whose MD5 equals the listed ETag
    is not uploaded again. ``collectstatic`` deletes a changed file just before saving it
    again; that delete is held back until the next operation, so that a save of the same
    content costs nothing at all.
    """

    default_options: ClassVar[Mapping[str, Any]] = {"overwrite_files": True, "public": True}

    def _setup(self, given: Mapping[str, Any], options: Mapping[str, Any]) -> None:
        super()._setup(given, options)
        self._static_lock = threading.RLock()
        self._listing: _Listing | None = None
        self._pending = _PendingDelete()
        # A delete still held back when the process ends is carried out then.
        weakref.finalize(self, self._pending.flush_quietly)

    def _snapshot(self) -> _Listing:
        with self._static_lock:
            listing = self._listing
            ttl = self._config.listing_cache_ttl
            if listing is None or time.monotonic() - listing.loaded_at > ttl:
                container, prefix = self._prefix("")
                entries: dict[str, _Listed] = {}

                for entry in self.client.container(container).list_objects(prefix=prefix or None):
                    if not isinstance(entry, ObjectEntry) or entry.name is None:
                        continue
                    entries[entry.name[len(prefix) :]] = _Listed(
                        entry.last_modified or datetime.now(timezone.utc),
                        (entry.etag or "").strip('"'),
                        entry.size or 0,
                    )
                listing = self._listing = _Listing(entries)
            return listing

    def _flush(self) -> None:
        with self._static_lock:
            name = self._pending.name
            self._pending.flush()
            if name is not None and self._listing is not None:
                self._listing.entries.pop(name, None)

    def exists(self, name: str) -> bool:
        """Answered from the listing snapshot (files and folders); no request once listed."""
        clean = clean_name(name, allow_empty=True)
        with self._static_lock:
            if clean == self._pending.name:
                return False
            listing = self._snapshot()
            return clean == "" or clean in listing.entries or clean in listing.dirs

    def _listed(self, name: str) -> _Listed:
        clean = clean_name(name)
        with self._static_lock:
            if clean == self._pending.name:
                self._flush()
            entry = self._snapshot().entries.get(clean)
        if entry is None:
            raise FileNotFoundError(f"{clean!r} does not exist")
        return entry

    def get_modified_time(self, name: str) -> datetime:
        """From the listing snapshot (what ``collectstatic`` compares with the source)."""
        return _as_datetime(self._listed(name).last_modified)

    def size(self, name: str) -> int:
        """From the listing snapshot (a HEAD with ``use_gz``: the listing has stored sizes)."""
        if self._config.use_gz:
            return super().size(name)
        return self._listed(name).size

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        """From the listing snapshot (``collectstatic --clear`` walks it)."""
        clean = clean_name(path, allow_empty=True)
        self._flush()
        prefix = f"{clean}/" if clean else ""
        dirs: set[str] = set()
        files: list[str] = []
        for name in self._snapshot().entries:
            if not name.startswith(prefix):
                continue
            head, sep, _ = name[len(prefix) :].partition("/")
            if sep:
                dirs.add(head)
            else:
                files.append(head)
        return sorted(dirs), sorted(files)

    def _open(self, name: str, mode: str = "rb") -> SelectelFile:
        with self._static_lock:
            if clean_name(name) == self._pending.name:
                self._flush()
        return super()._open(name, mode)

    def delete(self, name: str) -> None:
        """Delete; a listed file's delete is held back until the next operation (see above)."""
        clean, container, object_name = self._locate(name)
        with self._static_lock:
            self._flush()
            if self._listing is not None and clean in self._listing.entries:
                self._pending.name = clean
                self._pending.target = (self.client.container(container), object_name)
                return
        super().delete(name)

    def _store(
        self, name: str, content: Any, *, max_length: int | None, overwrite: bool | None = None
    ) -> str:
        clean = clean_name(name)
        with self._static_lock:
            deleted_here = self._pending.name == clean
            if deleted_here:
                self._pending.name = self._pending.target = None
            else:
                self._flush()
            listed = self._listing.entries.get(clean) if self._listing is not None else None
        if listed is not None and (deleted_here or self._config.overwrite_files):
            body = self._body(content)
            try:
                if body.length == listed.size and _md5(body.stream) == listed.etag:
                    return clean
            finally:
                if body.owned:
                    body.stream.close()
        return super()._store(
            name, content, max_length=max_length, overwrite=True if deleted_here else overwrite
        )

    def _stored(self, name: str, result: Any, body: _Body) -> None:
        with self._static_lock:
            if self._listing is not None:
                modified = getattr(result, "last_modified", None) or datetime.now(timezone.utc)
                etag = (getattr(result, "etag", None) or "").strip('"')
                self._listing.entries[name] = _Listed(modified, etag, body.length)

    def end_run(self) -> None:
        """Carry out a held-back delete and forget the listing snapshot.

        ``collectstatic`` ends with ``post_process()``, which calls this; call it yourself
        after driving the storage the way ``collectstatic`` does.
        """
        self._flush()
        with self._static_lock:
            self._listing = None

    def post_process(self, *args: Any, **kwargs: Any) -> Iterator[tuple[str, str | None, Any]]:
        """The end of a ``collectstatic`` run (see :meth:`end_run`); processes no file."""
        self.end_run()
        yield from ()


def _md5(stream: IO[bytes]) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    stream.seek(0)
    for chunk in iter(lambda: stream.read(_CHUNK), b""):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


_MD5_HEX: Final = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class _KnownHash:
    """Stands in for a file's content when its MD5 is already known from the listing."""

    md5: str


class ManifestSelectelStaticStorage(ManifestFilesMixin, SelectelStaticStorage):  # type: ignore[misc]
    """:class:`SelectelStaticStorage` with Django's hashed names and ``staticfiles.json``."""

    def __init__(self, *args: Any, manifest_storage: Storage | None = None, **kwargs: Any) -> None:
        self._manifest_storage_arg = manifest_storage
        super().__init__(*args, manifest_storage=manifest_storage, **kwargs)

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        path, args, kwargs = super().deconstruct()
        if self._manifest_storage_arg is not None:
            kwargs["manifest_storage"] = self._manifest_storage_arg
        return path, args, kwargs

    def hashed_name(self, name: str, content: Any = None, filename: str | None = None) -> str:
        """Django's hashed name; a file already listed is hashed from its ETag, not re-read.

        Django hashes a file that a CSS file refers to by opening it from this storage; the
        listing already holds its MD5 (the ETag of a plain, uncompressed object).
        """
        if content is None and not self._config.use_gz:
            path = urlsplit(unquote(filename or name)).path.strip()
            with self._static_lock:
                listing = self._listing
                entry = listing.entries.get(clean_name(path)) if listing is not None else None
            if entry is not None and _MD5_HEX.fullmatch(entry.etag):
                content = _KnownHash(entry.etag)
        return str(super().hashed_name(name, content, filename))

    def file_hash(self, name: str, content: Any = None) -> str | None:
        """Django's content hash (the first 12 hex digits of the MD5)."""
        if isinstance(content, _KnownHash):
            return content.md5[:12]
        result = super().file_hash(name, content)
        return None if result is None else str(result)

    def post_process(  # type: ignore[override]
        self, *args: Any, **kwargs: Any
    ) -> Iterator[tuple[str, str | None, Any]]:
        """Hash and save the files and the manifest, then end the run (see :meth:`end_run`)."""
        try:
            yield from super().post_process(*args, **kwargs)
        finally:
            self.end_run()
