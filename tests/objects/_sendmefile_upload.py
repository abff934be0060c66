"""The uploader side of a sendmefile link (what a browser sends to it): headers, the
password signature. The package creates links; the tests upload through them."""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import quote, urlsplit

from selectel_objects._features.sendmefile import _check_int, _password_sha1, _password_text

_UA_SIGNED_CHARS = 300


_TZ_TEXT = re.compile(r"[+-]\d{1,4}")


def upload_headers(
    filename: str | None = None,
    *,
    session_id: int | None = None,
    tz_offset: int | str | None = None,
    password: str | bytes | None = None,
    user_agent: str | None = None,
    expires: int | None = None,
) -> dict[str, str]:
    """Headers for the anonymous ``PUT`` of a file to a sendmefile link.

    ``filename`` becomes ``X-Filename`` (non-ASCII characters are percent-encoded as UTF-8,
    since header values must be Latin-1; how the service decodes them is unverified).
    ``session_id`` (a non-negative int) lets the uploader delete the file within 10 minutes
    from the same IP. ``tz_offset`` is minutes east of UTC (``240``) or the service's text
    form (``"+240"``, ``"-0400"``); it names ``folderday``/``timepostfix`` folders and suffixes.

    For a password-protected link give ``password``, ``user_agent`` and ``expires`` (absolute
    Unix time): the result then carries ``User-Agent`` and ``X-Sendmefile-Secret-Sig``, and
    the request must be sent with exactly that ``User-Agent``. The alternative, sending the
    password itself in the URL, is :func:`add_password_query`.
    """
    headers: dict[str, str] = {}
    if filename is not None:
        headers["X-Filename"] = _header_filename(filename)
    if session_id is not None:
        _check_int("session_id", session_id, minimum=0)
        headers["X-Sendmefile-Session-Id"] = str(session_id)
    if tz_offset is not None:
        headers["X-Sendmefile-TZ-Offset"] = _tz_offset(tz_offset)
    if password is not None:
        if user_agent is None or expires is None:
            raise ValueError("a password-protected upload needs user_agent and expires too")
        headers["User-Agent"] = user_agent
        headers["X-Sendmefile-Secret-Sig"] = secret_signature(
            password=password, user_agent=user_agent, expires=expires
        )
    elif user_agent is not None or expires is not None:
        raise ValueError("user_agent and expires are only used with a password")
    return headers


def secret_signature(*, password: str | bytes, user_agent: str, expires: int) -> str:
    """The ``X-Sendmefile-Secret-Sig`` value: ``<expires>.<hex HMAC-SHA1>``.

    The HMAC key is the SHA-1 hex of the password (what the link stores); the message is
    the first 300 characters of the ``User-Agent``, a newline, and ``expires``.
    """
    if not isinstance(user_agent, str) or not user_agent:
        raise ValueError("user_agent must be a non-empty str")
    if any(ch in user_agent for ch in "\r\n\0"):
        raise ValueError("user_agent must not contain CR, LF or NUL")
    _check_int("expires", expires, minimum=1)
    key = _password_sha1(password).encode("ascii")
    message = f"{user_agent[:_UA_SIGNED_CHARS]}\n{expires}".encode()
    return f"{expires}.{hmac.new(key, message, hashlib.sha1).hexdigest()}"


def add_password_query(link_url: str, password: str | bytes) -> str:
    """``link_url`` with ``?_ssuk=<password>``, the service's plain-password alternative.

    The password travels in the URL and ends up in access logs: prefer
    :func:`upload_headers` with a signature when the uploader can set headers.
    """
    if not isinstance(link_url, str) or urlsplit(link_url).fragment:
        raise ValueError("link_url must be a str URL without a fragment")
    text = _password_text(password)
    separator = "&" if urlsplit(link_url).query else "?"
    return f"{link_url}{separator}_ssuk={quote(text, safe='')}"


def _header_filename(filename: str) -> str:
    if not isinstance(filename, str) or not filename:
        raise ValueError("filename must be a non-empty str")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in filename):
        raise ValueError(f"filename must not contain control characters: {filename!r}")
    # Keep printable ASCII as is; only what a Latin-1 header cannot carry is escaped.
    return "".join(ch if ch.isascii() else quote(ch, safe="") for ch in filename)


def _tz_offset(value: int | str) -> str:
    if isinstance(value, str):
        if not _TZ_TEXT.fullmatch(value):
            raise ValueError(f"tz_offset text must look like '+240' or '-0400'; got {value!r}")
        return value
    _check_int("tz_offset", value, minimum=-12 * 60, maximum=14 * 60)
    return f"{value:+d}"
