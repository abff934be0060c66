"""Keystone v3 as the fake serves it: password tokens, validation, revocation, the catalog."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from tests.fakeswift.replies import Reply, json_reply

if TYPE_CHECKING:
    from tests.fakeswift.app import FakeSwift
    from tests.fakeswift.auth import Token, V3User
    from tests.fakeswift.context import Ctx

__all__ = ["V3Info", "handle", "is_keystone"]

_V3_TOKEN_PATHS = frozenset({"/identity/v3/auth/tokens", "/v3/auth/tokens"})


@dataclass(frozen=True)
class V3Info:
    """The default Keystone v3 service user, as tests need it."""

    name: str
    password: str
    account_id: str
    project_id: str
    project_name: str
    region: str
    user_id: str
    domain_id: str


def is_keystone(path: str) -> bool:
    """The path is one of Keystone's (its JSON answers keep their header case)."""
    return path.startswith(("/identity/v3", "/v3"))


def handle(fake: FakeSwift, ctx: Ctx) -> Reply:
    """A request to ``/identity/v3...`` (or ``/v3...``)."""
    if ctx.path in ("/identity/v3", "/identity/v3/", "/v3", "/v3/"):
        return json_reply(200, {"version": _keystone_version(fake.auth_v3_url)}, "application/json")
    if ctx.path not in _V3_TOKEN_PATHS:
        return _ks_error(404, "The resource could not be found.")
    now = fake.clock.time()
    if ctx.method == "POST":
        return _issue(fake, ctx, now)
    caller = fake.auth.lookup(ctx.header("X-Auth-Token") or "", now)
    if caller is None:
        return _ks_error(401, "The request you have made requires authentication.")
    subject = fake.auth.lookup(ctx.header("X-Subject-Token") or "", now)
    if subject is None or subject.kind != "v3":
        return _ks_error(404, "Could not find token.")
    if ctx.method in ("GET", "HEAD"):
        reply = json_reply(
            200, _token_body(fake, subject, "nocatalog" not in ctx.query), "application/json"
        )
        reply.set("X-Subject-Token", subject.value)
        return reply
    if ctx.method == "DELETE":
        fake.auth.revoke(subject.value)
        return Reply(204)
    return _ks_error(405, "The method is not allowed for this resource.")


def _issue(fake: FakeSwift, ctx: Ctx, now: float) -> Reply:
    try:
        doc: Any = json.loads(ctx.body.decode("utf-8"))
        auth = doc["auth"]
        identity = auth["identity"]
        methods = identity["methods"]
        if not isinstance(methods, list):
            raise TypeError("methods")
    except (ValueError, KeyError, TypeError):
        return _ks_error(
            400,
            "Expecting to find auth in request body. The server could not comply with "
            "the request since it is either malformed or otherwise incorrect.",
        )
    if "password" not in methods:
        return _ks_error(401, "The request you have made requires authentication.")
    try:
        user_doc = identity["password"]["user"]
        password = user_doc["password"]
    except (KeyError, TypeError):
        return _ks_error(400, "Invalid input for field 'identity/password/user'.")
    user = _find_user(fake, user_doc)
    if (
        user is None
        or not isinstance(password, str)
        or not secrets.compare_digest(user.password.encode(), password.encode())
    ):
        return _ks_error(401, "The request you have made requires authentication.")
    scope = auth.get("scope") if isinstance(auth, dict) else None
    project_scoped = False
    if scope is not None:
        if not isinstance(scope, dict):
            return _ks_error(400, "Invalid scope.")
        if "project" in scope:
            if not _project_matches(user, scope["project"]):
                return _ks_error(401, "The request you have made requires authentication.")
            project_scoped = True
        elif "domain" in scope:
            dom = scope["domain"]
            if not isinstance(dom, dict) or (
                dom.get("name") not in (None, user.account_id)
                or dom.get("id") not in (None, user.domain_id)
            ):
                return _ks_error(401, "The request you have made requires authentication.")
        elif scope:
            return _ks_error(400, "Invalid scope.")
    token = fake.auth.issue_v3(
        user, now, fake.token_ttl, project_scoped=project_scoped, scope=scope or {}
    )
    ctx.record.authenticated = True
    reply = json_reply(
        201, _token_body(fake, token, "nocatalog" not in ctx.query), "application/json"
    )
    reply.set("X-Subject-Token", token.value)
    return reply


