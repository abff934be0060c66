"""Selectel legacy (selcdn) temporary links, HMAC-SHA1: a reference the tests check the
TempURL signing rules against."""

from __future__ import annotations

from selectel_objects._features.tempurl import (
    _check_method,
    _disposition_query,
    check_expires,
    hmac_signature,
    key_to_bytes,
    split_signed_url,
)


def sign_legacy_temp_url(
    *,
    url: str,
    key: str | bytes,
    expires: int,
    method: str = "GET",
    filename: str | None = None,
) -> str:
    """Sign a Selectel legacy ("Object Storage (old)") temporary link, HMAC-SHA1 in hex.

    The signed path is the URL path relative to the domain the link is served from:
    ``https://<account>.selcdn.ru/<container>/<object>``, or ``https://<custom domain>/<object>``
    for a domain bound to a container (the container is then not part of the path). The key
    is the account's or container's ``Temp-URL-Key``. ``url`` is percent-encoded as on the
    wire and must not carry a query. Raises :class:`ValueError` on any invalid argument.
    """
    method = _check_method(method)
    check_expires(expires)
    key_bytes = key_to_bytes(key)
    origin, wire_path, path = split_signed_url(url)
    if not path.strip("/"):
        raise ValueError(f"a legacy temporary link must name an object; got path {path!r}")
    signature = hmac_signature(key_bytes, f"{method}\n{expires}\n{path}", "sha1", base64_form=False)
    query = [f"temp_url_sig={signature}", f"temp_url_expires={expires}"]
    query.extend(_disposition_query(filename, inline=False))
    return f"{origin}{wire_path}?{'&'.join(query)}"
