"""``RealSwift``: the ``swift`` fixture's face of a real OpenStack Swift (``SWIFT_TARGET=real``).

The connection comes from the environment (``SWIFT_AUTH_URL``, ``SWIFT_USER``, ``SWIFT_KEY``,
as ``scripts/realswift.py env`` prints them and ``scripts/test.py`` exports them); nothing here
starts or stops a server. It offers the attributes every target has (see docs/design.md):
``auth_v1_url``, ``v1_user``, ``v1_key``, ``storage_url()``, ``v1_credential(**kw)``, plus
``base_url``, ``info_url`` and ``ca_path``. Tests are isolated by emptying the account before
each of them: every object and container goes, and so does the account metadata.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import urllib3

if TYPE_CHECKING:
    from selectel_auth import SwiftV1Credential

__all__ = ["ENV_VARS", "RealSwift", "RealSwiftUnavailable"]

#: The environment variables that point the suites at a real Swift.
ENV_VARS = ("SWIFT_AUTH_URL", "SWIFT_USER", "SWIFT_KEY")
# Expired objects stay listed until Swift's object-expirer runs (every 2 s under
# scripts/realswift.py), and until then their container cannot be deleted.
_EMPTY_DEADLINE = 20.0
_BULK_BATCH = 1000


class RealSwiftUnavailable(RuntimeError):
    """The environment names no usable real Swift."""


class RealSwift:
    """A real Swift reached with legacy v1 (tempauth) credentials."""

    ca_path: str | None = None

    def __init__(self, auth_url: str, user: str, key: str) -> None:
        self.auth_v1_url = auth_url
        self.v1_user = user
        self.v1_key = key
        self._http = urllib3.PoolManager(
            retries=False, timeout=urllib3.Timeout(connect=5.0, read=30.0)
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> RealSwift:
        """The Swift the environment names; ``RealSwiftUnavailable`` says what is missing."""
        missing = [name for name in ENV_VARS if not environ.get(name)]
        if missing:
            raise RealSwiftUnavailable(
                f"SWIFT_TARGET=real needs {', '.join(missing)}: start one with "
                '`python3 scripts/realswift.py start` and `eval "$(python3 '
                'scripts/realswift.py env)"`, or run `python3 scripts/test.py --only real-swift`'
            )
        return cls(environ["SWIFT_AUTH_URL"], environ["SWIFT_USER"], environ["SWIFT_KEY"])

    # -- what tests use ----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """``http(s)://host:port`` of the auth URL."""
        parts = urlsplit(self.auth_v1_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def info_url(self) -> str:
        """``GET /info`` (no auth needed)."""
        return self.base_url + "/info"

    def storage_url(self, account: str | None = None) -> str:
        """The storage URL auth hands out (``account`` swaps the last path segment)."""
        _token, url = self.authenticate()
        if account is None:
            return url
        return url.rsplit("/", 1)[0] + "/" + quote(account)

    def v1_credential(self, **kw: Any) -> SwiftV1Credential:
        """``selectel_auth.SwiftV1Credential`` for the user of the environment."""
        import selectel_auth

        params: dict[str, Any] = {
            "user": self.v1_user,
            "key": self.v1_key,
            "auth_url": self.auth_v1_url,
        }
        params.update(kw)
        return selectel_auth.SwiftV1Credential(**params)

    def authenticate(self) -> tuple[str, str]:
        """(token, storage URL). tempauth hands out the same token while it lives, so this is
        the token the clients under test get too."""
        credentials = {"X-Auth-User": self.v1_user, "X-Auth-Key": self.v1_key}
        reply = self._http.request("GET", self.auth_v1_url, headers=credentials)
        if reply.status != 200:
            raise RealSwiftUnavailable(
                f"v1 auth at {self.auth_v1_url} answered {reply.status} for {self.v1_user}"
            )
        return reply.headers["X-Auth-Token"], reply.headers["X-Storage-Url"].rstrip("/")

    # -- isolation ---------------------------------------------------------------------------
    def empty_account(self) -> None:
        """Delete every object and container, and remove the account metadata."""
        token, url = self.authenticate()
        auth = {"X-Auth-Token": token}
        deadline = time.monotonic() + _EMPTY_DEADLINE
        while True:
            paths = [
                path
                for container in self._names(url, auth)
                for path in (*self._object_paths(url, auth, container), "/" + quote(container))
            ]
            if not paths:
                break
            failed = self._bulk_delete(url, auth, paths)
            if not failed:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"could not empty the real Swift account {url}: {failed[:5]} (after "
                    f"{_EMPTY_DEADLINE:.0f} s)"
                )
            time.sleep(0.5)
        head = self._http.request("HEAD", url, headers=auth)
        removals = {
            "X-Remove-" + name[len("X-") :]: "x"
            for name in head.headers
            if name.lower().startswith("x-account-meta-")
        }
        if removals:
            reply = self._http.request("POST", url, headers={**auth, **removals})
            if reply.status // 100 != 2:
                raise RuntimeError(f"removing account metadata answered {reply.status}")

    def _listing(self, url: str, auth: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        marker = ""
        while True:
            reply = self._http.request(
                "GET", url, fields={"format": "json", "marker": marker}, headers=auth
            )
            if reply.status == 404:
                return
            if reply.status != 200:
                raise RuntimeError(f"listing {url} answered {reply.status}")
            page = json.loads(reply.data)
            if not page:
                return
            yield from page
            last = page[-1]
            marker = last.get("name") or last.get("subdir") or ""

    def _names(self, url: str, auth: Mapping[str, str]) -> list[str]:
        return [str(item["name"]) for item in self._listing(url, auth)]

    def _object_paths(self, url: str, auth: Mapping[str, str], container: str) -> list[str]:
        base = f"{url}/{quote(container, safe='')}"
        return [
            "/" + quote(container) + "/" + quote(str(item["name"]))
            for item in self._listing(base, auth)
        ]

    def _bulk_delete(self, url: str, auth: Mapping[str, str], paths: list[str]) -> list[Any]:
        failed: list[Any] = []
        # Objects before containers: bulk delete orders them so within one request only.
        for start in range(0, len(paths), _BULK_BATCH):
            body = "\n".join(paths[start : start + _BULK_BATCH]).encode()
            reply = self._http.request(
                "POST",
                url + "?bulk-delete",
                body=body,
                headers={**auth, "Accept": "application/json", "Content-Type": "text/plain"},
            )
            if reply.status != 200:
                raise RuntimeError(f"bulk delete at {url} answered {reply.status}")
            failed += json.loads(reply.data)["Errors"]
        return failed

    def close(self) -> None:
        """Drop the pooled connections."""
        self._http.clear()
