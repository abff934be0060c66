"""FormPost (Swift ``formpost`` middleware): signed browser upload forms.

:func:`sign_form_post` computes the hidden fields of an HTML upload form and its action
URL, offline. :func:`encode_multipart` builds the ``multipart/form-data`` body of such a
form as a stream of chunks, for server-side uploads and tests. No HTTP here.

The signature is an HMAC, with a TempURL key, over
``<path>\\n<redirect>\\n<max_file_size>\\n<max_file_count>\\n<expires>`` where ``path`` is the
decoded action path from ``/v1/`` on and ``redirect`` is empty when absent. Each uploaded
file is stored as ``<action path>/<filename>`` (``<prefix><filename>`` under a prefix).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import BinaryIO

import attrs

from selectel_objects._features.tempurl import (
    check_digest,
    check_expires,
    hmac_signature,
    key_to_bytes,
    split_signed_url,
)
from selectel_objects._protocol.names import check_container_name

__all__ = [
    "FORMPOST_MAX_VALUE_LENGTH",
    "FormFile",
    "FormPostForm",
    "MultipartBody",
    "encode_multipart",
    "sign_form_post",
]

#: Swift reads at most this many bytes of each non-file form field and drops the rest.
FORMPOST_MAX_VALUE_LENGTH = 4096
_READ_CHUNK = 64 * 1024


def _frozen_fields(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


@attrs.frozen
class FormPostForm:
    """A signed upload form: POST ``multipart/form-data`` to ``action``.

    ``fields`` are the hidden fields in the order they must appear in the form, *before* any
    file field (Swift ignores fields that follow a file).
    """

    action: str
    fields: Mapping[str, str] = attrs.field(converter=_frozen_fields, hash=False)


def sign_form_post(
    *,
    url_or_path: str,
    key: str | bytes,
    expires: int,
    max_file_size: int,
    max_file_count: int = 1,
    redirect: str | None = None,
    digest: str = "sha256",
    base64_signature: bool = False,
    x_delete_at: int | None = None,
    x_delete_after: int | None = None,
) -> FormPostForm:
    """Sign a FormPost upload form for ``/v1/<account>/<container>[/<prefix>]``.

    ``url_or_path`` is an absolute URL or a path, percent-encoded as on the wire, without a
    query. ``expires`` is an absolute Unix time; ``max_file_size`` (bytes) and
    ``max_file_count`` bound the upload. ``redirect`` (optional; omit it for XHR uploads)
    receives ``?status=<code>&message=<text>`` after the upload. ``digest`` and
    ``base64_signature`` work as for :func:`~.tempurl.sign_temp_url` (sha512
    always uses the ``sha512:<base64>`` form). ``x_delete_at`` (Unix time) or
    ``x_delete_after`` (seconds) make the uploaded objects expire; they are not signed.

    Raises :class:`ValueError` on any invalid argument.
    """
    check_expires(expires)
    digest = check_digest(digest)
    key_bytes = key_to_bytes(key)
    _check_positive("max_file_size", max_file_size)
    _check_positive("max_file_count", max_file_count)
    origin, wire_path, path = split_signed_url(url_or_path)
    parts = path.split("/", 4)
    if len(parts) < 4 or parts[0] or parts[1] != "v1" or not parts[2] or not parts[3]:
        raise ValueError(
            f"a FormPost path must look like /v1/<account>/<container>[/<prefix>]; got {path!r}"
        )
    check_container_name(parts[3])
    if redirect is not None:
        _check_redirect(redirect)
    if x_delete_at is not None and x_delete_after is not None:
        raise ValueError("give x_delete_at or x_delete_after, not both")

    body = f"{path}\n{redirect or ''}\n{max_file_size}\n{max_file_count}\n{expires}"
    signature = hmac_signature(key_bytes, body, digest, base64_form=base64_signature)
    fields: dict[str, str] = {}
    if redirect:
        fields["redirect"] = redirect
    fields["max_file_size"] = str(max_file_size)
    fields["max_file_count"] = str(max_file_count)
    fields["expires"] = str(expires)
    fields["signature"] = signature
    if x_delete_at is not None:
        _check_positive("x_delete_at", x_delete_at)
        fields["x_delete_at"] = str(x_delete_at)
    if x_delete_after is not None:
        _check_positive("x_delete_after", x_delete_after)
        fields["x_delete_after"] = str(x_delete_after)
    return FormPostForm(action=f"{origin}{wire_path}", fields=fields)


@attrs.frozen
class FormFile:
    """One file part of a multipart form.

    ``data`` is ``bytes``, a binary file object (read in chunks from its current position),
    or an iterable of ``bytes`` chunks. ``size`` is required to know the body's
    ``Content-Length`` for streams; when given, the stream must yield exactly that many
    bytes. ``field_name`` defaults to ``file1``, ``file2``, ...
    """

    filename: str
    data: bytes | BinaryIO | Iterable[bytes] = attrs.field(repr=False)
    content_type: str = "application/octet-stream"
    size: int | None = None
    field_name: str | None = None


@attrs.frozen
class MultipartBody:
    """A ``multipart/form-data`` body: hidden fields first, then the files.

    Iterate it to get the body as chunks; no file is ever held in memory whole. Iterating
    again works only when every file's data can be read again (``bytes`` can).
    """

    boundary: str
    fields: tuple[tuple[str, str], ...]
    files: tuple[FormFile, ...]

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` request header value, with the boundary."""
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def content_length(self) -> int | None:
        """The exact body length, or ``None`` when a streamed file has no declared ``size``."""
        total = len(self._fields_part()) + len(self._closing())
        for index, form_file in enumerate(self.files, start=1):
            size = _declared_size(form_file)
            if size is None:
                return None
            total += len(self._file_head(index, form_file)) + size + len(b"\r\n")
        return total

    def __iter__(self) -> Iterator[bytes]:
        yield self._fields_part()
        for index, form_file in enumerate(self.files, start=1):
            yield self._file_head(index, form_file)
            yield from _file_chunks(form_file)
            yield b"\r\n"
        yield self._closing()

    def _fields_part(self) -> bytes:
        return b"".join(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode("utf-8")
            + b"\r\n"
            for name, value in self.fields
        )

    def _file_head(self, index: int, form_file: FormFile) -> bytes:
        name = form_file.field_name or f"file{index}"
        return (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{name}"; filename="{form_file.filename}"\r\n'
            f"Content-Type: {form_file.content_type}\r\n\r\n"
        ).encode()

    def _closing(self) -> bytes:
        return f"--{self.boundary}--\r\n".encode("ascii")


