"""Upload bodies: what a save sends, measured, rewound and (by content type) gzipped.

A storage turns whatever Django hands to ``save()`` into a :class:`Body`: a stream at its
start with its exact length, copied to a temporary spool only when the content cannot be
rewound or measured. The headers of an upload (``object_parameters``) map onto the keywords
of ``selectel_objects.Container.put_object`` here too.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import zlib
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any, Final

from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import File
from selectel_objects import Container

from django_selectel._files import UNCOMPRESSED_SIZE_META, new_spool

__all__ = [
    "CHUNK",
    "DEFAULT_GZIP_CONTENT_TYPES",
    "Body",
    "compressible",
    "content_type",
    "md5_hex",
    "put_arguments",
    "read_body",
    "send",
]

CHUNK: Final = 64 * 1024
#: Types ``use_gz`` compresses by default: text that shrinks. Images, archives, fonts and
#: video are compressed already, and gzipping them only costs CPU (both old packages filtered).
DEFAULT_GZIP_CONTENT_TYPES: Final = (
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "image/svg+xml",
    "text/plain",
    "text/html",
    "text/xml",
    "application/xml",
)
# Headers the storage itself owns; object_parameters may not set them.
_RESERVED_HEADERS: Final = frozenset(
    {"content-length", "transfer-encoding", "etag", "if-none-match", "x-auth-token", "range"}
)


@dataclass(frozen=True)
class Body:
    """An upload body rewound to its start, with its exact length."""

    stream: IO[bytes]
    length: int
    owned: bool  # a temporary copy the storage made (and must close)
    uncompressed: int | None = None  # set when the body is the gzip of the content

    def close(self) -> None:
        """Close the temporary copy, if the storage made one."""
        if self.owned:
            self.stream.close()


def chunks(source: Any) -> Iterator[Any]:
    """``source.read()`` in :data:`CHUNK` pieces until it is exhausted."""
    while True:
        chunk = source.read(CHUNK)
        if not chunk:
            return
        yield chunk


def content_type(name: str, content: Any) -> str:
    """The type guessed from the name, else the one the content declares, else binary."""
    guessed = mimetypes.guess_type(name)[0]
    if guessed:
        return guessed
    declared = getattr(content, "content_type", None)
    return declared if isinstance(declared, str) and declared else "application/octet-stream"


def compressible(media_type: str, types: Collection[str]) -> bool:
    """Whether ``media_type`` (parameters such as ``charset`` ignored) is one of ``types``."""
    return media_type.split(";", 1)[0].strip().lower() in types


def read_body(content: Any, *, gzip: bool = False) -> Body:
    """Rewind ``content`` and measure it; copy it to a spool when that is the only way.

    With ``gzip`` the body is the gzip of the content, unless that is not smaller: then the
    content itself is sent, as is.
    """
    raw = _raw_body(content)
    if not gzip:
        return raw
    try:
        packed = _gzip(raw.stream)
    except BaseException:
        raw.close()
        raise
    if packed.length < raw.length:
        raw.close()
        return packed
    packed.close()
    raw.stream.seek(0)
    return raw


def _raw_body(content: Any) -> Body:
    source: Any = content.file if isinstance(content, File) and content.file else content
    seekable = bool(getattr(source, "seekable", lambda: False)())
    if seekable:
        source.seek(0)
    probe = source.read(0) if hasattr(source, "read") else b""
    if seekable and not isinstance(probe, str):
        try:
            end = source.seek(0, io.SEEK_END)
        except (OSError, ValueError):  # e.g. a decompressing stream cannot seek from the end
            end = None
        source.seek(0)
        if isinstance(end, int):
            return Body(source, end, owned=False)
    spool = new_spool()
    length = 0
    for chunk in chunks(source):
        data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
        spool.write(data)
        length += len(data)
    spool.seek(0)
    return Body(spool, length, owned=True)


def _gzip(source: IO[bytes]) -> Body:
    spool = new_spool()
    # mtime=0 keeps the output a function of the input, so equal files get equal ETags.
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    original = 0
    for chunk in chunks(source):
        original += len(chunk)
        spool.write(compressor.compress(chunk))
    spool.write(compressor.flush())
    length = spool.tell()
    spool.seek(0)
    return Body(spool, length, owned=True, uncompressed=original)


def md5_hex(stream: IO[bytes]) -> str:
    """The MD5 of a rewindable stream, read from its start; the stream is left rewound."""
    digest = hashlib.md5(usedforsecurity=False)
    stream.seek(0)
    for chunk in iter(lambda: stream.read(CHUNK), b""):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def put_arguments(params: Mapping[str, str]) -> dict[str, Any]:
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


def send(
    container: Container,
    object_name: str,
    body: Body,
    *,
    create_only: bool,
    metadata: Mapping[str, str],
    large_file_threshold: int,
    segment_size: int,
    **kwargs: Any,
) -> Any:
    """Upload ``body`` as ``object_name``: one PUT, or segments and a manifest when large.

    ``kwargs`` are ``put_object`` keywords (see :func:`put_arguments`). Create-only is
    atomic either way (the manifest PUT carries ``If-None-Match: *``); overwriting a large
    object drops the segments of the version it replaces.
    """
    meta = dict(metadata)
    if body.uncompressed is not None:
        kwargs["content_encoding"] = "gzip"
        meta[UNCOMPRESSED_SIZE_META] = str(body.uncompressed)
    if meta:
        kwargs["metadata"] = meta
    body.stream.seek(0)
    if body.length > large_file_threshold:
        return container.upload_large(
            object_name,
            body.stream,
            segment_size=segment_size,
            if_none_match=create_only,
            delete_old_segments=not create_only,
            **kwargs,
        )
    return container.put_object(
        object_name,
        body.stream,
        content_length=body.length,
        if_none_match=create_only,
        **kwargs,
    )
