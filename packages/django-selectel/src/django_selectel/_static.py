"""Static files: :class:`SelectelStaticStorage` and :class:`ManifestSelectelStaticStorage`.

``collectstatic`` asks ``exists()`` and ``get_modified_time()`` for every file; here one
listing snapshot answers them all, and an unchanged file is never uploaded again. Import the
classes from ``django_selectel.storages``.
"""

from __future__ import annotations

import logging
import posixpath
import re
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar, Final
from urllib.parse import unquote, urlsplit

from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.files.storage import Storage
from selectel_objects import Container, NotFoundError, ObjectEntry

from django_selectel._body import Body, md5_hex
from django_selectel._files import SelectelFile
from django_selectel._names import clean_name
from django_selectel._storage import PUBLIC_MODULE, SelectelStorage, as_datetime

__all__ = ["ManifestSelectelStaticStorage", "SelectelStaticStorage"]

_MD5_HEX: Final = re.compile(r"[0-9a-f]{32}")
logger = logging.getLogger("django_selectel")


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

    __module__ = PUBLIC_MODULE

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
                listed = self.client.container(container).list_objects(prefix=prefix or None)
                try:
                    for entry in listed:
                        if not isinstance(entry, ObjectEntry) or entry.name is None:
                            continue
                        entries[entry.name[len(prefix) :]] = _Listed(
                            entry.last_modified or datetime.now(timezone.utc),
                            (entry.etag or "").strip('"'),
                            entry.size or 0,
                        )
                except NotFoundError:
                    # A container that does not exist yet (the first deploy) holds nothing;
                    # the first save creates it with auto_create_container.
                    entries = {}
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
        return as_datetime(self._listed(name).last_modified)

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
            body = self._body(clean, content)
            try:
                if body.length == listed.size and md5_hex(body.stream) == listed.etag:
                    return clean
            finally:
                body.close()
        return super()._store(
            name, content, max_length=max_length, overwrite=True if deleted_here else overwrite
        )

    def _stored(self, name: str, result: Any, body: Body) -> None:
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


@dataclass(frozen=True)
class _KnownHash:
    """Stands in for a file's content when its MD5 is already known from the listing."""

    md5: str


class ManifestSelectelStaticStorage(ManifestFilesMixin, SelectelStaticStorage):  # type: ignore[misc]
    """:class:`SelectelStaticStorage` with Django's hashed names and ``staticfiles.json``."""

    __module__ = PUBLIC_MODULE

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
