"""Pure value conversions between Python and Swift's headers, query strings and JSON.

The generated layer calls these; they are lenient when reading (a malformed optional header
becomes ``None``) and strict when writing (a value that cannot go into a header is refused).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import quote

from selectel_objects._protocol.http import Headers
from selectel_objects.errors import ObjectStorageError

__all__ = [
    "MD5_HEX",
    "decode_value",
    "encode_value",
    "first_header",
    "format_http_date",
    "json_items",
    "json_object",
    "json_required_str",
    "lowered",
    "meta_from_headers",
    "parse_lazy_date",
    "put_meta",
    "relative_url",
    "text",
    "to_bool",
    "to_etag",
    "to_float",
    "to_http_date",
    "to_int",
    "to_iso_date",
]

_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


#: An MD5 digest as Swift writes it in ETags: 32 lower-case hex digits.
MD5_HEX = re.compile(r"[0-9a-f]{32}")


def first_header(headers: Mapping[str, str], *names: str) -> str | None:
    """The value of the first of ``names`` present in ``headers``."""
    for name in names:
        value = headers.get(name)
        if value is not None:
            return value
    return None


def lowered(headers: Mapping[str, str]) -> Mapping[str, str]:
    """``headers`` by lower-case name (without a copy for :class:`Headers`)."""
    if isinstance(headers, Headers):
        return headers.lowered()
    return {name.lower(): value for name, value in headers.items()}


def text(value: str | None) -> str | None:
    """A header value with the UTF-8 it carries decoded (see :func:`decode_value`)."""
    if value is None or value.isascii():
        return value
    return decode_value(value)


def json_required_str(item: Mapping[str, Any], key: str) -> str:
    """``item[key]``, which must be a string."""
    value = item.get(key)
    if not isinstance(value, str):
        raise ObjectStorageError(f"Swift sent a listing item without a string {key!r}")
    return value


def to_int(value: str | None) -> int | None:
    """An integer header value, or ``None`` when absent or malformed."""
    try:
        return None if value is None else int(value.strip())
    except ValueError:
        return None


def to_float(value: str | None) -> float | None:
    """A decimal header value (``X-Timestamp``), or ``None``."""
    try:
        return None if value is None else float(value.strip())
    except ValueError:
        return None


def to_bool(value: str | None) -> bool:
    """Swift's boolean header values (``True``, ``true``, ``yes``, ``1``); absent is false."""
    return value is not None and value.strip().lower() in {"true", "yes", "1", "on"}


def to_etag(value: str | None) -> str | None:
    """An ETag without the quotes Swift puts around large-object ETags."""
    return None if value is None else value.strip().strip('"')


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def to_http_date(value: str | None) -> datetime | None:
    """An aware UTC datetime from an HTTP date header, or ``None``."""
    if value is None:
        return None
    # Servers send the one fixed format of HTTP/1.1 ("Thu, 01 Jan 2026 00:00:00 GMT") on
    # every answer: read it straight, the rest the general (slow) way.
    month = _MONTHS.get(value[8:11])
    if (
        month is not None
        and len(value) == 29
        and value[3:5] == ", "
        and value[7] == value[11] == value[16] == " "
        and value.endswith(" GMT")
    ):
        try:
            return datetime.fromisoformat(
                f"{value[12:16]}-{month:02d}-{value[5:7]}T{value[17:25]}+00:00"
            )
        except ValueError:
            pass
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def to_iso_date(value: object) -> datetime | None:
    """An aware UTC datetime from a listing's ``last_modified`` (ISO 8601, no zone = UTC)."""
    if not isinstance(value, str):
        return None
    try:
        # Swift sends no zone: naming UTC in the text is the cheapest way to an aware value.
        return datetime.fromisoformat(value + "+00:00")
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def parse_lazy_date(model: object, name: str) -> datetime | None:
    """Date field ``name`` of a listing model whose reader kept the text (under
    ``_<name>_text``): parsed now, once, and kept."""
    values = model.__dict__
    value = values[name] = to_iso_date(values.get(f"_{name}_text"))
    return value


