"""The container CORS rules a page on another origin needs to upload straight to Swift.

Swift keeps them in container metadata (``X-Container-Meta-Access-Control-Allow-Origin``,
``-Max-Age``, ``-Expose-Headers``) and answers the browser's preflight from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import Storage
from selectel_objects import Container

__all__ = ["check_cors", "configure_cors"]

_ALLOW = "access-control-allow-origin"
_MAX_AGE = "access-control-max-age"
_EXPOSE = "access-control-expose-headers"


def _origin(value: str) -> str:
    if value == "*":
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise ValueError(f"{value!r} is no origin: scheme://host[:port], no path")
    return f"{parts.scheme}://{parts.netloc}"


def _container(storage: Storage, container: str | None) -> tuple[Container, str]:
    from django_selectel.storages import SelectelStorage  # noqa: PLC0415 - settings first

    if not isinstance(storage, SelectelStorage):
        raise ImproperlyConfigured(f"{storage!r} is not a SelectelStorage")
    name = container or storage.config.container
    if not name:
        raise ImproperlyConfigured("this storage has no 'container' option: pass container=")
    return storage.client.container(name), name


def configure_cors(
    storage: Storage,
    origins: Iterable[str],
    *,
    max_age: int | None = 3600,
    expose_headers: Iterable[str] = (),
    container: str | None = None,
) -> None:
    """Allow ``origins`` (``https://app.example``, or ``*``) on the storage's container.

    One POST; the container's other metadata stays. ``max_age``: how long browsers may cache
    the preflight answer (``None`` removes it).
    """
    allowed = [_origin(o.strip()) for o in origins if o.strip()]
    if not allowed:
        raise ValueError("give at least one origin")
    client, _name = _container(storage, container)
    expose = " ".join(h.strip() for h in expose_headers if h.strip())
    client.set_metadata(
        {
            _ALLOW: " ".join(dict.fromkeys(allowed)),
            _MAX_AGE: None if max_age is None else str(int(max_age)),
            _EXPOSE: expose or None,
        }
    )


def check_cors(storage: Storage, origin: str, *, container: str | None = None) -> list[str]:
    """Why a browser on ``origin`` could not upload to the container (empty: it can). One HEAD."""
    wanted = _origin(origin)
    client, name = _container(storage, container)
    metadata = client.info().metadata
    allowed = str(metadata.get(_ALLOW, "")).split()
    if not allowed:
        return [f"container {name!r} has no CORS rules: run manage.py selectel_cors {wanted}"]
    if wanted not in allowed and "*" not in allowed:
        return [f"container {name!r} allows {' '.join(allowed)}, not {wanted}"]
    return []
