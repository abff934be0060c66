"""The body of a heartbeat SLO manifest PUT, parsed: what the tests read Swift's answer with."""

from __future__ import annotations

import attrs
from selectel_objects._protocol.replies import (
    BulkError,
    load_document,
    parse_errors,
    response_status,
)


@attrs.frozen
class ManifestPutResult:
    """Outcome of ``PUT ...?multipart-manifest=put&heartbeat=on`` (answered ``202``).

    With heartbeats Swift answers at once and puts the real status in the body: ``status``
    is its ``"Response Status"`` code, ``etag`` the large object's ETag (unquoted) on success,
    ``errors`` the segments it refused (``reason`` says why, e.g. ``Etag Mismatch``).
    """

    status: int
    reason: str
    etag: str | None
    errors: tuple[BulkError, ...]
    response_body: str = ""

    @property
    def ok(self) -> bool:
        """True when the manifest was stored."""
        return 200 <= self.status < 300 and not self.errors


def parse_manifest_put(body: bytes | str, *, http_status: int | None = None) -> ManifestPutResult:
    """Parse the JSON body of a heartbeat manifest PUT (``Accept: application/json``).

    Raises :class:`~selectel_objects.errors.ObjectStorageError` when the body is not that.
    """
    document = load_document(body, "manifest PUT")
    status, reason = response_status(document, http_status)
    etag = document.get("Etag")
    response_body = document.get("Response Body")
    return ManifestPutResult(
        status=status,
        reason=reason,
        etag=(etag.strip().strip('"') or None) if isinstance(etag, str) else None,
        errors=parse_errors(document),
        response_body=response_body if isinstance(response_body, str) else "",
    )
