"""Selectel legacy "sendmefile" upload links (Object Storage (old) only).

A sendmefile link is an object whose ``Content-Type`` is ``x-storage/sendmefile[+variant]``;
its URL then accepts anonymous ``PUT`` uploads. :func:`build_sendmefile_link` gives the
headers and body of the authenticated ``PUT`` that creates a link; :func:`upload_headers`
and :func:`add_password_query` give what an uploader sends. No HTTP here.

The feature goes away with Selectel's legacy storage; the current storage has FormPost and
TempURL ``PUT`` instead. Every function raises :class:`ValueError` on bad input; no message
ever contains a password or its hash.
"""

from __future__ import annotations

import hashlib
from typing import Literal

__all__ = [
    "SENDMEFILE_CONTENT_TYPE",
    "SENDMEFILE_HELP_TEXT_MAX_CHARS",
    "SENDMEFILE_MAX_SIZE",
    "SENDMEFILE_MIN_EXPIRE",
    "SENDMEFILE_SECRET_HEADERS",
    "SENDMEFILE_VARIANTS",
    "SendMeFileVariant",
    "build_sendmefile_link",
]

#: The name of a link variant (see :data:`SENDMEFILE_VARIANTS`).
SendMeFileVariant = Literal[
    "plain", "inplace", "timepostfix", "autopostfix", "folderday", "folderhour", "folderuniq"
]
#: Every link variant: ``plain`` is a generic drop box; ``inplace`` takes exactly one file
#: stored under the link's own name; ``timepostfix``/``autopostfix`` append the upload time
#: or a unique id to the name; ``folderday``/``folderhour``/``folderuniq`` put files in a
#: folder per day, per hour, or a unique one.
SENDMEFILE_VARIANTS: tuple[SendMeFileVariant, ...] = (
    "plain",
    "inplace",
    "timepostfix",
    "autopostfix",
    "folderday",
    "folderhour",
    "folderuniq",
)
SENDMEFILE_CONTENT_TYPE = "x-storage/sendmefile"
#: The largest ``max_size`` a link may declare (the "5 GB" object limit, read as GiB).
SENDMEFILE_MAX_SIZE = 5 * 1024**3
#: ``expire`` and ``default_expire`` must be at least one hour.
SENDMEFILE_MIN_EXPIRE = 3600
SENDMEFILE_HELP_TEXT_MAX_CHARS = 4096
#: Headers whose values must be masked in logs: the first holds sha1(password), which is
#: also the key of upload signatures.
SENDMEFILE_SECRET_HEADERS = ("X-Object-Meta-Sendmefile-Secret", "X-Sendmefile-Secret-Sig")

_META = "X-Object-Meta-Sendmefile-"


def build_sendmefile_link(
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
) -> tuple[dict[str, str], bytes]:
    """Headers and body of the ``PUT <storage>/<container>/<link name>`` creating a link.

    Options left as ``None`` are not sent (the service default applies):
    ``disable_web`` turns off the web upload form; ``max_size`` (1 byte to 5 GiB) caps an
    upload; ``allow_overwrite`` (default no) lets uploads replace existing objects;
    ``default_expire`` and ``expire`` are seconds (at least 3600); ``delete_at`` is a Unix
    time; ``ignore_filename`` ignores the uploader's file name; ``password`` protects the
    link (only its SHA-1 hex is sent, as the service expects); ``help_text`` (at most 4096
    characters) is shown on the web form and becomes the UTF-8 request body.
    """
    if variant not in SENDMEFILE_VARIANTS:
        raise ValueError(
            f"variant must be one of {', '.join(SENDMEFILE_VARIANTS)}; got {variant!r}"
        )
    content_type = (
        SENDMEFILE_CONTENT_TYPE if variant == "plain" else f"{SENDMEFILE_CONTENT_TYPE}+{variant}"
    )
    headers = {"Content-Type": content_type}
    if disable_web is not None:
        headers[_META + "Disable-Web"] = _yes_no("disable_web", disable_web)
    if max_size is not None:
        _check_int("max_size", max_size, minimum=1, maximum=SENDMEFILE_MAX_SIZE)
        headers[_META + "Max-Size"] = str(max_size)
    if allow_overwrite is not None:
        headers[_META + "Allow-Overwrite"] = _yes_no("allow_overwrite", allow_overwrite)
    if default_expire is not None:
        _check_int("default_expire", default_expire, minimum=SENDMEFILE_MIN_EXPIRE)
        headers[_META + "Default-Expire"] = str(default_expire)
    if expire is not None:
        _check_int("expire", expire, minimum=SENDMEFILE_MIN_EXPIRE)
        headers[_META + "Expire"] = str(expire)
    if delete_at is not None:
        _check_int("delete_at", delete_at, minimum=1)
        headers[_META + "Delete-At"] = str(delete_at)
    if ignore_filename is not None:
        headers[_META + "Ignore-Filename"] = _yes_no("ignore_filename", ignore_filename)
    if password is not None:
        headers[_META + "Secret"] = _password_sha1(password)
    body = b""
    if help_text is not None:
        if not isinstance(help_text, str):
            raise ValueError(f"help_text must be a str, not {type(help_text).__name__}")
        if len(help_text) > SENDMEFILE_HELP_TEXT_MAX_CHARS:
            raise ValueError(
                f"help_text has {len(help_text)} characters; "
                f"at most {SENDMEFILE_HELP_TEXT_MAX_CHARS} are allowed"
            )
        body = help_text.encode("utf-8")
    return headers, body


def _password_text(password: str | bytes) -> str:
    if isinstance(password, bytes):
        try:
            password = password.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("password bytes must be UTF-8") from None
    if not isinstance(password, str) or not password:
        raise ValueError("password must be a non-empty str or bytes")
    return password


def _password_sha1(password: str | bytes) -> str:
    return hashlib.sha1(_password_text(password).encode("utf-8")).hexdigest()  # noqa: S324


def _yes_no(name: str, value: bool) -> str:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False; got {value!r}")
    return "yes" if value else "no"


def _check_int(name: str, value: int, *, minimum: int, maximum: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an int; got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise ValueError(f"{name} must be {bound}; got {value}")
