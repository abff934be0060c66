"""TempURL signing (Swift ``tempurl`` middleware and Selectel's legacy download links).

Pure functions: no clock, no HTTP. ``expires`` is always an absolute Unix time; the caller
adds "now". Every function raises :class:`ValueError` on bad input, with a message that
never contains the key.

The signed string is ``[ip=<range>\\n]<METHOD>\\n<expires>\\n<path>`` where ``path`` is the
*decoded* request path from ``/v1/`` on (``prefix:/v1/<account>/<container>/<prefix>`` for a
prefix-wide signature), because Swift signs the WSGI ``PATH_INFO``, which is already
percent-decoded. The URL handed back keeps the path exactly as the caller encoded it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
import time
from typing import Literal
from urllib.parse import quote, unquote, urlsplit

from selectel_objects._protocol.names import check_container_name, check_object_name

__all__ = [
    "TEMP_URL_DIGESTS",
    "TEMP_URL_METHODS",
    "TempUrlDigest",
    "TempUrlMethod",
    "sign_temp_url",
]

TempUrlDigest = Literal["sha1", "sha256", "sha512"]
TempUrlMethod = Literal["GET", "HEAD", "PUT", "POST", "DELETE"]

#: Digests Swift's tempurl/formpost middleware know; ``/info`` says which one a cluster allows.
TEMP_URL_DIGESTS: tuple[TempUrlDigest, ...] = ("sha1", "sha256", "sha512")
#: Methods the default tempurl configuration accepts.
TEMP_URL_METHODS: tuple[TempUrlMethod, ...] = ("GET", "HEAD", "PUT", "POST", "DELETE")

_ISO8601 = "%Y-%m-%dT%H:%M:%SZ"
# 9999-12-31T23:59:59Z: beyond it the ISO-8601 form (and most servers' parsers) break.
_MAX_EXPIRES = 253402300799
# A path already percent-encoded for the wire: RFC 3986 pchars, '/' and %XX escapes only.
_WIRE_PATH = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*")


def sign_temp_url(
    *,
    method: str,
    url_or_path: str,
    key: str | bytes,
    expires: int,
    digest: str = "sha256",
    prefix: bool = False,
    ip_range: str | None = None,
    iso8601: bool = False,
    filename: str | None = None,
    inline: bool = False,
    base64_signature: bool = False,
) -> str:
    """Return ``url_or_path`` with a Swift TempURL query that allows ``method`` until ``expires``.

    ``url_or_path`` is an absolute URL (``https://host/v1/<account>/<container>/<object>``) or
    just its path, **percent-encoded** as it would go on the wire (``quote(name)``); it must
    not carry a query. With ``prefix=True`` the last part is an object-name prefix (possibly
    empty, ``/v1/a/c/``) and the signature covers every object under it: replace the path
    of the returned URL with the object's path and keep the query.

    ``digest`` is ``"sha256"`` (default), ``"sha512"`` or ``"sha1"`` (legacy clusters only).
    The signature is hex for sha1/sha256, or ``<digest>:<url-safe base64>`` when
    ``base64_signature`` is true; sha512 always uses the base64 form, as Swift requires.
    ``ip_range`` (an address or CIDR network) restricts the clients that may use the URL.
    ``iso8601`` writes the expiry as ``YYYY-MM-DDTHH:MM:SSZ`` instead of Unix seconds (the
    signature always uses Unix seconds). ``filename`` makes Swift answer GET/HEAD with
    ``Content-Disposition: attachment; filename=...``; ``inline`` makes it ``inline``.

    A ``str`` key is UTF-8 encoded. Raises :class:`ValueError` on any invalid argument
    (:class:`~selectel_objects.errors.InvalidNameError`, a subclass, for a container or object
    name Swift cannot store).
    """
    method = _check_method(method)
    check_expires(expires)
    digest = check_digest(digest)
    key_bytes = key_to_bytes(key)
    origin, wire_path, path = split_signed_url(url_or_path)
    parts = path.split("/", 4)
    if len(parts) != 5 or parts[0] or parts[1] != "v1" or not parts[2] or not parts[3]:
        expected = (
            "/v1/<account>/<container>/<prefix>" if prefix else "/v1/<account>/<container>/<object>"
        )
        raise ValueError(f"a TempURL path must look like {expected}; got {path!r}")
    if not prefix and not parts[4].strip("/"):
        raise ValueError(f"a TempURL must name an object; {path!r} has no object name")
    check_container_name(parts[3])
    if not prefix:
        check_object_name(parts[4])
    signed_path = f"prefix:{path}" if prefix else path
    body = f"{method}\n{expires}\n{signed_path}"
    if ip_range is not None:
        _check_ip_range(ip_range)
        body = f"ip={ip_range}\n{body}"
    signature = hmac_signature(key_bytes, body, digest, base64_form=base64_signature)

    expires_text = time.strftime(_ISO8601, time.gmtime(expires)) if iso8601 else str(expires)
    query = [
        f"temp_url_sig={quote(signature, safe=':')}",
        f"temp_url_expires={quote(expires_text, safe=':')}",
    ]
    if prefix:
        query.append(f"temp_url_prefix={quote(parts[4], safe='')}")
    if ip_range is not None:
        query.append(f"temp_url_ip_range={quote(ip_range, safe='')}")
    query.extend(_disposition_query(filename, inline))
    return f"{origin}{wire_path}?{'&'.join(query)}"


# Helpers shared with _formpost (same keys, digests and path rules); not public API.


def key_to_bytes(key: str | bytes) -> bytes:
    """The HMAC key as bytes; ``str`` keys are UTF-8 (never the platform default)."""
    if isinstance(key, str):
        key_bytes = key.encode("utf-8")
    elif isinstance(key, bytes):
        key_bytes = key
    else:
        raise ValueError(f"key must be str or bytes, not {type(key).__name__}")
    if not key_bytes:
        raise ValueError("key must not be empty")
    return key_bytes


def check_digest(digest: str) -> TempUrlDigest:
    """Validate a digest name (``sha1``, ``sha256``, ``sha512``)."""
    for known in TEMP_URL_DIGESTS:
        if digest == known:
            return known
    raise ValueError(f"digest must be one of {', '.join(TEMP_URL_DIGESTS)}; got {digest!r}")


def hmac_signature(key: bytes, body: str, digest: TempUrlDigest, *, base64_form: bool) -> str:
    """HMAC of ``body`` (UTF-8) as Swift accepts it: hex, or ``<digest>:<base64url>``."""
    mac = hmac.new(key, body.encode("utf-8"), getattr(hashlib, digest))
    if digest == "sha512" or base64_form:
        # Swift re-pads before decoding, so the '=' padding is dropped to keep URLs clean.
        encoded = base64.urlsafe_b64encode(mac.digest()).decode("ascii").rstrip("=")
        return f"{digest}:{encoded}"
    return mac.hexdigest()


def split_signed_url(url_or_path: str) -> tuple[str, str, str]:
    """Split a wire-form URL or path into ``(scheme://host or "", wire path, decoded path)``.

    The wire path is kept as the caller encoded it (e.g. ``%2E`` for a ``.`` segment, which
    HTTP libraries would otherwise collapse); the decoded path is what Swift signs.
    """
    if not isinstance(url_or_path, str):
        raise ValueError(f"url_or_path must be a str, not {type(url_or_path).__name__}")
    parts = urlsplit(url_or_path)
    if parts.query or parts.fragment or "?" in url_or_path or "#" in url_or_path:
        raise ValueError("the URL to sign must not carry a query or fragment")
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"expected an http(s) URL or a path starting with '/'; got {url_or_path!r}"
            )
        origin = f"{parts.scheme}://{parts.netloc}"
    else:
        origin = ""
    wire_path = parts.path
    if not wire_path.startswith("/"):
        raise ValueError(
            f"expected an http(s) URL or a path starting with '/'; got {url_or_path!r}"
        )
    if not _WIRE_PATH.fullmatch(wire_path):
        raise ValueError(
            "the URL path must be percent-encoded (use urllib.parse.quote on container and "
            f"object names); got {wire_path!r}"
        )
    try:
        path = unquote(wire_path, errors="strict")
    except UnicodeDecodeError:
        raise ValueError(f"the URL path does not decode as UTF-8: {wire_path!r}") from None
    return origin, wire_path, path


def check_expires(expires: int) -> None:
    """Validate an absolute Unix expiry time (a positive int)."""
    if isinstance(expires, bool) or not isinstance(expires, int):
        raise ValueError(
            f"expires must be an int (absolute Unix seconds), not {type(expires).__name__}"
        )
    if not 0 < expires <= _MAX_EXPIRES:
        raise ValueError(f"expires must be a positive absolute Unix time; got {expires}")


def _check_method(method: str) -> str:
    upper = method.upper() if isinstance(method, str) else None
    if upper not in TEMP_URL_METHODS:
        raise ValueError(f"method must be one of {', '.join(TEMP_URL_METHODS)}; got {method!r}")
    return upper


def _check_ip_range(ip_range: str) -> None:
    # Swift parses the range with ipaddress.ip_network in strict mode: host bits must be zero.
    try:
        ipaddress.ip_network(ip_range, strict=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"ip_range must be an IP address or CIDR network: {exc}") from None


def _disposition_query(filename: str | None, inline: bool) -> list[str]:
    query = []
    if filename is not None:
        if not isinstance(filename, str) or not filename:
            raise ValueError("filename must be a non-empty str")
        query.append(f"filename={quote(filename, safe='')}")
    if inline:
        query.append("inline")
    return query
