"""credential_from_env: build a credential from SELECTEL_* variables and keyword overrides."""

from __future__ import annotations

import logging
import os
import urllib.parse
from collections.abc import Mapping
from typing import Any

from selectel_auth._errors import AuthConfigError
from selectel_auth._keystone import DEFAULT_KEYSTONE_URL, KeystoneCredential
from selectel_auth._static import StaticCredential
from selectel_auth._swiftv1 import DEFAULT_V1_AUTH_URL, SwiftV1Credential

__all__ = ["ENV_VARS", "credential_from_env", "infer_auth_version"]

# Setting name -> environment variable. One table, used by the code, the CLI and the errors.
ENV_VARS: dict[str, str] = {
    "auth_url": "SELECTEL_AUTH_URL",
    "auth_version": "SELECTEL_AUTH_VERSION",
    "username": "SELECTEL_USERNAME",
    "password": "SELECTEL_PASSWORD",
    "account_id": "SELECTEL_ACCOUNT_ID",
    "user_domain_name": "SELECTEL_USER_DOMAIN_NAME",
    "project_id": "SELECTEL_PROJECT_ID",
    "project_name": "SELECTEL_PROJECT_NAME",
    "region": "SELECTEL_REGION",
    "storage_url": "SELECTEL_STORAGE_URL",
    "token": "SELECTEL_TOKEN",
}
_KEYSTONE_ONLY = ("account_id", "user_domain_name", "project_id", "project_name", "region")
_LEGACY_HOSTS = frozenset({"auth.selcdn.ru", "api.selcdn.ru"})
# Naming one of these explicitly drops the other one's environment value.
_ALTERNATIVES = {"project_id": "project_name", "project_name": "project_id"}

logger = logging.getLogger("selectel_auth")


def infer_auth_version(auth_url: str) -> str:
    """``"1"`` for a legacy v1 URL (``.../auth/v1.0`` or the selcdn auth hosts), else ``"3"``."""
    parts = urllib.parse.urlsplit(auth_url)
    if parts.path.rstrip("/").endswith("/auth/v1.0") or (parts.hostname or "") in _LEGACY_HOSTS:
        return "1"
    return "3"


def credential_from_env(
    environ: Mapping[str, str] | None = None, **overrides: Any
) -> KeystoneCredential | SwiftV1Credential | StaticCredential:
    """Build a credential from ``SELECTEL_*`` variables; keyword arguments win over them.

    Settings (keyword = variable): ``auth_url`` = ``SELECTEL_AUTH_URL``, ``auth_version`` =
    ``SELECTEL_AUTH_VERSION`` (``"3"`` or ``"1"``; inferred from the URL when unset),
    ``username``, ``password``, ``account_id``, ``user_domain_name``, ``project_id``,
    ``project_name``, ``region``, ``storage_url``, ``token`` (a static token; needs
    ``storage_url``). An override of ``None`` means "not given". Other keywords (``sender``,
    ``timeout``, ``verify``, ``cache``, ``refresh_margin``, ...) go to the credential.
    """
    env = os.environ if environ is None else environ
    given = {name for name in ENV_VARS if overrides.get(name) is not None}
    settings: dict[str, str | None] = {}
    for name, var in ENV_VARS.items():
        value = overrides.pop(name, None)
        if value is None and _ALTERNATIVES.get(name) not in given:
            value = env.get(var) or None
        settings[name] = None if value is None else str(value)
    options = {k: v for k, v in overrides.items() if v is not None}

    if settings["token"]:
        if settings["password"]:
            raise AuthConfigError(
                "both SELECTEL_TOKEN and SELECTEL_PASSWORD are set: use a static token or a "
                "password, not both"
            )
        if not settings["storage_url"]:
            raise AuthConfigError("a static token (SELECTEL_TOKEN) needs SELECTEL_STORAGE_URL")
        clock = options.pop("clock", None)
        # A static token is never fetched: a sender (ObjectStorage.from_env passes its own)
        # has nothing to send.
        options.pop("sender", None)
        if options:
            raise AuthConfigError(f"a static token takes no {', '.join(sorted(options))} option")
        return StaticCredential(
            settings["token"], settings["storage_url"], **({"clock": clock} if clock else {})
        )

    version = settings["auth_version"]
    if version is not None:
        version = version.strip().lower().removeprefix("v")
        version = {"3.0": "3", "1.0": "1"}.get(version, version)
        if version not in ("1", "3"):
            raise AuthConfigError(
                f"SELECTEL_AUTH_VERSION must be 3 (Keystone) or 1 (legacy), "
                f"not {settings['auth_version']!r}"
            )
    elif settings["auth_url"]:
        version = infer_auth_version(settings["auth_url"])
    else:
        version = "3"

    for name in ("username", "password"):
        if not settings[name]:
            raise AuthConfigError(f"{ENV_VARS[name]} is not set ({name}=...)")
    username = settings["username"] or ""
    password = settings["password"] or ""

    if version == "1":
        ignored = [ENV_VARS[n] for n in _KEYSTONE_ONLY if settings[n]]
        if ignored:
            logger.debug("legacy v1 auth ignores %s", ", ".join(ignored))
        return SwiftV1Credential(
            user=username,
            key=password,
            auth_url=settings["auth_url"] or DEFAULT_V1_AUTH_URL,
            storage_url=settings["storage_url"],
            **options,
        )
    if not settings["account_id"] and not settings["user_domain_name"]:
        raise AuthConfigError(
            "SELECTEL_ACCOUNT_ID is not set (account_id=...): it is the service user's domain"
        )
    if not settings["project_id"] and not settings["project_name"]:
        raise AuthConfigError(
            "set SELECTEL_PROJECT_ID or SELECTEL_PROJECT_NAME (project_id=/project_name=...)"
        )
    return KeystoneCredential(
        username=username,
        password=password,
        account_id=settings["account_id"],
        user_domain_name=settings["user_domain_name"],
        project_id=settings["project_id"],
        project_name=settings["project_name"],
        region=settings["region"],
        auth_url=settings["auth_url"] or DEFAULT_KEYSTONE_URL,
        storage_url=settings["storage_url"],
        **options,
    )
