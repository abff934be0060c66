"""From flags and the environment to an :class:`ObjectStorage`.

The settings are selectel-auth's (``SELECTEL_*``, read by
:func:`selectel_auth.credential_from_env`). Users of ``swift`` and rclone often have the
OpenStack (``OS_*``) or legacy (``ST_*``) variables set instead; when no ``SELECTEL_*``
credential variable is set, one of those families (``OS_*`` first) is translated into the
``SELECTEL_*`` names, as a whole: settings are never mixed from two families.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from typing import Any

from selectel_auth import FileTokenCache, infer_auth_version

from selectel_objects import ObjectStorage, RetryPolicy

__all__ = ["FAMILIES", "environment", "open_storage"]

#: SELECTEL_* name -> the OS_* names that mean it, first one set wins.
_OS = {
    "SELECTEL_AUTH_URL": ("OS_AUTH_URL",),
    "SELECTEL_AUTH_VERSION": ("OS_IDENTITY_API_VERSION", "OS_AUTH_VERSION"),
    "SELECTEL_USERNAME": ("OS_USERNAME",),
    "SELECTEL_PASSWORD": ("OS_PASSWORD",),
    "SELECTEL_USER_DOMAIN_NAME": ("OS_USER_DOMAIN_NAME",),
    "SELECTEL_PROJECT_ID": ("OS_PROJECT_ID", "OS_TENANT_ID"),
    "SELECTEL_PROJECT_NAME": ("OS_PROJECT_NAME", "OS_TENANT_NAME"),
    "SELECTEL_REGION": ("OS_REGION_NAME",),
    "SELECTEL_STORAGE_URL": ("OS_STORAGE_URL",),
    "SELECTEL_TOKEN": ("OS_AUTH_TOKEN",),
}
_ST = {
    "SELECTEL_AUTH_URL": ("ST_AUTH",),
    "SELECTEL_AUTH_VERSION": ("ST_AUTH_VERSION",),
    "SELECTEL_USERNAME": ("ST_USER",),
    "SELECTEL_PASSWORD": ("ST_KEY",),
}
#: The families in the order they are tried, each with the variables that make it "set".
FAMILIES: tuple[tuple[str, Mapping[str, tuple[str, ...]], tuple[str, ...]], ...] = (
    ("OS_*", _OS, ("OS_AUTH_URL", "OS_AUTH_TOKEN")),
    ("ST_*", _ST, ("ST_AUTH",)),
)
_SELECTEL_CREDENTIAL = ("SELECTEL_AUTH_URL", "SELECTEL_USERNAME", "SELECTEL_TOKEN")
# Options only a Keystone credential takes, with the OS_* variables that give them.
_KEYSTONE_OPTIONS = {
    "interface": ("OS_INTERFACE", "OS_ENDPOINT_TYPE"),
    "project_domain_name": ("OS_PROJECT_DOMAIN_NAME",),
}


def environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``environ`` with ``SELECTEL_*`` filled in from ``OS_*`` or ``ST_*`` when it has none."""
    env = dict(os.environ if environ is None else environ)
    if any(env.get(name) for name in _SELECTEL_CREDENTIAL):
        return env
    for _label, table, markers in FAMILIES:
        if not any(env.get(name) for name in markers):
            continue
        for target, sources in table.items():
            value = next((env[s] for s in sources if env.get(s)), None)
            if value is not None and not env.get(target):
                env[target] = value
        break
    return env


def _first(env: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    return next((env[name] for name in names if env.get(name)), None)


def _interface(value: str) -> str:
    # The old OS_ENDPOINT_TYPE spells them publicURL / internalURL / adminURL.
    return value.removesuffix("URL")


def open_storage(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Any:
    """The client the global flags and the environment describe; flags win.

    Raises :class:`selectel_auth.AuthConfigError` for an incomplete configuration.
    """
    env = environment(environ)
    overrides: dict[str, Any] = {
        "auth_url": args.auth_url,
        "auth_version": args.auth_version,
        "username": args.username,
        "account_id": args.account_id,
        "project_id": args.project_id,
        "project_name": args.project_name,
        "region": args.region,
        "token": args.auth_token,
    }
    static = bool(args.auth_token or (not args.username and env.get("SELECTEL_TOKEN")))
    client: dict[str, Any] = {
        "transport": args.transport,
        "timeout": args.timeout,
        "retry": RetryPolicy(total=args.retries),
        "pool_maxsize": max(10, args.threads * 2),
        "storage_url": args.storage_url or env.get("SELECTEL_STORAGE_URL") or None,
    }
    cacert = args.cacert or env.get("OS_CACERT")
    if cacert:
        client["ca_bundle"] = cacert
    if args.insecure:
        client["verify"] = False
    if not static:
        if not args.no_cache:
            # The same directory selectel-auth uses: the CLIs share tokens.
            overrides["cache"] = FileTokenCache()
        auth_url = args.auth_url or env.get("SELECTEL_AUTH_URL") or ""
        version = args.auth_version or env.get("SELECTEL_AUTH_VERSION")
        keystone = (version or infer_auth_version(auth_url)).lower().lstrip("v")[:1] != "1"
        interface = args.interface or _first(env, _KEYSTONE_OPTIONS["interface"])
        if keystone:
            if interface:
                overrides["interface"] = _interface(interface)
            domain = _first(env, _KEYSTONE_OPTIONS["project_domain_name"])
            if domain:
                overrides["project_domain_name"] = domain
        elif args.interface:
            from selectel_auth import AuthConfigError  # noqa: PLC0415

            raise AuthConfigError("--interface applies to Keystone (v3) auth only")
    return ObjectStorage.from_env(env, **client, **overrides)
