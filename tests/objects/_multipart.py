"""multipart/form-data bodies for FormPost uploads: how a browser would send the form
(the tests play the browser; the package only signs forms)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Mapping
from typing import BinaryIO

import attrs

_READ_CHUNK = 64 * 1024


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


def _check_size(size: int) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"size must be a non-negative int; got {size!r}")
