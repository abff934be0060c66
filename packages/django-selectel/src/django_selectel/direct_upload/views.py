"""The signer: a small JSON endpoint that turns a form's ticket into a signed PUT URL."""

from __future__ import annotations

import json
import posixpath

from django.core.exceptions import SuspiciousFileOperation
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from django_selectel.direct_upload.fields import (
    TicketError,
    content_type_allowed,
    guess_content_type,
    read_ticket,
    resolve_storage,
)

__all__ = ["sign_upload"]

_MAX_BODY = 16 * 1024


def _refuse(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@require_POST
def sign_upload(request: HttpRequest) -> JsonResponse:
    """``POST {"ticket", "filename", "size", "content_type"}`` -> ``{"name", "url", ...}``.

    The answer: the server-chosen object ``name`` (under the ticket's prefix), a TempURL
    ``url`` for ``method`` PUT valid for the ticket's ``url_expires``, the ``headers`` to send
    with it. Refusals are JSON ``{"error"}`` with 400 (bad request), 403 (no valid ticket),
    413 (declared size over the limit) or 415 (content type not allowed). CSRF-protected like
    any POST view: send the ``X-CSRFToken`` header. The ticket is the authorisation (only a
    rendered form has one); wrap the view to add your own checks.
    """
    if len(request.body) > _MAX_BODY:
        return _refuse(400, "request too large")
    try:
        body = json.loads(request.body)
        ticket = body["ticket"]
        filename = body["filename"]
        size = body["size"]
        declared = body.get("content_type") or ""
        if not (
            isinstance(ticket, str)
            and isinstance(filename, str)
            and isinstance(declared, str)
            and isinstance(size, int)
            and not isinstance(size, bool)
            and size >= 0
        ):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return _refuse(400, "expected JSON with ticket, filename, size and content_type")
    try:
        policy = read_ticket(ticket)
    except TicketError:
        return _refuse(403, "This form has expired; reload the page.")
    if size > policy.max_size:
        return _refuse(413, f"The file is too large ({size} bytes; at most {policy.max_size}).")
    if size == 0 and not policy.allow_empty_file:
        return _refuse(400, "The file is empty.")
    content_type = guess_content_type(filename, declared)
    if not content_type_allowed(content_type, policy.content_types):
        return _refuse(415, f"Files of type {content_type} are not allowed.")
    storage = resolve_storage(policy.storage)
    base = posixpath.basename(filename.replace("\\", "/"))
    try:
        name = storage.get_available_name(
            policy.prefix + storage.get_valid_name(base), max_length=policy.max_length
        )
    except SuspiciousFileOperation:
        return _refuse(400, "This file name cannot be stored; rename the file.")
    rest = name[len(policy.prefix) :]
    if not name.startswith(policy.prefix) or not rest or "/" in rest:
        return _refuse(400, "This file name cannot be stored; rename the file.")
    url = storage.signed_url(name, method="PUT", expires_in=policy.url_expires)
    return JsonResponse(
        {
            "name": name,
            "url": url,
            "method": "PUT",
            "headers": {"Content-Type": content_type},
            "max_size": policy.max_size,
        }
    )
