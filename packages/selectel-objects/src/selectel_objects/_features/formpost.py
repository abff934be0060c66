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

from collections.abc import Mapping
from types import MappingProxyType

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
    "FormPostForm",
    "sign_form_post",
]

#: Swift reads at most this many bytes of each non-file form field and drops the rest.
FORMPOST_MAX_VALUE_LENGTH = 4096


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


def _check_positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int; got {value!r}")


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
