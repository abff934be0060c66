"""``RealSwift``: the ``swift`` fixture's face of a real OpenStack Swift (``SWIFT_TARGET=real``).

The connection comes from the environment (``SWIFT_AUTH_URL``, ``SWIFT_USER``, ``SWIFT_KEY``
for the tempauth proxy, ``SWIFT_KEYSTONE`` for Keystone and its proxies, as
``scripts/realswift.py env`` prints them and ``scripts/test.py`` exports them); nothing here
starts or stops a server. It offers the attributes every target has (see docs/design.md):
``auth_v1_url``, ``v1_user``, ``v1_key``, ``v1_credential(**kw)``, ``auth_v3_url``, ``v3``,
``v3_credential(**kw)``, ``regions``, ``storage_url()``, plus ``base_url``, ``info_url`` and
``ca_path``. Tests are isolated by emptying the accounts (the tempauth one and the Keystone
project's) before each of them: every object and container goes, and so does the metadata.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import urllib3

from scripts.realkeystone import KeystoneLayout
from tests.fakeswift.app import V3Info

if TYPE_CHECKING:
    from selectel_auth import KeystoneCredential, SwiftV1Credential

__all__ = ["ENV_VARS", "RealSwift", "RealSwiftUnavailable"]

#: The environment variables that point the suites at a real Swift.
ENV_VARS = ("SWIFT_AUTH_URL", "SWIFT_USER", "SWIFT_KEY", "SWIFT_KEYSTONE")
# Expired objects stay listed until Swift's object-expirer runs (every 2 s under
# scripts/realswift.py), and until then their container cannot be deleted.
_EMPTY_DEADLINE = 20.0
_BULK_BATCH = 1000


class RealSwiftUnavailable(RuntimeError):
    """The environment names no usable real Swift."""


class RealSwift:
    """A real Swift reached with legacy v1 (tempauth) credentials and with Keystone v3."""

    ca_path: str | None = None

    def __init__(self, auth_url: str, user: str, key: str, keystone: KeystoneLayout) -> None:
        self.auth_v1_url = auth_url
        self.v1_user = user
        self.v1_key = key
        self.keystone = keystone
        #: The Keystone service user (operator role), as the fake's ``v3`` describes its own.
        self.v3 = V3Info(
            name=keystone.service_user.name,
            password=keystone.service_user.password,
            account_id=keystone.account_id,
            project_id=keystone.project_id,
            project_name=keystone.project_name,
            region=keystone.regions[0],
            user_id=keystone.service_user.user_id,
            domain_id=keystone.domain_id,
        )
        #: Regions of the catalog, the default one first.
        self.regions = list(keystone.regions)
        self._http = urllib3.PoolManager(
            retries=False, timeout=urllib3.Timeout(connect=5.0, read=30.0)
        )
        self._v3_token: tuple[str, float] | None = None

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
        try:
            keystone = KeystoneLayout.from_json(json.loads(environ["SWIFT_KEYSTONE"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise RealSwiftUnavailable(
                f"SWIFT_KEYSTONE is not what `scripts/realswift.py env` prints: {exc!r}"
            ) from exc
        return cls(environ["SWIFT_AUTH_URL"], environ["SWIFT_USER"], environ["SWIFT_KEY"], keystone)

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

    @property
    def auth_v3_url(self) -> str:
        """Keystone v3 base URL (tokens live an hour)."""
        return self.keystone.auth_url

    @property
    def short_auth_v3_url(self) -> str:
        """A second Keystone on the same database and keys, whose tokens live about 20 s."""
        return self.keystone.short_auth_url

    def storage_url(
        self, account: str | None = None, *, region: str | None = None, interface: str = "public"
    ) -> str:
        """The storage URL auth hands out (``account`` swaps the last path segment).

        The Keystone project's account (or a ``region``/``interface`` other than the default)
        is served by the Keystone proxy of that catalog endpoint; any other account by the
        tempauth proxy.
        """
        if account == self.v3.project_id or region is not None or interface != "public":
            where = f"{region or self.v3.region}/{interface}"
            url = self.keystone.endpoints[where]
        else:
            _token, url = self.authenticate()
        if account is None:
            return url
        return url.rsplit("/", 1)[0] + "/" + quote(account)

    def v3_credential(self, **kw: Any) -> KeystoneCredential:
        """``selectel_auth.KeystoneCredential`` for the service user (``kw`` overrides)."""
        import selectel_auth

        params: dict[str, Any] = {
            "username": self.v3.name,
            "password": self.v3.password,
            "account_id": self.v3.account_id,
            "project_id": self.v3.project_id,
            "region": self.v3.region,
            "auth_url": self.auth_v3_url,
        }
        params.update(kw)
        return selectel_auth.KeystoneCredential(**params)

    def secrets(self) -> frozenset[str]:
        """The keys and passwords of this target, for the suite's leak scan."""
        ks = self.keystone
        return frozenset(
            {self.v1_key, ks.service_user.password, ks.reader_user.password, ks.admin_password}
        )

    def revoke(self, token: str) -> None:
        """Revoke a Keystone token (``DELETE /v3/auth/tokens``: a token may revoke itself)."""
        reply = self._http.request(
            "DELETE",
            self.auth_v3_url + "/auth/tokens",
            headers={"X-Auth-Token": token, "X-Subject-Token": token},
        )
        if reply.status != 204:
            raise RuntimeError(f"revoking a token answered {reply.status}")

    def _keystone_token(self) -> str:
        """A token of the service user on the project (cached well within its lifetime)."""
        if self._v3_token is not None and self._v3_token[1] > time.monotonic():
            return self._v3_token[0]
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": self.v3.name,
                            "domain": {"name": self.v3.account_id},
                            "password": self.v3.password,
                        }
                    },
                },
                "scope": {"project": {"id": self.v3.project_id}},
            }
        }
        reply = self._http.request(
            "POST",
            self.auth_v3_url + "/auth/tokens",
            body=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        if reply.status != 201:
            raise RealSwiftUnavailable(f"Keystone at {self.auth_v3_url} answered {reply.status}")
        token = reply.headers["X-Subject-Token"]
        self._v3_token = (token, time.monotonic() + 600)
        return token

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
        """Empty the tempauth account and the Keystone project's account."""
        token, url = self.authenticate()
        self._empty(url, {"X-Auth-Token": token})
        self._empty(self.storage_url(self.v3.project_id), {"X-Auth-Token": self._keystone_token()})

    def _empty(self, url: str, auth: Mapping[str, str]) -> None:
        """Delete every object and container, and remove the account metadata."""
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
