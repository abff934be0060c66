"""The storage of one container: :class:`SelectelStorage` (import it from ``storages``)."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from datetime import datetime, timezone
from types import MappingProxyType
from typing import IO, Any, ClassVar, Final

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage
from django.core.files.utils import validate_file_name
from selectel_objects import (
    AlreadyExistsError,
    Container,
    NotFoundError,
    ObjectInfo,
    ObjectStorage,
    SubdirEntry,
)

from django_selectel import _legacy, _resolve, _state
from django_selectel._body import (
    Body,
    compressible,
    content_type,
    put_arguments,
    read_body,
    send,
)
from django_selectel._clients import get_client
from django_selectel._config import StorageConfig
from django_selectel._files import (
    READ_MODES,
    WRITE_MODES,
    SelectelFile,
    file_for_reading,
    file_for_writing,
    uncompressed_size,
)
from django_selectel._names import alternative_name, clean_name, fit_name, join_location
from django_selectel._urls import UrlMethods

__all__ = ["PUBLIC_MODULE", "SelectelStorage", "as_datetime"]

#: The module settings and migrations name the storage classes by.
PUBLIC_MODULE: Final = "django_selectel.storages"
_MAX_NAME_ATTEMPTS: Final = 100
# Metadata for the upload in progress (save_with_metadata); a context variable keeps the
# storage itself free of per-call state, so threads cannot see each other's metadata.
_EXTRA_METADATA: ContextVar[Mapping[str, str]] = ContextVar(
    "_EXTRA_METADATA", default=MappingProxyType({})
)


def as_datetime(value: datetime) -> datetime:
    """Swift's UTC timestamps as Django expects: aware with USE_TZ, naive local time without."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    if settings.USE_TZ:
        return aware.astimezone(timezone.utc)
    return aware.astimezone().replace(tzinfo=None)


