"""django-selectel 2.x compatibility: :class:`ApiStorage` (import it from ``storages``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import SuspiciousFileOperation

from django_selectel import _legacy
from django_selectel._names import clean_name, join_location
from django_selectel._storage import PUBLIC_MODULE, SelectelStorage

__all__ = ["ApiStorage"]


class ApiStorage(SelectelStorage):
    """django-selectel 2.x compatible storage: the first folder of a name is the container.

    ``ApiStorage(user=..., password=..., domains=..., use_gz=..., overwrite_files=...)`` and
    ``settings.SELECTEL_STORAGE`` work as they did. A name without a folder cannot say which
    container it belongs to and raises :class:`SuspiciousFileOperation` before any request.
    """

    __module__ = PUBLIC_MODULE

    def __init__(
        self,
        user: str | None = None,
        password: str | None = None,
        domains: Mapping[str, str] | None = None,
        overwrite_files: bool | None = None,
        use_gz: bool | None = None,
        **options: Any,
    ) -> None:
        given_2x = {
            "user": user,
            "password": password,
            "domains": domains,
            "overwrite_files": overwrite_files,
            "use_gz": use_gz,
        }
        given = {k: v for k, v in given_2x.items() if v is not None} | options
        mapped = dict(given)
        if "password" in mapped and "user" in mapped:
            mapped["key"] = mapped.pop("password")
        self._setup(given, mapped)

    @classmethod
    def _fallback_options(cls) -> dict[str, Any] | None:
        return _legacy.django_selectel2_settings()

    def _split(self, name: str) -> tuple[str, str]:
        if self._config.container is not None:
            return super()._split(name)
        container, _, rest = name.partition("/")
        if not rest:
            raise SuspiciousFileOperation(
                f"ApiStorage stores a file in the container named by its first folder, and "
                f"{name!r} has none: use upload_to='<container>/...'"
            )
        return container, rest

    def _prefix(self, path: object) -> tuple[str, str]:
        if self._config.container is not None:
            return super()._prefix(path)
        container, _, rest = clean_name(path).partition("/")
        prefix = join_location(self._config.location, rest)
        return container, f"{prefix}/" if prefix else ""

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        """At the root, the containers of the account; below it, as :class:`SelectelStorage`."""
        if self._config.container is None and clean_name(path, allow_empty=True) == "":
            return [c.name for c in self.client.list_containers() if c.name], []
        return super().listdir(path)
