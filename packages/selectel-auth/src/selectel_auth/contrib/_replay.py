"""What the adapters share: can a request body be sent again, and where a URL moves."""

from __future__ import annotations

from typing import Any

from selectel_auth._types import AccessToken

__all__ = ["body_position", "can_replay", "moved_url"]


def body_position(body: Any) -> int | None:
    """The position to rewind a file-like body to before a resend, if it can be rewound."""
    if body is None or isinstance(body, bytes | bytearray | str):
        return None
    seek = getattr(body, "seek", None)
    tell = getattr(body, "tell", None)
    if seek is None or tell is None:
        return None
    seekable = getattr(body, "seekable", None)
    try:
        if seekable is not None and not seekable():
            return None
        position = tell()
    except (OSError, ValueError):
        return None
    return position if isinstance(position, int) else None


def can_replay(body: Any, position: int | None) -> bool:
    """Rewind ``body`` when needed; ``False`` if it cannot be sent again (a consumed stream)."""
    if body is None or isinstance(body, bytes | bytearray | str):
        return True
    if position is None:
        return False
    try:
        body.seek(position)
    except (OSError, ValueError):
        return False
    return True


def moved_url(url: str, old: AccessToken, new: AccessToken) -> str:
    """``url`` re-pointed at the new token's storage URL when the storage URL changed."""
    if (
        old.storage_url
        and new.storage_url
        and old.storage_url != new.storage_url
        and (url == old.storage_url or url.startswith(old.storage_url + "/"))
    ):
        return new.storage_url + url[len(old.storage_url) :]
    return url