class SelectelStorage(UrlMethods, _state.StateMethods, Storage):
    """A Django storage on one Selectel (OpenStack Swift) container.

    Configure it with ``STORAGES[alias]["OPTIONS"]`` (snake_case options, see the README),
    with keyword arguments, or through the settings of the packages it replaces: a
    ``SELECTEL_STORAGES`` schema name or a ``selectel://`` DSN as the first argument
    (``storage=``/``dsn=``), exactly as django-selectel-storage 1.x took them. Settings are
    read when the storage is built; no request is made until the first file operation.

    The storage is deconstructible: :meth:`deconstruct` (hence migrations and pickles) never
    contains credentials. A storage built from ``STORAGES`` is described by its alias.
    """

    __module__ = PUBLIC_MODULE  # its public home, for settings, migrations and pickles

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
        return _legacy.django_selectel_storage1_default()

    @classmethod
    def resolve_config(cls, options: Mapping[str, Any]) -> StorageConfig:
        """The configuration an instance built with ``options`` would have (no instance made)."""
        resolved = _resolve.resolve_options(
            options, class_defaults=cls.default_options, fallback=cls._fallback_options()
        )
        return _resolve.build_config(resolved, f"{cls.__name__} options")

    def _setup(self, given: Mapping[str, Any], options: Mapping[str, Any]) -> None:
        self._given = dict(given)
        self._options = dict(options)
        self._config = self.resolve_config(options)
        put_arguments(self._config.object_parameters)  # reject bad headers now, not at upload
        self._alias = _state.storages_alias(type(self), given)

    @property
    def config(self) -> StorageConfig:
        """The resolved configuration (secrets are hidden from its ``repr``)."""
        return self._config

    def __repr__(self) -> str:
        where = self._config.container or "<first folder>"
        if self._config.location:
            where = f"{where}/{self._config.location}"
        return f"<{type(self).__name__} {where}>"

    # --- clients and names ---------------------------------------------------------------

    @property
    def client(self) -> ObjectStorage:
        """The shared :class:`selectel_objects.ObjectStorage` (built on first use, no request)."""
        return get_client(self._config).objects

    def known_storage_url(self) -> str | None:
        """The storage URL if it is known without a request (configured, or seen already)."""
        return self.client.known_storage_url

    def _container(self, name: str) -> Container:
        """The container ``name`` (no request)."""
        return self.client.container(name)

    def _create_container(self, name: str) -> None:
        """Create a missing container (``auto_create_container``), public if the storage is."""
        get_client(self._config).create_container(name, public=self._config.public)

    def _missing_container(self, name: str) -> FileNotFoundError:
        return FileNotFoundError(
            f"container {name!r} does not exist: create it, or set "
            "OPTIONS['auto_create_container'] = True to create it on the first save"
        )

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
        clean, container, object_name = self._locate(name)
        if mode in WRITE_MODES:

            def upload(data: IO[bytes]) -> None:
                self._store(clean, File(data, clean), max_length=None, overwrite=True)

            return file_for_writing(clean, mode, upload, lambda m: self._open(clean, m))
        if mode not in READ_MODES:
            raise ValueError(
                f"unsupported mode {mode!r}: Selectel files open as 'rb', 'r', 'wb' or 'w'"
            )
        return file_for_reading(
            self.client.container(container),
            object_name,
            clean,
            mode,
            size_of=lambda: self.size(clean),
            reopen=lambda m: self._open(clean, m),
        )

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
            original = uncompressed_size(info)
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
        return as_datetime(info.last_modified)

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
        try:
            for entry in listing:
                name = entry.name or ""
                if isinstance(entry, SubdirEntry):
                    dirs.append(name[len(prefix) :].rstrip("/"))
                elif name != prefix:  # a "folder marker" object is not a file
                    files.append(name[len(prefix) :])
        except NotFoundError:
            return [], []  # a container that does not exist yet holds nothing
        return dirs, files

    # --- writing -------------------------------------------------------------------------

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        """The name, cleaned and cut to ``max_length``; no request is made.

        With ``overwrite_files`` off, collisions are resolved race-free at upload time
        (``If-None-Match: *``), so no HEAD is needed here.
        """
        return fit_name(clean_name(name), max_length)

    def _alternative(self, name: str, max_length: int | None) -> str:
        return alternative_name(name, max_length, self.get_alternative_name)

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

    def _upload_headers(self, name: str, content: Any) -> dict[str, Any]:
        """``put_object`` keywords for ``name``: its object parameters and content type."""
        kwargs = put_arguments(self.get_object_parameters(name))
        kwargs.setdefault("content_type", content_type(name, content))
        return kwargs

    def _body(self, name: str, content: Any, kwargs: Mapping[str, Any] | None = None) -> Body:
        """The upload body of ``content``: gzipped with ``use_gz`` when its type compresses."""
        config = self._config
        gzip = config.use_gz and "content_encoding" not in (kwargs or {})
        if gzip:
            media_type = (kwargs or self._upload_headers(name, content))["content_type"]
            gzip = compressible(media_type, config.gzip_content_types)
        return read_body(content, gzip=gzip)

    def _put(self, container: Container, object_name: str, body: Body, **kwargs: Any) -> Any:
        metadata = {**kwargs.pop("metadata", {}), **_EXTRA_METADATA.get()}
        return send(
            container,
            object_name,
            body,
            metadata=metadata,
            large_file_threshold=self._config.large_file_threshold,
            segment_size=self._config.segment_size,
            **kwargs,
        )

    def _store(
        self, name: str, content: Any, *, max_length: int | None, overwrite: bool | None = None
    ) -> str:
        overwrite = self._config.overwrite_files if overwrite is None else overwrite
        clean, container_name, object_name = self._locate(name)
        headers = self._upload_headers(clean, content)
        body = self._body(clean, content, headers)
        try:
            container = self._container(container_name)
            created = False
            for _ in range(_MAX_NAME_ATTEMPTS):
                try:
                    result = self._put(
                        container, object_name, body, create_only=not overwrite, **headers
                    )
                except AlreadyExistsError:
                    clean = self._alternative(clean, max_length)
                    _, _, object_name = self._locate(clean)
                    continue
                except NotFoundError:
                    # Only a missing container makes Swift answer an object PUT with 404.
                    if created or not self._config.auto_create_container:
                        raise self._missing_container(container_name) from None
                    self._create_container(container_name)
                    created = True
                    continue
                self._stored(clean, result, body)
                return clean
        finally:
            body.close()
        raise FileExistsError(
            f"no free name found for {name!r} after {_MAX_NAME_ATTEMPTS} attempts"
        )

    def _stored(self, name: str, result: Any, body: Body) -> None:
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
