"""Token caches: in-process (MemoryTokenCache) and shared between processes (FileTokenCache)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

if sys.platform != "win32":
    import fcntl

from selectel_auth._errors import AuthConfigError
from selectel_auth._types import AccessToken

__all__ = ["FileTokenCache", "MemoryTokenCache", "default_cache_dir"]

logger = logging.getLogger("selectel_auth")

_SAFE_KEY = re.compile(r"[A-Za-z0-9_-]{1,128}")
_FORMAT = 1


class MemoryTokenCache:
    """Shares tokens between credentials of one process (e.g. one per thread or per client)."""

    def __init__(self) -> None:
        self._tokens: dict[str, AccessToken] = {}
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def __repr__(self) -> str:
        return f"MemoryTokenCache(entries={len(self._tokens)})"

    def load(self, key: str) -> AccessToken | None:
        """The token saved under ``key``, or ``None``."""
        with self._guard:
            return self._tokens.get(key)

    def save(self, key: str, token: AccessToken) -> None:
        """Store ``token`` under ``key``."""
        with self._guard:
            self._tokens[key] = token

    def delete(self, key: str, token: AccessToken | None = None) -> None:
        """Remove the entry (only if it still holds ``token``, when given)."""
        with self._guard:
            current = self._tokens.get(key)
            if current is not None and (token is None or current.token == token.token):
                del self._tokens[key]

    def lock(self, key: str) -> threading.Lock:
        """A lock per key, for single-flight between the credentials sharing this cache."""
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/selectel-auth``, else ``~/.cache/selectel-auth`` (macOS: Caches)."""
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "selectel-auth"


class FileTokenCache:
    """Shares tokens between processes through owner-only files in ``directory``.

    One JSON file per key (token, storage URL, expiry; never a password), written to a
    temporary file and renamed into place, so readers never see half a file. ``lock(key)``
    takes an exclusive ``flock`` on a sibling ``.lock`` file, which is how several worker
    processes end up making a single auth request. The directory is created ``0700``;
    files are ``0600``. POSIX only.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        if sys.platform == "win32":  # pragma: no cover - the suite runs on POSIX
            raise AuthConfigError(
                "FileTokenCache needs POSIX file locks; use MemoryTokenCache on Windows"
            )
        try:
            self.directory = Path(directory) if directory is not None else default_cache_dir()
        except (RuntimeError, KeyError):  # Path.home() without HOME or a passwd entry
            raise AuthConfigError(
                "no home directory for the token cache; pass FileTokenCache(directory=...)"
            ) from None
        self._checked = False

    def __repr__(self) -> str:
        return f"FileTokenCache(directory={str(self.directory)!r})"

    def load(self, key: str) -> AccessToken | None:
        """The token saved under ``key``; ``None`` if absent, unreadable or malformed."""
        path = self._path(key, ".json")
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return None
        except OSError as exc:
            logger.warning("token cache %s unreadable (%s); ignoring it", path, exc.strerror)
            return None
        with os.fdopen(fd, "rb") as handle:
            if os.fstat(handle.fileno()).st_uid != os.getuid():
                logger.warning("token cache %s belongs to another user; ignoring it", path)
                return None
            raw = handle.read(1024 * 1024)
        try:
            data = json.loads(raw)
            if data.get("format") != _FORMAT:
                return None
            return AccessToken(
                token=_str(data["token"]),
                storage_url=_opt_str(data.get("storage_url")),
                expires_at=_opt_float(data.get("expires_at")),
                refresh_at=_opt_float(data.get("refresh_at")),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            logger.warning("token cache %s is malformed; ignoring it", path)
            return None

    def save(self, key: str, token: AccessToken) -> None:
        """Write ``token`` under ``key`` atomically (temporary file + ``os.replace``)."""
        path = self._path(key, ".json")
        document = {
            "format": _FORMAT,
            "token": token.token,
            "storage_url": token.storage_url,
            "expires_at": token.expires_at,
            "refresh_at": token.refresh_at,
        }
        # mkstemp creates the file 0600.
        fd, temporary = tempfile.mkstemp(prefix=f".{key[:16]}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle)
                handle.flush()
                os.fsync(handle.fileno())
            Path(temporary).replace(path)
        except BaseException:
            with contextlib.suppress(OSError):
                Path(temporary).unlink()
            raise

    def delete(self, key: str, token: AccessToken | None = None) -> None:
        """Remove the entry (only if it still holds ``token``, when given)."""
        path = self._path(key, ".json")
        if token is not None:
            current = self.load(key)
            if current is None or current.token != token.token:
                return
        with contextlib.suppress(FileNotFoundError):
            path.unlink()

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """Hold an exclusive lock for ``key`` across processes (``fcntl.flock``)."""
        path = self._path(key, ".lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _path(self, key: str, suffix: str) -> Path:
        if not _SAFE_KEY.fullmatch(key):
            raise ValueError("cache keys are 1-128 characters of [A-Za-z0-9_-]")
        if not self._checked:
            self._prepare_directory()
        return self.directory / f"{key}{suffix}"

    def _prepare_directory(self) -> None:
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = self.directory.lstat()
        except OSError as exc:
            raise AuthConfigError(
                f"token cache directory {str(self.directory)!r} cannot be created "
                f"({exc.strerror}); pass FileTokenCache(directory=...)"
            ) from None
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            raise AuthConfigError(
                f"token cache directory {str(self.directory)!r} is not a directory owned by "
                "this user; pass FileTokenCache(directory=...)"
            )
        if stat.S_IMODE(info.st_mode) & 0o077:
            self.directory.chmod(0o700)
        self._checked = True


def _str(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError("expected a non-empty string")
    return value


def _opt_str(value: object) -> str | None:
    return None if value is None else _str(value)


def _opt_float(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("expected a number")
    return float(value)