def format_http_date(value: datetime) -> str:
    """An HTTP date (``If-Modified-Since``); a naive datetime is taken as UTC."""
    aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return format_datetime(aware.astimezone(timezone.utc), usegmt=True)


def encode_value(value: str, what: str = "header value") -> str:
    """A header value fit for the wire: UTF-8 bytes carried as latin-1 text, no line breaks.

    HTTP libraries send header text as latin-1; Swift stores the bytes as they come. Going
    through UTF-8 lets any Unicode metadata value round-trip (see :func:`decode_value`).
    """
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    if "\r" in value or "\n" in value or "\x00" in value:
        raise ValueError(f"{what} {value!r} contains a line break or NUL")
    try:
        return value.encode("utf-8").decode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"{what} {value!r} is not valid Unicode") from None


def decode_value(value: str) -> str:
    """The text of a header value that carried UTF-8 bytes (latin-1 decoded by HTTP)."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def _check_meta_key(key: str) -> str:
    if not isinstance(key, str) or not key or not set(key) <= _TOKEN_CHARS:
        raise ValueError(
            f"metadata key {key!r} is not a valid header name part "
            "(use ASCII letters, digits and '-')"
        )
    return key


def meta_from_headers(
    headers: Mapping[str, str], prefix: str, exclude: Iterable[str] = ()
) -> dict[str, str]:
    """``{key: value}`` from the ``<prefix><key>`` headers; keys lower-case, values decoded.

    ``headers`` are by lower-case name (:func:`lowered`); ``prefix`` and ``exclude`` are
    lower-case too.
    """
    start = len(prefix)
    result = {
        name[start:]: text(value) or ""
        for name, value in headers.items()
        if name.startswith(prefix) and name not in exclude
    }
    return dict(sorted(result.items())) if len(result) > 1 else result


def put_meta(
    out: dict[str, str],
    prefix: str,
    meta: Mapping[str, str | None] | None,
    remove_prefix: str | None = None,
) -> None:
    """Add ``<prefix><key>: value`` headers to ``out``; ``None`` means the key is not there
    afterwards.

    Removal uses ``remove_prefix`` (``X-Remove-...-Meta-``) when the operation has one. An
    object's PUT/POST replaces all its metadata, so there a ``None`` key is simply not sent
    (Swift would store an empty value); a container PUT takes an empty value as removal.
    """
    for key, value in (meta or {}).items():
        _check_meta_key(key)
        if value is None:
            if remove_prefix is not None:
                out[f"{remove_prefix}{key}"] = "x"
            elif prefix != "X-Object-Meta-":
                out[f"{prefix}{key}"] = ""
        else:
            out[f"{prefix}{key}"] = encode_value(value, f"metadata value for {key!r}")


def relative_url(path: str, query: Iterable[tuple[str, str | None]] = ()) -> str:
    """``path`` + the query, to be appended to the account URL; a ``None`` value is a bare
    flag."""
    parts = [
        quote(key, safe="-_.")
        if value is None
        else f"{quote(key, safe='-_.')}={quote(value, safe='')}"
        for key, value in query
    ]
    return f"{path}?{'&'.join(parts)}" if parts else path


def _load_json(body: bytes, what: str) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise ObjectStorageError(f"Swift sent a {what} that is not JSON") from None


def json_items(body: bytes, what: str = "listing") -> list[dict[str, Any]]:
    """The objects of a JSON array body; an empty body (204) is an empty list."""
    if not body.strip():
        return []
    data = _load_json(body, what)
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ObjectStorageError(f"Swift sent a {what} that is not a JSON array of objects")
    return data


def json_object(body: bytes, what: str = "document") -> dict[str, Any]:
    """A JSON object body."""
    data = _load_json(body, what)
    if not isinstance(data, dict):
        raise ObjectStorageError(f"Swift sent a {what} that is not a JSON object")
    return data
