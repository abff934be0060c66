"""``SelectelAuth``: a ``requests`` auth that adds ``X-Auth-Token`` and survives one 401.

Needs the ``requests`` library (selectel-auth does not depend on it)::

    session.auth = SelectelAuth(credential)
    session.get(credential.get_token().storage_url + "/media?format=json")
"""

from __future__ import annotations

import logging
from typing import Any

try:
    from requests import PreparedRequest, Response
    from requests.auth import AuthBase
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "selectel_auth.contrib.requests needs the 'requests' library: pip install requests"
    ) from exc

from selectel_auth._types import AccessToken, TokenCredential
from selectel_auth.contrib._replay import body_position, can_replay, moved_url

__all__ = ["SelectelAuth"]

logger = logging.getLogger("selectel_auth")


class SelectelAuth(AuthBase):
    """Adds ``X-Auth-Token``; on a 401 invalidates that token and resends once.

    The resend happens only when ``credential.invalidate`` says a retry makes sense and the
    body can be sent again (bytes, or a seekable file; never a consumed generator). A URL
    under the old storage URL is moved to the new one if re-authentication changed it.
    """

    def __init__(self, credential: TokenCredential) -> None:
        self.credential = credential

    def __repr__(self) -> str:
        return f"SelectelAuth({self.credential!r})"

    def __call__(self, r: PreparedRequest) -> PreparedRequest:
        token = self.credential.get_token()
        r.headers["X-Auth-Token"] = token.token
        hook = _RetryOn401(self.credential, token, body_position(r.body))
        r.hooks.setdefault("response", []).append(hook)
        return r


class _RetryOn401:
    def __init__(self, credential: TokenCredential, token: AccessToken, position: int | None):
        self.credential = credential
        self.token = token
        self.position = position

    def __call__(self, response: Response, **kwargs: Any) -> Response:
        if response.status_code != 401:
            return response
        request = response.request
        if not can_replay(request.body, self.position):
            logger.info("401 from %s; body cannot be resent, not retrying", request.method)
            return response
        if not self.credential.invalidate(self.token):
            return response
        token = self.credential.get_token()
        _ = response.content  # drain, so the connection goes back to the pool
        response.close()
        retry = request.copy()
        retry.headers["X-Auth-Token"] = token.token
        if retry.url is not None:
            retry.url = moved_url(retry.url, self.token, token)
        # copy() shares the hooks dict: build a new one without this hook (resend once only).
        retry.hooks = {
            event: [hook for hook in hooks if hook is not self]
            for event, hooks in request.hooks.items()
        }
        logger.debug("401: token invalidated, resending %s once", request.method)
        result: Response = response.connection.send(retry, **kwargs)
        result.history.append(response)
        result.request = retry
        return result