def _find_user(fake: FakeSwift, user_doc: object) -> V3User | None:
    if not isinstance(user_doc, dict):
        return None
    for user in fake.auth.v3_users:
        if "id" in user_doc:
            # Legacy selcdn identifies users by login in "id"; Keystone by the user id.
            if user_doc["id"] in (user.user_id, user.name):
                return user
            continue
        if user_doc.get("name") != user.name:
            continue
        domain = user_doc.get("domain")
        if not isinstance(domain, dict):
            continue
        if domain.get("name") == user.account_id or domain.get("id") == user.domain_id:
            return user
    return None


def _project_matches(user: V3User, project: object) -> bool:
    if not isinstance(project, dict):
        return False
    if "id" in project:
        return bool(project["id"] == user.project_id)
    domain = project.get("domain")
    if project.get("name") != user.project_name or not isinstance(domain, dict):
        return False
    return bool(domain.get("name") == user.account_id or domain.get("id") == user.domain_id)


def _token_body(fake: FakeSwift, token: Token, with_catalog: bool) -> dict[str, object]:
    user = token.v3_user
    assert user is not None
    domain = {"id": user.domain_id, "name": user.account_id}
    body: dict[str, object] = {
        "methods": ["password"],
        "user": {
            "domain": domain,
            "id": user.user_id,
            "name": user.name,
            "password_expires_at": None,
        },
        "audit_ids": [secrets.token_urlsafe(16)],
        "expires_at": _keystone_time(token.expires_at),
        "issued_at": _keystone_time(token.issued_at),
    }
    if token.account is not None:
        body["project"] = {"domain": domain, "id": user.project_id, "name": user.project_name}
        body["is_domain"] = False
        body["roles"] = [
            {"id": "b2ad1f4b1ac8452d8c23a5d9e4c4f2a1", "name": "member"},
            {"id": "9fe2ff9ee4384b1894a90878d3e92bab", "name": "reader"},
        ]
        if with_catalog:
            body["catalog"] = _catalog(fake, user)
    elif token.scope.get("domain"):
        body["domain"] = domain
        body["roles"] = [{"id": "b2ad1f4b1ac8452d8c23a5d9e4c4f2a1", "name": "member"}]
        if with_catalog:
            body["catalog"] = []
    return {"token": body}


def _catalog(fake: FakeSwift, user: V3User) -> list[dict[str, object]]:
    endpoints: list[dict[str, object]] = []
    for region in fake.regions:
        for interface in ("public", "admin"):
            endpoints.append(
                {
                    "id": hashlib.md5(f"{region}/{interface}".encode()).hexdigest(),
                    "interface": interface,
                    "region": region,
                    "region_id": region,
                    "url": fake.storage_url(user.project_id, region=region, interface=interface),
                }
            )
    identity = [
        {
            "id": hashlib.md5(f"identity/{region}".encode()).hexdigest(),
            "interface": "public",
            "region": region,
            "region_id": region,
            "url": fake.auth_v3_url,
        }
        for region in fake.regions
    ]
    return [
        {
            "type": "identity",
            "name": "keystone",
            "id": "c8a6b0f1e2d34a5b9c7d8e9f0a1b2c3d",
            "endpoints": identity,
        },
        {
            "type": "object-store",
            "name": "swift",
            "id": "3d1e2f4a5b6c4d7e8f9a0b1c2d3e4f5a",
            "endpoints": endpoints,
        },
    ]


def _ks_error(status: int, message: str) -> Reply:
    titles = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}
    reply = json_reply(
        status,
        {"error": {"code": status, "message": message, "title": titles.get(status, "Error")}},
        "application/json",
    )
    if status == 401:
        reply.set("WWW-Authenticate", 'Keystone uri="/identity"')
    return reply


def _keystone_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _keystone_version(url: str) -> dict[str, object]:
    return {
        "id": "v3.14",
        "status": "stable",
        "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": url + "/"}],
        "media-types": [
            {"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}
        ],
    }