def encode_multipart(
    fields: Mapping[str, str] | Iterable[tuple[str, str]],
    files: Iterable[FormFile],
    *,
    boundary: str | None = None,
) -> MultipartBody:
    """Build a streaming ``multipart/form-data`` body: ``fields`` in order, then ``files``.

    Pass :attr:`FormPostForm.fields` as ``fields`` for a FormPost upload. The boundary is
    random unless given (tests). Raises :class:`ValueError` for names, filenames or content
    types that cannot be written into a part header (quotes, CR/LF) and for empty filenames,
    which Swift would not treat as files.
    """
    pairs = tuple(fields.items()) if isinstance(fields, Mapping) else tuple(fields)
    for name, value in pairs:
        _check_header_token("field name", name)
        if not isinstance(value, str):
            raise ValueError(f"form field {name!r} must be a str, not {type(value).__name__}")
    file_parts = tuple(files)
    for form_file in file_parts:
        if not isinstance(form_file, FormFile):
            raise ValueError(f"files must be FormFile objects, not {type(form_file).__name__}")
        if not form_file.filename:
            raise ValueError("a file part needs a non-empty filename")
        _check_header_token("filename", form_file.filename)
        _check_header_token("content type", form_file.content_type)
        if form_file.field_name is not None:
            _check_header_token("field name", form_file.field_name)
        if form_file.size is not None:
            _check_size(form_file.size)
    if boundary is None:
        boundary = f"selectel-{secrets.token_hex(16)}"
    elif not boundary or len(boundary) > 70 or not boundary.isascii() or not boundary.isprintable():
        raise ValueError("boundary must be 1-70 printable ASCII characters")
    return MultipartBody(boundary=boundary, fields=pairs, files=file_parts)


def _declared_size(form_file: FormFile) -> int | None:
    if isinstance(form_file.data, bytes):
        return len(form_file.data)
    return form_file.size


def _file_chunks(form_file: FormFile) -> Iterator[bytes]:
    data = form_file.data
    expected = _declared_size(form_file)
    if isinstance(data, bytes):
        yield data
        return
    sent = 0
    chunks: Iterable[bytes]
    read = getattr(data, "read", None)
    chunks = iter(lambda: read(_READ_CHUNK), b"") if callable(read) else data
    for chunk in chunks:
        if not isinstance(chunk, bytes):
            raise ValueError(f"file data must be bytes, not {type(chunk).__name__}")
        sent += len(chunk)
        if expected is not None and sent > expected:
            raise ValueError(f"{form_file.filename!r} is longer than its declared size {expected}")
        if chunk:
            yield chunk
    if expected is not None and sent != expected:
        raise ValueError(f"{form_file.filename!r} ended after {sent} of {expected} declared bytes")


def _check_header_token(what: str, value: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty str")
    if any(ch in value for ch in '"\r\n\0'):
        raise ValueError(f"{what} must not contain quotes, CR, LF or NUL: {value!r}")


def _check_positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int; got {value!r}")


def _check_size(size: int) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"size must be a non-negative int; got {size!r}")


def _check_redirect(redirect: str) -> None:
    if not isinstance(redirect, str):
        raise ValueError(f"redirect must be a str, not {type(redirect).__name__}")
    if any(ch in redirect for ch in "\r\n\0"):
        raise ValueError("redirect must not contain CR, LF or NUL")
    # Swift strips trailing '\r', '\n' and '-' from every field value before it checks the
    # signature, and truncates values longer than 4096 bytes: either would break the form.
    if redirect.endswith("-"):
        raise ValueError("redirect must not end with '-' (Swift strips it from form values)")
    if len(redirect.encode("utf-8")) > FORMPOST_MAX_VALUE_LENGTH:
        raise ValueError(f"redirect is longer than {FORMPOST_MAX_VALUE_LENGTH} bytes")
