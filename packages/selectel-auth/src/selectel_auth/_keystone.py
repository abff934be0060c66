"""KeystoneCredential: a Selectel service user's project-scoped token (Keystone v3)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from selectel_auth._base import CachingCredential, CredentialOptions
from selectel_auth._errors import AuthConfigError, AuthServiceError, InvalidCredentialsError
from selectel_auth._http import safe_url
from selectel_auth._types import AccessToken, HttpReply

if TYPE_CHECKING:
    # typing.Unpack is 3.11+; mypy knows typing_extensions without it being installed.
    from typing_extensions import Unpack

__all__ = ["DEFAULT_KEYSTONE_URL", "KeystoneCredential"]

DEFAULT_KEYSTONE_URL = "https://cloud.api.selcloud.ru/identity/v3"

_ISO = re.compile(
    r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d(?::\d\d)?)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$", re.IGNORECASE
)


class KeystoneCredential(CachingCredential):
    """Keystone v3 password auth for a service user, scoped to a project.

    The project is given by ``project_id`` or by ``project_name`` (in the domain
    ``project_domain_name``, default the account id). The user's domain name defaults to the
    account id too. The storage URL is the catalog's ``service_type`` endpoint for
    ``interface`` in ``region`` unless ``storage_url`` overrides it. Nothing is sent before
    the first :meth:`get_token`. See :class:`CachingCredential` options in the README.
    """

    def __init__(
        self,
        *,
        username: str,
        password: str,
        account_id: str | None = None,
        project_id: str | None = None,
        project_name: str | None = None,
        region: str | None = None,
        auth_url: str = DEFAULT_KEYSTONE_URL,
        user_domain_name: str | None = None,
        project_domain_name: str | None = None,
        interface: str = "public",
        service_type: str = "object-store",
        storage_url: str | None = None,
        **options: Unpack[CredentialOptions],
    ) -> None:
        if not username:
            raise AuthConfigError("username is required (SELECTEL_USERNAME): the service user name")
        if not password:
            raise AuthConfigError("password is required (SELECTEL_PASSWORD)")
        if project_id and project_name:
            raise AuthConfigError(
                "give project_id (SELECTEL_PROJECT_ID) or project_name (SELECTEL_PROJECT_NAME), "
                "not both"
            )
        if not project_id and not project_name:
            raise AuthConfigError(
                "a project is required: set project_id (SELECTEL_PROJECT_ID) or project_name "
                "(SELECTEL_PROJECT_NAME)"
            )
        user_domain = user_domain_name or account_id
        if not user_domain:
            raise AuthConfigError(
                "account_id (SELECTEL_ACCOUNT_ID) is required: it is the service user's domain"
            )
        project_domain = project_domain_name or account_id
        if project_name and not project_domain:
            raise AuthConfigError(
                "project_name needs account_id (SELECTEL_ACCOUNT_ID) or project_domain_name"
            )
        if not auth_url.startswith(("https://", "http://")):
            raise AuthConfigError(
                f"auth_url (SELECTEL_AUTH_URL) must be an http(s) URL, not {auth_url!r}"
            )
        super().__init__(**options)
        self.username = username
        self._password = password
        self.account_id = account_id
        self.project_id = project_id or None
        self.project_name = project_name or None
        self.region = region or None
        self.auth_url = auth_url.rstrip("/")
        self.user_domain_name = user_domain
        self.project_domain_name = project_domain if project_name else None
        self.interface = interface
        self.service_type = service_type
        self.storage_url = storage_url.rstrip("/") if storage_url else None

    def __repr__(self) -> str:
        scope = (
            f"project_id={self.project_id!r}"
            if self.project_id
            else (f"project_name={self.project_name!r}")
        )
        return (
            f"KeystoneCredential(auth_url={self.auth_url!r}, username={self.username!r}, "
            f"account_id={self.account_id!r}, {scope}, region={self.region!r}, password='***')"
        )

    def _describe(self) -> str:
        project = self.project_id or self.project_name
        return f"keystone {self.username}@{self.user_domain_name} project {project}"

    def _key_parts(self) -> dict[str, str]:
        return {
            "kind": "keystone-v3",
            "auth_url": self.auth_url,
            "username": self.username,
            "user_domain": self.user_domain_name,
            "project_id": self.project_id or "",
            "project_name": self.project_name or "",
            "project_domain": self.project_domain_name or "",
            "region": self.region or "",
            "interface": self.interface,
            "service_type": self.service_type,
            "storage_url": self.storage_url or "",
            "password_hash": self._password,
        }

    def _fetch(self) -> AccessToken:
        scope: dict[str, Any] = (
            {"id": self.project_id}
            if self.project_id
            else {"name": self.project_name, "domain": {"name": self.project_domain_name}}
        )
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": self.username,
                            "domain": {"name": self.user_domain_name},
                            "password": self._password,
                        }
                    },
                },
                "scope": {"project": scope},
            }
        }
        url = f"{self.auth_url}/auth/tokens"
        reply = self._send(
            "POST",
            url,
            {"Content-Type": "application/json", "Accept": "application/json"},
            json.dumps(body).encode(),
        )
        if reply.status in (401, 403):
            raise InvalidCredentialsError(
                f"Keystone at {safe_url(url)} refused user {self.username!r} in domain "
                f"{self.user_domain_name!r} for project {self.project_id or self.project_name!r} "
                f"({reply.status}{_server_message(reply, self._password)}): check the service "
                "user's name, password, account id and project, and that the user has a role "
                "in that project",
                status=reply.status,
            )
        if reply.status not in (200, 201):
            raise AuthServiceError(
                f"Keystone at {safe_url(url)} answered {reply.status}"
                f"{_server_message(reply, self._password)}: check auth_url (SELECTEL_AUTH_URL)",
                status=reply.status,
            )
        token = reply.headers.get("x-subject-token", "")
        if not token:
            raise AuthServiceError(
                f"Keystone at {safe_url(url)} sent no X-Subject-Token header: is auth_url a "
                "Keystone v3 endpoint?",
                status=reply.status,
            )
        try:
            document = json.loads(reply.body)
            info = document["token"]
            expires_at = _parse_iso8601(info["expires_at"])
        except (ValueError, KeyError, TypeError) as exc:
            raise AuthServiceError(
                f"Keystone at {safe_url(url)} sent a malformed token body "
                f"({exc.__class__.__name__}): expected JSON with token.expires_at",
                status=reply.status,
            ) from None
        storage_url = self.storage_url or self._endpoint_from(info.get("catalog"), url)
        return AccessToken(token=token, storage_url=storage_url, expires_at=expires_at)

    def _endpoint_from(self, catalog: object, url: str) -> str:
        where = f"the catalog from {safe_url(url)}"
        if not isinstance(catalog, list):
            raise AuthServiceError(
                f"{where} is missing or malformed; set storage_url (SELECTEL_STORAGE_URL) "
                "to skip the catalog"
            )
        services = [s for s in catalog if isinstance(s, dict)]
        wanted = [s for s in services if s.get("type") == self.service_type]
        if not wanted:
            found = sorted({str(s.get("type")) for s in services})
            raise AuthServiceError(
                f"{where} has no {self.service_type!r} service (it has: "
                f"{', '.join(found) or 'nothing'}); does the user have a role in the project? "
                "Or set storage_url (SELECTEL_STORAGE_URL)"
            )
        endpoints: list[dict[str, Any]] = []
        for service in wanted:
            listed = service.get("endpoints")
            if isinstance(listed, list):
                endpoints.extend(e for e in listed if isinstance(e, dict))
        on_interface = [e for e in endpoints if e.get("interface") == self.interface]
        regions = sorted({str(e.get("region_id") or e.get("region")) for e in on_interface})
        if self.region is None:
            matches = on_interface
            if len(regions) > 1:
                raise AuthConfigError(
                    f"the {self.service_type!r} service is in several regions "
                    f"({', '.join(regions)}): set region (SELECTEL_REGION)"
                )
        else:
            matches = [
                e for e in on_interface if self.region in (e.get("region_id"), e.get("region"))
            ]
        if not matches:
            if on_interface:
                raise AuthServiceError(
                    f"{where} has no {self.interface} {self.service_type!r} endpoint in region "
                    f"{self.region!r}; available regions: {', '.join(regions)} "
                    "(set region / SELECTEL_REGION)"
                )
            interfaces = sorted({str(e.get("interface")) for e in endpoints})
            raise AuthServiceError(
                f"{where} has no {self.interface!r} {self.service_type!r} endpoint "
                f"(interfaces: {', '.join(interfaces) or 'none'})"
            )
        endpoint = matches[0].get("url")
        if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
            raise AuthServiceError(f"{where} has a malformed {self.service_type!r} endpoint URL")
        return endpoint.rstrip("/")


def _parse_iso8601(value: object) -> float:
    # datetime.fromisoformat accepts "Z" and 6-digit fractions only from Python 3.11 on.
    match = _ISO.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError("not an ISO-8601 timestamp")
    day, clock, fraction, zone = match.groups()
    if clock.count(":") == 1:
        clock += ":00"
    zone = "+00:00" if zone is None or zone.upper() == "Z" else zone
    if ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    micros = (fraction or "0")[:6].ljust(6, "0")
    moment = datetime.fromisoformat(f"{day}T{clock}.{micros}{zone}")
    return moment.astimezone(timezone.utc).timestamp()


def _server_message(reply: HttpReply, *secrets: str) -> str:
    # Keystone explains refusals in error.message; show it, scrubbed, and never the raw body.
    try:
        message = json.loads(reply.body)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return ""
    if not isinstance(message, str) or not message:
        return ""
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    return f": {message[:200]}"
