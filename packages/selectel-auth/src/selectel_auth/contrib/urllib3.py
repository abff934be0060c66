"""``request_with_token``: one urllib3 request with ``X-Auth-Token`` that survives one 401.

Needs the ``urllib3`` library (selectel-auth does not depend on it)::

    pool = urllib3.PoolManager()
    reply = request_with_token(pool, credential, "GET", "media?format=json")
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

try:
    import urllib3
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "selectel_auth.contrib.urllib3 needs the 'urllib3' library: pip install urllib3"
    ) from exc

from selectel_auth._types import AccessToken, TokenCredential
from selectel_auth.contrib._replay import body_position, can_replay, moved_url

if TYPE_CHECKING:
    from urllib3 import BaseHTTPResponse

__all__ = ["request_with_token"]

logger = logging.getLogger("selectel_auth")


def request_with_token(
    pool: urllib3.PoolManager | urllib3.HTTPConnectionPool,
    credential: TokenCredential,
    method: str,
    url: str,
    *,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    **kw: Any,
) -> BaseHTTPResponse:
    """Send ``method url`` with the credential's token; on a 401 invalidate and resend once.

    ``url`` is absolute, or a path relative to the token's storage URL (``"media/a.txt"``).
    The resend happens only when ``credential.invalidate`` says a retry makes sense and
    ``body`` can be sent again (bytes or a seekable file). Other keywords go to
    ``pool.request``.
    """
    position = body_position(body)
    token = credential.get_token()
    target = _absolute(url, token)
    response = pool.request(
        method, target, body=body, headers={**(headers or {}), "X-Auth-Token": token.token}, **kw
    )
    if response.status != 401:
        return response
    if not can_replay(body, position):
        logger.info("401 from %s; body cannot be resent, not retrying", method)
        return response
    if not credential.invalidate(token):
        return response
    fresh = credential.get_token()
    response.drain_conn()
    response.release_conn()
    logger.debug("401: token invalidated, resending %s once", method)
    return pool.request(
        method,
        moved_url(url, token, fresh) if "://" in url else _absolute(url, fresh),
        body=body,
        headers={**(headers or {}), "X-Auth-Token": fresh.token},
        **kw,
    )


def _absolute(url: str, token: AccessToken) -> str:
    if "://" in url:
        return url
    if not token.storage_url:
        raise ValueError("a relative url needs a token with a storage URL")
    return f"{token.storage_url}/{url.lstrip('/')}"
