"""``FakeSwift``: the public face of the fake, and the request dispatch of the Swift API.

Paths served (on one host): ``/auth/v1.0`` (tempauth v1), ``/identity/v3/auth/tokens``
(Keystone v3), ``/info``, ``/healthcheck`` and ``[/<region>/<interface>]/v1/<account>[/<container>
[/<object>]]``. The middleware features (bulk, SLO/DLO, TempURL, FormPost, archive extraction,
Selectel sendmefile) live in ``middleware.py``.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import mimetypes
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, unquote_to_bytes, urlsplit
from xml.etree import ElementTree

from werkzeug.wrappers import Request, Response

from tests.fakeswift import middleware
from tests.fakeswift.auth import AuthRegistry, Token, V1User, V3User
from tests.fakeswift.faults import Faults, FaultSwitches
from tests.fakeswift.replies import (
    BARE_PLAIN,
    HTML,
    PLAIN,
    TRUE_VALUES,
    Reply,
    best_match,
    error,
    header_text,
    json_reply,
    plain_error,
    text_reply,
    wire_bytes,
    wire_value,
)
from tests.fakeswift.server import CLOSE_KEY, Delivery, RawResponse
from tests.fakeswift.store import (
    ALLOWED_OBJECT_HEADERS,
    Account,
    Clock,
    Container,
    Store,
    StoredObject,
    format_last_modified,
    format_listing_time,
    format_x_timestamp,
    meta_header_name,
    utf8_key,
)

if TYPE_CHECKING:
    from pytest_httpserver import HTTPServer
    from selectel_auth import KeystoneCredential, SwiftV1Credential

__all__ = ["FakeSwift", "RequestRecord", "V3Info"]

# Swift's default constraints (swift/common/constraints.py), announced by /info and enforced.
MAX_FILE_SIZE = 5368709122
MAX_META_NAME_LENGTH = 128
MAX_META_VALUE_LENGTH = 256
MAX_META_COUNT = 90
MAX_META_OVERALL_SIZE = 4096
MAX_HEADER_SIZE = 8192
MAX_OBJECT_NAME_LENGTH = 1024
MAX_CONTAINER_NAME_LENGTH = 256
MAX_ACCOUNT_NAME_LENGTH = 256
LISTING_LIMIT = 10000
MAX_RANGES = 50
MAX_RANGE_OVERLAPS = 2
MAX_NONASCENDING_RANGES = 8

DEFAULT_TOKEN_TTL = 86400.0
#: The one storage policy, named as scripts/realswift.py configures real Swift.
STORAGE_POLICY = "gold"
_ACCEPTED_BODY = "<html><h1>Accepted</h1><p>The request is accepted for processing.</p></html>"

#: tempauth's auth_prefix: every path below it is an auth request.
_TEMPAUTH_PREFIX = "/auth/"
_V3_TOKEN_PATHS = frozenset({"/identity/v3/auth/tokens", "/v3/auth/tokens"})
_API_VERSIONS = ("v1", "v1.0")

#: Allow header of 405s and OPTIONS (Swift's controllers list their public methods).
_ALLOW = "OPTIONS, DELETE, GET, PUT, POST, HEAD"
_ALLOW_OBJECT_OPTIONS = _ALLOW + ", COPY"
#: Request kinds served by the storage API (authorised by token).
_STORAGE_KINDS = frozenset({"account", "container", "object"})


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


@dataclass
class RequestRecord:
    """One request as the fake saw it (``status`` is what was answered, 0 when reset)."""

    method: str
    path: str
    query: dict[str, str]
    kind: str
    headers: dict[str, str]
    account: str | None = None
    container: str | None = None
    object: str | None = None
    status: int = 0
    body_size: int = 0
    authenticated: bool = False
    faults: list[str] = field(default_factory=list)
    trans_id: str = ""
    time: float = 0.0


class NeedBody(Exception):
    """A handler asked for the request body while the fake answers without reading it."""


@dataclass
class Ctx:
    """What a handler needs to know about the request being served.

    ``body`` is the request body; it is None while the fake decides whether it can answer
    before reading it (``Expect: 100-continue``, an oversized ``Content-Length``): a handler
    touching ``body`` then raises ``NeedBody`` and runs again once the body is in.
    """

    request: Request
    method: str
    path: str
    query: dict[str, str]
    kind: str
    account: str | None
    container: str | None
    obj: str | None
    raw_body: bytes | None
    trans_id: str
    record: RequestRecord
    token: Token | None = None
    #: Query parameters whose value is not valid UTF-8 (Swift answers 400 when it reads one).
    bad_params: frozenset[str] = frozenset()
    #: A token was sent but is unknown or expired (middleware before tempauth still runs).
    bad_token: bool = False
    #: The fake's clock when the request headers arrived: tokens and TempURL expiry are
    #: judged at this time, as Swift authorises before it reads the body.
    arrived: float = 0.0

    @property
    def body(self) -> bytes:
        """The request body (raises ``NeedBody`` before it was read)."""
        if self.raw_body is None:
            raise NeedBody
        return self.raw_body

    def header(self, name: str, default: str | None = None) -> str | None:
        """A request header (case-insensitive)."""
        value = self.request.headers.get(name)
        return default if value is None else header_text(value)

    def headers_with_prefix(self, prefix: str) -> dict[str, str]:
        """``{suffix.lower(): value}`` of request headers starting with ``prefix``."""
        low = prefix.lower()
        return {
            k[len(prefix) :].lower(): header_text(v)
            for k, v in self.request.headers.items()
            if k.lower().startswith(low)
        }


@dataclass
class _Content:
    """The bytes a GET of an object returns, as slices of stored buffers."""

    parts: list[tuple[bytes, int, int]]
    size: int
    broken_at: int | None = None  # a large object whose segments changed: bytes before the break


class FakeSwift(FaultSwitches):
    """A stateful, in-memory OpenStack Swift (as Selectel runs it) on a pytest-httpserver.

    One instance serves one server; ``reset()`` brings it back to the default users, empty
    accounts, no faults and no recorded requests (the fixtures do that before every test).
    """

    def __init__(self, httpserver: HTTPServer, *, ca_path: str | None = None) -> None:
        self.httpserver = httpserver
        self.ca_path = ca_path
        self.clock = Clock()
        self.store = Store(self.clock)
        self.faults = Faults()
        self.auth = AuthRegistry()
        self.requests: list[RequestRecord] = []
        self._requests_lock = threading.Lock()
        self.token_ttl: float = DEFAULT_TOKEN_TTL
        #: ``"tempauth"`` (200, ``X-Auth-Token-Expires``) or ``"selectel"`` (legacy selcdn:
        #: 204, ``X-Expire-Auth-Token``, 403 for bad credentials).
        self.v1_style = "tempauth"
        #: Regions of the Keystone catalog; each has public and admin object-store endpoints.
        self.regions: list[str] = ["ru-1", "ru-7"]
        #: The 64-bit ids of the users and projects are random per session but fixed per fake.
        self.v3 = V3Info(
            name="fakeswift-service-user",
            password="fakeswift-service-password",
            account_id="123456",
            project_id=uuid.uuid4().hex,
            project_name="fakeswift-project",
            region="ru-1",
            user_id=uuid.uuid4().hex,
            domain_id=uuid.uuid4().hex,
        )
        self.v1_user = "test:tester"
        self.v1_key = "testing"
        self.reset()

    # -- URLs ----------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """``http(s)://127.0.0.1:<port>`` of the server."""
        return str(self.httpserver.url_for("/")).rstrip("/")

    @property
    def auth_v1_url(self) -> str:
        """tempauth v1 endpoint (``GET`` with ``X-Auth-User``/``X-Auth-Key``)."""
        return self.base_url + "/auth/v1.0"

    @property
    def auth_v3_url(self) -> str:
        """Keystone v3 base URL (tokens at ``<this>/auth/tokens``)."""
        return self.base_url + "/identity/v3"

    @property
    def info_url(self) -> str:
        """The ``/info`` capabilities document."""
        return self.base_url + "/info"

    def storage_url(
        self, account: str | None = None, *, region: str | None = None, interface: str = "public"
    ) -> str:
        """Storage URL of an account (default: the v1 user's ``AUTH_test``).

        The default region's public endpoint is ``<base>/v1/<account>``; other regions and
        interfaces get a ``/<region>/<interface>`` prefix, served the same way, so tests can
        tell which catalog endpoint a client picked.
        """
        acct = account or self.store.default_account
        region = region or self.v3.region
        if region == self.v3.region and interface == "public":
            return f"{self.base_url}/v1/{quote(acct)}"
        return f"{self.base_url}/{region}/{interface}/v1/{quote(acct)}"

    # -- users -------------------------------------------------------------------------------
    def add_account(self, account: str) -> Account:
        """Create an account (empty) in the store."""
        return self.store.ensure_account(account)

    def add_v1_user(self, user: str, key: str, account: str, *, admin: bool = True) -> V1User:
        """Add a tempauth user ``account:name`` (admin of ``account`` unless ``admin=False``)."""
        entry = V1User(user=user, key=key, account=account, admin=admin)
        self.auth.add_v1(entry)
        self.store.ensure_account(account)
        return entry

    def add_v3_user(
        self,
        name: str,
        password: str,
        *,
        account_id: str | None = None,
        project_id: str | None = None,
        project_name: str | None = None,
        region: str | None = None,
    ) -> V3Info:
        """Add a Keystone service user with a role on its own project (and Swift account)."""
        info = V3Info(
            name=name,
            password=password,
            account_id=account_id or self.v3.account_id,
            project_id=project_id or uuid.uuid4().hex,
            project_name=project_name or f"{name}-project",
            region=region or self.v3.region,
            user_id=uuid.uuid4().hex,
            domain_id=self.v3.domain_id
            if account_id in (None, self.v3.account_id)
            else uuid.uuid4().hex,
        )
        self.auth.add_v3(
            V3User(
                name=info.name,
                password=info.password,
                user_id=info.user_id,
                account_id=info.account_id,
                domain_id=info.domain_id,
                project_id=info.project_id,
                project_name=info.project_name,
                region=info.region,
            )
        )
        self.store.ensure_account(info.project_id)
        return info

    def v1_credential(self, **kw: Any) -> SwiftV1Credential:
        """``selectel_auth.SwiftV1Credential`` for the default v1 user (``kw`` overrides)."""
        import selectel_auth

        params: dict[str, Any] = {
            "user": self.v1_user,
            "key": self.v1_key,
            "auth_url": self.auth_v1_url,
        }
        if self.ca_path is not None:
            params["verify"] = self.ca_path
        params.update(kw)
        return selectel_auth.SwiftV1Credential(**params)

    def v3_credential(self, **kw: Any) -> KeystoneCredential:
        """``selectel_auth.KeystoneCredential`` for the default service user (``kw`` overrides)."""
        import selectel_auth

        params: dict[str, Any] = {
            "username": self.v3.name,
            "password": self.v3.password,
            "account_id": self.v3.account_id,
            "project_id": self.v3.project_id,
            "region": self.v3.region,
            "auth_url": self.auth_v3_url,
        }
        if self.ca_path is not None:
            params["verify"] = self.ca_path
        params.update(kw)
        return selectel_auth.KeystoneCredential(**params)

    # -- state -------------------------------------------------------------------------------
    def reset(self) -> None:
        """Default users, empty accounts, real time, no tokens, faults or recorded requests."""
        self.faults.reset()
        self.clock.reset()
        self.store.reset()
        self.auth.reset()
        with self._requests_lock:
            self.requests.clear()
        self.token_ttl = DEFAULT_TOKEN_TTL
        self.v1_style = "tempauth"
        self.regions = ["ru-1", "ru-7"]
        # Swift's all-in-one tempauth users.
        self.add_v1_user("test:tester", "testing", "AUTH_test")
        self.add_v1_user("test2:tester2", "testing2", "AUTH_test2")
        self.add_v1_user("test:tester3", "testing3", "AUTH_test", admin=False)
        self.auth.add_v3(
            V3User(
                name=self.v3.name,
                password=self.v3.password,
                user_id=self.v3.user_id,
                account_id=self.v3.account_id,
                domain_id=self.v3.domain_id,
                project_id=self.v3.project_id,
                project_name=self.v3.project_name,
                region=self.v3.region,
            )
        )
        self.store.ensure_account(self.v3.project_id)

    def expire_tokens(self) -> int:
        """Make every token issued so far expired (the next use answers 401)."""
        return self.auth.expire_all(self.clock.time())

    def secrets(self) -> frozenset[str]:
        """Every secret the fake knows since the last reset, for leak scans.

        The keys and passwords of all users ever added (the defaults included, also keys that
        were replaced since) and every token issued (also expired or revoked ones).
        Thread-safe: the server threads may be issuing tokens meanwhile.
        """
        return self.auth.secrets()

    def run_expirer(self) -> int:
        """Remove objects whose ``X-Delete-At`` passed (they stay listed until then)."""
        return self.store.run_expirer()

    # -- counters ----------------------------------------------------------------------------
    def count(self, kind: str | None = None, method: str | None = None) -> int:
        """Requests seen so far, optionally of one kind and/or method."""
        with self._requests_lock:
            return sum(
                1
                for r in self.requests
                if (kind is None or r.kind == kind)
                and (method is None or r.method == method.upper())
            )

    # -- dispatch ----------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        """Serve one request (the pytest-httpserver handler)."""
        environ = request.environ
        method = request.method.upper()
        raw_uri = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path)
        if "://" in raw_uri.split("?", 1)[0]:
            parts = urlsplit(raw_uri)
            raw_path, raw_query = parts.path, parts.query
        else:
            raw_path, _, raw_query = raw_uri.partition("?")
        # The WSGI dance gives latin-1 text of the raw bytes; Swift names are UTF-8.
        raw_bytes = unquote_to_bytes(raw_path.encode("latin-1"))
        try:
            path: str | None = raw_bytes.decode("utf-8")
        except UnicodeDecodeError:
            path = None
        query = dict(parse_qsl(raw_query, keep_blank_values=True, errors="replace"))
        shown_path = path if path is not None else raw_bytes.decode("latin-1")
        kind, account, container, obj = _classify(shown_path, self._endpoint_prefixes())
        trans_id = _trans_id()
        record = RequestRecord(
            method=method,
            path=shown_path,
            query=query,
            kind=kind,
            headers=dict(request.headers.items()),
            account=account,
            container=container,
            object=obj,
            trans_id=trans_id,
            time=self.clock.time(),
        )
        plan = self.faults.take(method, kind, shown_path)
        record.faults = plan.applied

        if plan.upload_reset:
            if plan.upload_reset_after:
                # The client may already be gone; the reset follows either way.
                with contextlib.suppress(Exception):
                    request.stream.read(plan.upload_reset_after)
            return self._finish(record, Reply(499), Delivery(mode="reset"), method)

        ctx = Ctx(
            request=request,
            method=method,
            path=shown_path,
            query=query,
            kind=kind,
            account=account,
            container=container,
            obj=obj,
            raw_body=None,
            trans_id=trans_id,
            record=record,
            arrived=record.time,
            bad_params=_invalid_utf8_params(raw_query),
        )
        processed = plan.fail_status is None and not plan.skip_processing
        if processed and kind in _STORAGE_KINDS:
            self._resolve_token(ctx)
        if processed and _answers_early(request):
            # Swift answers what it can before reading the body (the client waits for
            # "100 Continue"); such an answer closes the connection.
            early = self._dispatch_locked(ctx, path)
            if early is not None:
                request.environ[CLOSE_KEY] = True
                return self._finish(record, early, plan.delivery, method)
        try:
            ctx.raw_body = request.get_data()
        except Exception:  # noqa: BLE001 - client went away mid-upload (Swift logs 499)
            return self._finish(record, Reply(499), Delivery(mode="close"), method)
        record.body_size = len(ctx.raw_body)

        if plan.fail_status is not None:
            reply = error(plan.fail_status)
            if plan.fail_status == 429:
                reply = error(429, "Rate Limit exceeded")
            if plan.retry_after is not None:
                ra = plan.retry_after
                reply.set("Retry-After", str(int(ra)) if ra == int(ra) else str(ra))
        elif plan.skip_processing:
            reply = Reply(503)
        else:
            served = self._dispatch_locked(ctx, path)
            assert served is not None  # the body is in: every handler answers
            reply = served
        return self._finish(record, reply, plan.delivery, method)

    def _dispatch_locked(self, ctx: Ctx, path: str | None) -> Reply | None:
        """Serve under the store lock; None when the handler needs the body first."""
        if path is None or "\x00" in path:
            return error(412, "Invalid UTF8 or contains NULL")
        try:
            with self.store.lock:
                return self._dispatch(ctx)
        except NeedBody:
            return None

    def _finish(
        self, record: RequestRecord, reply: Reply, delivery: Delivery | None, method: str
    ) -> Response:
        record.status = reply.status
        with self._requests_lock:
            self.requests.append(record)
        reply.set("X-Trans-Id", record.trans_id)
        reply.set("X-Openstack-Request-Id", record.trans_id)
        body = reply.body
        length = reply.length
        if isinstance(body, bytes) and length is None:
            length = len(body)
        if length is not None and reply.get("Content-Length") is None:
            reply.set("Content-Length", str(length))
        if method == "HEAD":
            if not isinstance(body, bytes):
                _close(body)
            body = b""
            if reply.status >= 400:
                # swob builds no error body for HEAD, so it announces none either.
                reply.set("Content-Length", "0")
        if delivery is None:
            delivery = reply.delivery
        if delivery is not None and delivery.after_bytes == -1:
            delivery.after_bytes = (length or 0) // 2
        if delivery is not None and delivery.corrupt_at == -1:
            delivery.corrupt_at = (length or 0) // 2
        headers = [(name, wire_value(value)) for name, value in reply.headers.items()]
        if not _is_keystone(record.path):
            # swob title-cases every header name: "Etag", "X-Object-Meta-Camelcase".
            headers = [(name.title(), value) for name, value in headers]
        return RawResponse(reply.status, headers, body, delivery)

    def _endpoint_prefixes(self) -> set[str]:
        return {
            f"/{region}/{iface}"
            for region in self.regions
            for iface in ("public", "admin", "internal")
        }

    def _dispatch(self, ctx: Ctx) -> Reply:
        if ctx.kind == "auth":
            if ctx.path.startswith(_TEMPAUTH_PREFIX):
                return self._auth_v1(ctx)
            return self._keystone(ctx)
        if ctx.kind == "info":
            if ctx.path == "/healthcheck":
                return text_reply(200, "OK", BARE_PLAIN)
            if ctx.method not in ("GET", "HEAD", "OPTIONS"):
                return error(405)
            return json_reply(200, middleware.info_document(), "application/json; charset=UTF-8")
        if ctx.kind == "other":
            return _unroutable(ctx.path)
        return self._storage(ctx)

    # -- v1 auth -----------------------------------------------------------------------------
    def _auth_v1(self, ctx: Ctx) -> Reply:
        # tempauth serves every path under /auth/: GET only; <v1.0|auth> with X-Auth-User
        # "account:user", or v1/<account>/auth where X-Storage-User may be the bare user.
        if ctx.method != "GET":
            return error(405)
        segments = ctx.path[len(_TEMPAUTH_PREFIX) :].split("/")
        key = ctx.header("X-Auth-Key") or ctx.header("X-Storage-Pass")
        if segments[0] in ("v1.0", "auth"):
            given = ctx.header("X-Auth-User") or ctx.header("X-Storage-User")
            if not given or ":" not in given:
                return self._v1_denied("unknown")
            account, _, name = given.partition(":")
        elif segments[0] == "v1" and len(segments) >= 3 and segments[2] == "auth":
            account = segments[1]
            name = ctx.header("X-Storage-User") or ""
            if not name:
                given = ctx.header("X-Auth-User") or ""
                if ":" not in given or given.partition(":")[0] != account:
                    return self._v1_denied(account)
                name = given.partition(":")[2]
            key = ctx.header("X-Storage-Pass") or ctx.header("X-Auth-Key")
        else:
            return error(400)
        found = self.auth.check_v1(f"{account}:{name}", key) if account and name and key else None
        if found is None:
            return self._v1_denied(account or "unknown")

        now = self.clock.time()
        token = self.auth.issue_v1(found, now, self.token_ttl)
        ctx.record.authenticated = True
        remaining = str(max(int(token.expires_at - now), 0))
        if self.v1_style == "selectel":
            reply = Reply(204)
            reply.set("X-Expire-Auth-Token", remaining)
            reply.set("X-Storage-Url", self.storage_url(found.account))
            reply.set("X-Auth-Token", token.value)
            reply.set("X-Storage-Token", token.value)
            return reply
        reply = text_reply(200, "", HTML)
        reply.set("X-Auth-Token", token.value)
        reply.set("X-Storage-Token", token.value)
        reply.set("X-Auth-Token-Expires", remaining)
        reply.set("X-Storage-Url", self.storage_url(found.account))
        return reply

    def _v1_denied(self, realm: str) -> Reply:
        if self.v1_style == "selectel":
            return error(403)
        reply = error(401)
        reply.set("Www-Authenticate", f'Swift realm="{realm}"')
        return reply

    # -- Keystone v3 -------------------------------------------------------------------------
    def _keystone(self, ctx: Ctx) -> Reply:
        if ctx.path in ("/identity/v3", "/identity/v3/", "/v3", "/v3/"):
            return json_reply(
                200, {"version": _keystone_version(self.auth_v3_url)}, "application/json"
            )
        if ctx.path not in _V3_TOKEN_PATHS:
            return _ks_error(404, "The resource could not be found.")
        now = self.clock.time()
        if ctx.method == "POST":
            return self._keystone_issue(ctx, now)
        caller = self.auth.lookup(ctx.header("X-Auth-Token") or "", now)
        if caller is None:
            return _ks_error(401, "The request you have made requires authentication.")
        subject = self.auth.lookup(ctx.header("X-Subject-Token") or "", now)
        if subject is None or subject.kind != "v3":
            return _ks_error(404, "Could not find token.")
        if ctx.method in ("GET", "HEAD"):
            reply = json_reply(
                200, self._token_body(subject, "nocatalog" not in ctx.query), "application/json"
            )
            reply.set("X-Subject-Token", subject.value)
            return reply
        if ctx.method == "DELETE":
            self.auth.revoke(subject.value)
            return Reply(204)
        return _ks_error(405, "The method is not allowed for this resource.")

    def _keystone_issue(self, ctx: Ctx, now: float) -> Reply:
        try:
            doc = _json_loads(ctx.body)
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
        user = self._find_v3_user(user_doc)
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
                if not self._project_matches(user, scope["project"]):
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
        token = self.auth.issue_v3(
            user, now, self.token_ttl, project_scoped=project_scoped, scope=scope or {}
        )
        ctx.record.authenticated = True
        reply = json_reply(
            201, self._token_body(token, "nocatalog" not in ctx.query), "application/json"
        )
        reply.set("X-Subject-Token", token.value)
        return reply

    def _find_v3_user(self, user_doc: object) -> V3User | None:
        if not isinstance(user_doc, dict):
            return None
        for user in self.auth.v3_users:
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

    @staticmethod
    def _project_matches(user: V3User, project: object) -> bool:
        if not isinstance(project, dict):
            return False
        if "id" in project:
            return bool(project["id"] == user.project_id)
        domain = project.get("domain")
        if project.get("name") != user.project_name or not isinstance(domain, dict):
            return False
        return bool(domain.get("name") == user.account_id or domain.get("id") == user.domain_id)

    def _token_body(self, token: Token, with_catalog: bool) -> dict[str, object]:
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
                body["catalog"] = self._catalog(user)
        elif token.scope.get("domain"):
            body["domain"] = domain
            body["roles"] = [{"id": "b2ad1f4b1ac8452d8c23a5d9e4c4f2a1", "name": "member"}]
            if with_catalog:
                body["catalog"] = []
        return {"token": body}

    def _catalog(self, user: V3User) -> list[dict[str, object]]:
        endpoints: list[dict[str, object]] = []
        for region in self.regions:
            for interface in ("public", "admin"):
                endpoints.append(
                    {
                        "id": hashlib.md5(f"{region}/{interface}".encode()).hexdigest(),
                        "interface": interface,
                        "region": region,
                        "region_id": region,
                        "url": self.storage_url(
                            user.project_id, region=region, interface=interface
                        ),
                    }
                )
        identity = [
            {
                "id": hashlib.md5(f"identity/{region}".encode()).hexdigest(),
                "interface": "public",
                "region": region,
                "region_id": region,
                "url": self.auth_v3_url,
            }
            for region in self.regions
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

    # -- storage -----------------------------------------------------------------------------
    def _storage(self, ctx: Ctx) -> Reply:
        # The order of Swift's proxy pipeline: listing_formats, bulk, tempurl, formpost,
        # tempauth, then the controllers (copy, quotas, slo and dlo around the object one).
        assert ctx.account is not None
        if ctx.obj is None and ctx.method in ("GET", "HEAD"):
            if "format" in ctx.bad_params:
                return plain_error(400, '"format" parameter not valid UTF-8')
            if _listing_format(ctx) is None:
                return error(406)
        # Bulk runs before the auth middleware: each of its subrequests is authorised alone.
        if "extract-archive" in ctx.query and ctx.method == "PUT":
            return middleware.extract_archive(self, ctx)
        if "bulk-delete" in ctx.query and ctx.method in ("POST", "DELETE"):
            return middleware.bulk_delete(self, ctx)
        # TempURL and FormPost authorise by signature rather than by token.
        if ctx.obj is not None and "temp_url_sig" in ctx.query:
            return middleware.tempurl(self, ctx)
        if (
            ctx.method == "POST"
            and ctx.container is not None
            and (ctx.header("Content-Type") or "").lower().startswith("multipart/form-data")
        ):
            return middleware.formpost(self, ctx)
        if ctx.bad_token:
            return _unauthorized(ctx.account)
        if ctx.token is None and ctx.method == "PUT" and ctx.obj is not None:
            smf = middleware.sendmefile_upload(self, ctx)
            if smf is not None:
                return smf
        if ctx.method == "OPTIONS":
            return self._options(ctx)
        if ctx.container is None:
            return self._account(ctx)
        if ctx.obj is None:
            return self._container(ctx)
        return self._object(ctx)

    def _resolve_token(self, ctx: Ctx) -> None:
        """Look the token up as of the headers' arrival, before any of the body is read.

        Swift authorises on the headers: an upload that outlives its token (or the token's
        revocation) still completes.
        """
        token_value = ctx.header("X-Auth-Token") or ctx.header("X-Storage-Token")
        if not token_value:
            return
        token = self.auth.lookup(token_value, ctx.arrived)
        if token is None:
            ctx.bad_token = True
        else:
            ctx.token = token
            ctx.record.authenticated = True

    def _options(self, ctx: Ctx) -> Reply:
        reply = text_reply(200, "", HTML)
        reply.set("Allow", _ALLOW if ctx.obj is None else _ALLOW_OBJECT_OPTIONS)
        return reply

    def dispatch_as_owner(self, ctx: Ctx) -> Reply:
        """Serve an object request with the account owner's rights (a valid TempURL)."""
        assert ctx.account is not None
        ctx.token = Token(
            value="",
            kind="tempurl",
            subject=".wsgi.tempurl",
            account=ctx.account,
            admin=True,
            groups=frozenset(),
            issued_at=0.0,
            expires_at=float("inf"),
        )
        return self._object(ctx)

    def authorize_as_caller(
        self,
        ctx: Ctx,
        *,
        container: str,
        write: bool,
        account_level: bool = False,
        listing: bool = False,
    ) -> int | None:
        """The status a subrequest with the caller's token gets from tempauth (None: allowed).

        Used by the middleware that runs before auth (bulk, SLO segment checks).
        """
        denied = self._authorize(
            ctx, write=write, account_level=account_level, container=container, listing=listing
        )
        return None if denied is None else denied.status

    def over_quota(self, cont: Container, adding: int) -> bool:
        """True when container_quotas refuses a PUT of ``adding`` more bytes into ``cont``."""
        return _over_quota(cont, adding) is not None

    # -- authorization (tempauth + container ACLs) --------------------------------------------

    def _authorize(
        self,
        ctx: Ctx,
        *,
        write: bool,
        account_level: bool = False,
        account: str | None = None,
        container: str | None = None,
        listing: bool = False,
    ) -> Reply | None:
        acct = account or ctx.account
        assert acct is not None
        token = ctx.token
        if token is not None and token.account == acct and token.admin:
            return None
        if not account_level:
            cont = self.store.get_container(container or ctx.container or "", acct)
            if cont is not None and _acl_allows(cont, token, write=write, listing=listing):
                return None
        if token is None:
            return _unauthorized(acct)
        return error(403)

    # -- account -----------------------------------------------------------------------------
    def _account(self, ctx: Ctx) -> Reply:
        if ctx.method in ("PUT", "DELETE"):
            # Account management needs a reseller admin; no fake user is one.
            return error(403) if ctx.token is not None else _unauthorized(ctx.account or "")
        if ctx.method not in ("GET", "HEAD", "POST"):
            return _method_not_allowed()
        denied = self._authorize(ctx, write=ctx.method == "POST", account_level=True)
        if denied is not None:
            return denied
        assert ctx.account is not None
        acct = self.store.ensure_account(ctx.account)  # account_autocreate
        if ctx.method == "POST":
            bad = _update_metadata(acct.metadata, ctx, "X-Account-Meta-", "X-Remove-Account-Meta-")
            if bad is not None:
                return bad
            acct.mark_written(self.store.next_timestamp())
            return text_reply(204, "", HTML)
        headers = self._account_headers(acct)
        if ctx.method == "HEAD":
            # An account nobody wrote to yet has no database: Swift makes up a 200 for it.
            reply = text_reply(204 if acct.written else 200, "", PLAIN)
            reply.headers.update(headers)
            _vary(ctx, reply)
            return reply
        return self._listing_reply(
            ctx,
            acct.sorted_names(),
            lambda name: _container_entry(acct.containers[name]),
            ("account", acct.name),
            headers,
        )

    def _account_headers(self, acct: Account) -> dict[str, str]:
        count = str(len(acct.containers))
        objects = str(sum(c.object_count for c in acct.containers.values()))
        used = str(sum(c.bytes_used for c in acct.containers.values()))
        if not acct.written:
            now = format_x_timestamp(self.clock.time())
            return {
                "X-Account-Container-Count": count,
                "X-Account-Object-Count": objects,
                "X-Account-Bytes-Used": used,
                "X-Timestamp": now,
                "X-Put-Timestamp": now,
            }
        headers = {
            "X-Account-Container-Count": count,
            "X-Account-Object-Count": objects,
            "X-Account-Bytes-Used": used,
            "X-Timestamp": format_x_timestamp(acct.timestamp),
        }
        if acct.policy_used:
            prefix = f"X-Account-Storage-Policy-{STORAGE_POLICY.title()}-"
            headers[prefix + "Container-Count"] = count
            headers[prefix + "Object-Count"] = objects
            headers[prefix + "Bytes-Used"] = used
        for key, value in sorted(acct.metadata.items()):
            headers[meta_header_name("X-Account-Meta-", key)] = value
        headers["Accept-Ranges"] = "bytes"
        return headers

    # -- container ---------------------------------------------------------------------------
    def _container(self, ctx: Ctx) -> Reply:
        assert ctx.account is not None and ctx.container is not None
        method = ctx.method
        if method not in ("GET", "HEAD", "PUT", "POST", "DELETE"):
            return _method_not_allowed()
        listing = method in ("GET", "HEAD")
        admin_only = method in ("PUT", "POST", "DELETE")
        denied = self._authorize(ctx, write=not listing, account_level=admin_only, listing=listing)
        if denied is not None:
            return denied
        acct = self.store.ensure_account(ctx.account)
        cont = acct.containers.get(ctx.container)
        if method == "PUT":
            return self._container_put(ctx, acct, cont)
        if cont is None:
            return error(404)
        if method == "POST":
            bad = _update_container_meta(cont, ctx)
            if bad is not None:
                return bad
            cont.modified = self.store.next_timestamp()
            return text_reply(204, "", HTML)
        if method == "DELETE":
            if cont.objects:
                return error(409)
            del acct.containers[ctx.container]
            return text_reply(204, "", HTML)
        headers = self._container_headers(cont, owner=_is_owner(ctx))
        if method == "HEAD":
            reply = text_reply(204, "", PLAIN)
            reply.headers.update(headers)
            _vary(ctx, reply)
            return reply
        return self._listing_reply(
            ctx,
            cont.sorted_names(),
            lambda name: _object_entry(name, cont.objects[name]),
            ("container", cont.name),
            headers,
        )

    def _container_put(self, ctx: Ctx, acct: Account, cont: Container | None) -> Reply:
        assert ctx.container is not None
        too_long = _name_too_long("Container", ctx.container, MAX_CONTAINER_NAME_LENGTH, HTML)
        if too_long is not None:
            return too_long
        created = cont is None
        if cont is None:
            cont = Container(name=ctx.container, timestamp=self.store.next_timestamp())
        scratch = Container(
            name=cont.name,
            timestamp=cont.timestamp,
            metadata=dict(cont.metadata),
            read_acl=cont.read_acl,
            write_acl=cont.write_acl,
        )
        bad = _update_container_meta(scratch, ctx)
        if bad is not None:
            return bad
        cont.metadata = scratch.metadata
        cont.read_acl = scratch.read_acl
        cont.write_acl = scratch.write_acl
        if not created:
            cont.modified = self.store.next_timestamp()
        acct.mark_written(cont.timestamp, container=True)
        acct.containers[ctx.container] = cont
        if created:
            return text_reply(201, "", HTML)
        return text_reply(202, _ACCEPTED_BODY, HTML)

    def _container_headers(self, cont: Container, *, owner: bool) -> dict[str, str]:
        headers = {
            "X-Container-Object-Count": str(cont.object_count),
            "X-Container-Bytes-Used": str(cont.bytes_used),
            "X-Timestamp": format_x_timestamp(cont.timestamp),
            "Last-Modified": format_last_modified(cont.modified or cont.timestamp),
            "X-Storage-Policy": STORAGE_POLICY,
            "Accept-Ranges": "bytes",
        }
        if owner:
            if cont.read_acl:
                headers["X-Container-Read"] = cont.read_acl
            if cont.write_acl:
                headers["X-Container-Write"] = cont.write_acl
        for key, value in sorted(cont.metadata.items()):
            headers[meta_header_name("X-Container-Meta-", key)] = value
        return headers

    # -- listings ----------------------------------------------------------------------------
    def _listing_reply(
        self,
        ctx: Ctx,
        names: list[str],
        entry: Callable[[str], dict[str, object]],
        root: tuple[str, str],
        headers: Mapping[str, str],
    ) -> Reply:
        for param in ("path", "prefix", "delimiter", "marker", "end_marker"):
            if param in ctx.bad_params:
                return plain_error(400, f'"{param}" parameter not valid UTF-8')
        limit = LISTING_LIMIT
        given = ctx.query.get("limit")
        if given and given.isdigit():
            limit = int(given)
            if limit > LISTING_LIMIT:
                return error(412, f"Maximum limit is {LISTING_LIMIT}")
        prefix = ctx.query.get("prefix", "")
        delimiter = ctx.query.get("delimiter", "")
        path = ctx.query.get("path")
        if path is not None and root[0] == "container":
            # ``path``: the objects right inside a pseudo folder, without its subfolders.
            prefix = path.rstrip("/") + "/" if path else ""
            delimiter = "/"
        items = _list(
            names,
            limit=limit,
            marker=ctx.query.get("marker", ""),
            end_marker=ctx.query.get("end_marker", ""),
            prefix=prefix,
            delimiter=delimiter,
            reverse=ctx.query.get("reverse", "").lower() in TRUE_VALUES,
        )
        if path is not None and root[0] == "container":
            items = [(name, is_subdir) for name, is_subdir in items if not is_subdir]
        fmt = _listing_format(ctx) or "text/plain"
        if fmt == "application/json":
            out = [entry(name) if not is_subdir else {"subdir": name} for name, is_subdir in items]
            reply = json_reply(200, out)
        elif fmt.endswith("/xml"):
            reply = _xml_listing(root, [(n, s, None if s else entry(n)) for n, s in items], fmt)
        elif not items:
            reply = text_reply(204, "", PLAIN)
        else:
            reply = text_reply(200, "".join(name + "\n" for name, _ in items), PLAIN)
        reply.headers.update(headers)
        _vary(ctx, reply)
        return reply

    # -- objects -----------------------------------------------------------------------------
    def _object(self, ctx: Ctx) -> Reply:
        assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
        method = ctx.method
        if method in ("GET", "HEAD"):
            return self._authorize(ctx, write=False) or self._object_get(ctx)
        if method == "PUT":
            if ctx.header("X-Copy-From") is not None:
                return self._copy_via_put(ctx)
            return self._authorize(ctx, write=True) or self._object_put(ctx)
        if method == "POST":
            return self._authorize(ctx, write=True) or self._object_post(ctx)
        if method == "DELETE":
            return self._authorize(ctx, write=True) or self._object_delete(ctx)
        if method == "COPY":
            return self._copy_method(ctx)
        return _method_not_allowed()

    def live_object(self, account: str, container: str, name: str) -> StoredObject | None:
        """The object unless absent or expired."""
        obj = self.store.get_object(container, name, account)
        if obj is None or obj.expired(self.clock.time()):
            return None
        return obj

    def _object_put(self, ctx: Ctx) -> Reply:
        assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
        cont = self.store.get_container(ctx.container, ctx.account)
        if cont is None:
            return error(404)
        over = _over_quota(cont, _declared_length(ctx))
        if over is not None:
            return over
        if ctx.query.get("multipart-manifest") == "put":
            return middleware.slo_put(self, ctx, cont)
        # Everything Swift checks before it reads the body (and before "100 Continue").
        bad = (
            _check_framing(ctx)
            or _name_too_long("Object", ctx.obj, MAX_OBJECT_NAME_LENGTH)
            or _check_if_none_match(ctx)
            or self.check_object_headers(ctx)
        )
        if bad is not None:
            return bad
        exists = self.live_object(ctx.account, ctx.container, ctx.obj) is not None
        if ctx.header("If-None-Match") is not None and exists:
            return error(412)
        smf = middleware.sendmefile_link_check(ctx)
        if smf is not None:
            return smf
        built = self.build_object(ctx, ctx.body)
        if isinstance(built, Reply):
            return built
        cont.objects[ctx.obj] = built
        reply = text_reply(201, "", HTML)
        reply.set("Etag", built.etag)
        reply.set("Last-Modified", format_last_modified(built.timestamp))
        return reply

    def check_object_headers(self, ctx: Ctx, *, content_type: bool = True) -> Reply | None:
        """The header checks of an object write: metadata, expiry, Content-Type parameters."""
        ctype = ctx.header("Content-Type") if content_type else None
        if ctype and any(p.strip().lower().startswith("swift_") for p in ctype.split(";")[1:]):
            return error(400, "Invalid Content-Type, swift_* is not a valid parameter name.")
        bad = _check_metadata(ctx.headers_with_prefix("X-Object-Meta-"), "X-Object-Meta-")
        if bad is not None:
            return bad
        delete_at = _delete_at(ctx.header, self.clock.time())
        return delete_at if isinstance(delete_at, Reply) else None

    def build_object(
        self,
        ctx: Ctx,
        data: bytes,
        *,
        base: StoredObject | None = None,
        name: str | None = None,
        check_etag: bool = True,
        headers_from: Mapping[str, str] | None = None,
    ) -> StoredObject | Reply:
        """A new object from request headers and ``data`` (``base``: copy source to inherit).

        A request ``ETag`` must be the MD5 of ``data`` (422 otherwise) unless ``check_etag`` is
        off: copies ignore it, and an SLO manifest PUT checks it against the SLO ETag instead.
        ``headers_from`` replaces the request headers (the subrequests of bulk middleware).
        """
        if headers_from is not None:
            given = {k.lower(): v for k, v in headers_from.items()}

            def header(key: str) -> str | None:
                return given.get(key.lower())

            req_meta = {
                k[len("x-object-meta-") :]: v
                for k, v in given.items()
                if k.startswith("x-object-meta-")
            }
        else:

            def header(key: str) -> str | None:
                return ctx.header(key)

            req_meta = ctx.headers_with_prefix("X-Object-Meta-")

        obj_name = name or ctx.obj or ""
        etag = hashlib.md5(data).hexdigest()
        sent_etag = header("ETag") if check_etag and base is None else None
        if sent_etag is not None and sent_etag.strip().strip('"').lower() != etag:
            reply = error(422)
            reply.set("Last-Modified", format_last_modified(self.clock.time()))
            return reply
        fresh = (header("X-Fresh-Metadata") or "").lower() in TRUE_VALUES
        metadata: dict[str, str] = {} if base is None or fresh else dict(base.metadata)
        headers: dict[str, str] = {} if base is None or fresh else dict(base.headers)
        if base is not None:
            # A copy of a large object is a plain object holding the concatenated bytes.
            headers.pop("x-object-manifest", None)
        bad = _check_metadata(req_meta, "X-Object-Meta-")
        if bad is not None:
            return bad
        metadata.update(req_meta)
        metadata = {k: v for k, v in metadata.items() if v != "" or base is None}
        for low in ALLOWED_OBJECT_HEADERS:
            value = header(low)
            if value is not None:
                headers[low] = value
        manifest = headers.get("x-object-manifest")
        if manifest is not None and "/" not in unquote(manifest).lstrip("/"):
            return error(400, "X-Object-Manifest must be in the format container/prefix")
        content_type = header("Content-Type") or None  # an empty one is guessed too
        if content_type is None and base is not None:
            content_type = base.content_type
        detect = (header("X-Detect-Content-Type") or "").lower() in TRUE_VALUES
        if content_type is None or detect:
            content_type = mimetypes.guess_type(obj_name)[0] or "application/octet-stream"
        content_type = _strip_swift_bytes(content_type)
        delete_at = _delete_at(header, self.clock.time())
        if isinstance(delete_at, Reply):
            return delete_at
        return StoredObject(
            data=data,
            etag=etag,
            content_type=content_type,
            timestamp=self.store.next_timestamp(),
            metadata=metadata,
            headers=headers,
            delete_at=delete_at,
        )

    def _object_post(self, ctx: Ctx) -> Reply:
        assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
        obj = self.live_object(ctx.account, ctx.container, ctx.obj)
        if obj is None:
            return error(404)
        meta = ctx.headers_with_prefix("X-Object-Meta-")
        bad = _check_metadata(meta, "X-Object-Meta-")
        if bad is not None:
            return bad
        delete_at = _delete_at(ctx.header, self.clock.time())
        if isinstance(delete_at, Reply):
            return delete_at
        obj.metadata = {k: v for k, v in meta.items() if v != ""}
        obj.headers = {
            low: value for low in ALLOWED_OBJECT_HEADERS if (value := ctx.header(low)) is not None
        }
        content_type = ctx.header("Content-Type")
        if content_type:
            obj.content_type = _strip_swift_bytes(content_type)
        obj.delete_at = delete_at
        obj.timestamp = self.store.next_timestamp()
        return text_reply(
            202,
            _ACCEPTED_BODY,
        )

    def _object_delete(self, ctx: Ctx) -> Reply:
        assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
        if ctx.query.get("multipart-manifest") == "delete":
            return middleware.slo_delete(self, ctx)
        cont = self.store.get_container(ctx.container, ctx.account)
        if cont is None:
            return error(404)
        obj = cont.objects.get(ctx.obj)
        if obj is None:
            return error(404)
        if_delete_at = ctx.header("X-If-Delete-At")
        if if_delete_at is not None and not obj.expired(self.clock.time()):
            try:
                wanted = int(if_delete_at)
            except ValueError:
                return error(400, "Bad X-If-Delete-At header value")
            if obj.delete_at != wanted:
                return error(412, "X-If-Delete-At and X-Delete-At do not match")
        del cont.objects[ctx.obj]
        if obj.expired(self.clock.time()):
            return error(404)
        return text_reply(204, "", HTML)

    # -- GET / HEAD ----------------------------------------------------------------------------
    def _object_get(self, ctx: Ctx) -> Reply:
        assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
        obj = self.live_object(ctx.account, ctx.container, ctx.obj)
        if obj is None:
            return error(404)
        return self.serve_object(ctx, ctx.account, ctx.container, ctx.obj, obj)

    def serve_object(
        self,
        ctx: Ctx,
        account: str,
        container: str,
        name: str,
        obj: StoredObject,
        *,
        extra_headers: Mapping[str, str] | None = None,
        strip_meta: bool = False,
    ) -> Reply:
        """GET/HEAD of a stored object: large objects, conditionals and ranges."""
        manifest_get = ctx.query.get("multipart-manifest") == "get"
        if manifest_get and obj.is_slo:
            return middleware.slo_manifest_reply(self, ctx, obj)
        headers = self.object_headers(obj, manifest_get=manifest_get)
        if obj.is_slo and not manifest_get:
            content = middleware.slo_content(self, account, obj)
            etag = obj.slo_etag or ""
        elif obj.dlo_manifest and not manifest_get:
            content, etag = middleware.dlo_content(self, account, obj)
            headers["Content-Length"] = str(content.size)
            headers["Etag"] = f'"{etag}"'
        else:
            content = _Content([(obj.data, 0, len(obj.data))], len(obj.data))
            etag = obj.etag
        if strip_meta:
            for key in [k for k in headers if k.lower().startswith("x-object-meta-")]:
                if not key.lower().startswith("x-object-meta-public-"):
                    del headers[key]
        if extra_headers:
            headers.update(extra_headers)
        cond = _conditional(ctx, etag, obj.timestamp, headers)
        if cond is not None:
            return cond
        if content.broken_at == 0:
            return error(409)
        reply = Reply(200, headers)
        ranges_header = ctx.header("Range")
        if ranges_header and ctx.method != "HEAD":
            ranges = _parse_range(ranges_header)
            resolved = _resolve_ranges(ranges, content.size) if ranges is not None else None
            if resolved == []:
                bad = error(416)
                bad.headers.update({k: v for k, v in headers.items() if k != "Content-Length"})
                bad.set("Content-Range", f"bytes */{content.size}")
                return bad
            if resolved:
                return _range_reply(reply, content, resolved)
        reply.body = _slice(content, 0, content.size)
        reply.length = content.size
        reply.set("Content-Length", str(content.size))
        if content.broken_at is not None:
            # Swift notices a changed segment only while streaming: it drops the connection.
            ctx.record.faults.append("segment-changed")
            reply.body = _slice(content, 0, content.broken_at)
            reply.delivery = Delivery(mode="close", after_bytes=content.broken_at)
        return reply

    def object_headers(self, obj: StoredObject, *, manifest_get: bool = False) -> dict[str, str]:
        """Headers of a GET/HEAD of ``obj``."""
        headers: dict[str, str] = {
            "Content-Type": obj.content_type,
            "Content-Length": str(len(obj.data) if manifest_get else obj.size),
            "Etag": obj.etag,
            "Last-Modified": format_last_modified(obj.timestamp),
            "X-Timestamp": format_x_timestamp(obj.timestamp),
            "Accept-Ranges": "bytes",
        }
        if obj.is_slo:
            headers["X-Static-Large-Object"] = "True"
            if not manifest_get:
                headers["Etag"] = f'"{obj.slo_etag}"'
                headers["X-Manifest-Etag"] = obj.manifest_etag
        for key, value in sorted(obj.metadata.items()):
            headers[meta_header_name("X-Object-Meta-", key)] = value
        for key, value in obj.headers.items():
            headers[meta_header_name("", key)] = value
        if obj.delete_at is not None:
            headers["X-Delete-At"] = str(obj.delete_at)
        return headers

    # -- copy ----------------------------------------------------------------------------------
    def _copy_method(self, ctx: Ctx) -> Reply:
        assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
        dest = ctx.header("Destination")
        if dest is None:
            return error(412, "Destination header required")
        parsed = _split_container_object(dest)
        if parsed is None:
            return error(
                412, "Destination header must be of the form <container name>/<object name>"
            )
        dest_account = unquote(ctx.header("Destination-Account") or "") or ctx.account
        return self._copy(
            ctx,
            (ctx.account, ctx.container, ctx.obj),
            (dest_account, parsed[0], parsed[1]),
        )

    def _copy_via_put(self, ctx: Ctx) -> Reply:
        assert ctx.account is not None and ctx.container is not None and ctx.obj is not None
        source = ctx.header("X-Copy-From") or ""
        parsed = _split_container_object(source)
        if parsed is None:
            return error(
                412, "X-Copy-From header must be of the form <container name>/<object name>"
            )
        if _declared_length(ctx):
            return plain_error(400, "Copy requests require a zero byte body")
        src_account = unquote(ctx.header("X-Copy-From-Account") or "") or ctx.account
        return self._copy(
            ctx, (src_account, parsed[0], parsed[1]), (ctx.account, ctx.container, ctx.obj)
        )

    def _copy(self, ctx: Ctx, src: tuple[str, str, str], dst: tuple[str, str, str]) -> Reply:
        denied = self._authorize(ctx, write=False, account=src[0], container=src[1])
        if denied is None:
            denied = self._authorize(ctx, write=True, account=dst[0], container=dst[1])
        if denied is not None:
            return denied
        source = self.live_object(*src)
        if source is None:
            return error(404)
        manifest_get = ctx.query.get("multipart-manifest") == "get"
        # The copy middleware GETs the source with the request's conditions.
        source_headers = self.object_headers(source, manifest_get=manifest_get)
        source_etag = source.etag if manifest_get or not source.is_slo else source.slo_etag or ""
        cond = _conditional(ctx, source_etag, source.timestamp, source_headers)
        if cond is not None:
            return cond
        dest_cont = self.store.get_container(dst[1], dst[0])
        if dest_cont is None:
            return error(404)
        if source.is_slo and not manifest_get:
            content = middleware.slo_content(self, src[0], source)
        elif source.dlo_manifest and not manifest_get:
            content, _ = middleware.dlo_content(self, src[0], source)
        else:
            content = _Content([(source.data, 0, len(source.data))], len(source.data))
        if content.broken_at is not None:
            return error(409)
        start, end = 0, content.size
        if ctx.method == "PUT" and ctx.header("Range"):
            ranges = _parse_range(ctx.header("Range") or "")
            resolved = _resolve_ranges(ranges, content.size) if ranges is not None else None
            if resolved == []:
                return error(416)
            if resolved:
                start, end = resolved[0]
        over = _over_quota(dest_cont, end - start)
        if over is not None:
            return over
        too_long = _name_too_long("Object", dst[2], MAX_OBJECT_NAME_LENGTH)
        if too_long is not None:
            return too_long
        if source.is_slo and manifest_get:
            # Copying a manifest writes it again: SLO validates its segments as on a PUT.
            return middleware.slo_copy_manifest(self, ctx, source, src, dst, dest_cont)
        data = b"".join(_slice(content, start, end))
        built = self.build_object(ctx, data, base=source, name=dst[2])
        if isinstance(built, Reply):
            return built
        dest_cont.objects[dst[2]] = built
        reply = text_reply(201, "", HTML)
        reply.set("Etag", built.etag)
        reply.set("Last-Modified", format_last_modified(built.timestamp))
        return self.copied_headers(reply, built, src, source)

    def copied_headers(
        self, reply: Reply, built: StoredObject, src: tuple[str, str, str], source: StoredObject
    ) -> Reply:
        """What a successful copy reports: where from, and the new object's metadata."""
        reply.set("X-Copied-From-Account", quote(src[0]))
        reply.set("X-Copied-From", quote(f"{src[1]}/{src[2]}"))
        reply.set("X-Copied-From-Last-Modified", format_last_modified(source.timestamp))
        for key, value in sorted(built.metadata.items()):
            reply.set(meta_header_name("X-Object-Meta-", key), value)
        return reply


# -- helpers -------------------------------------------------------------------------------------


def _trans_id() -> str:
    return f"tx{secrets.token_hex(11)[:21]}-{int(time.time()):010x}"


def _close(body: Iterable[bytes]) -> None:
    close = getattr(body, "close", None)
    if close is not None:
        close()


def _is_keystone(path: str) -> bool:
    return path.startswith(("/identity/v3", "/v3"))


def _classify(path: str, prefixes: set[str]) -> tuple[str, str | None, str | None, str | None]:
    """(kind, account, container, object) of a request path; "other" when no API serves it."""
    if path.startswith(_TEMPAUTH_PREFIX) or _is_keystone(path):
        return "auth", None, None, None
    if path in ("/info", "/healthcheck"):
        return "info", None, None, None
    for prefix in prefixes:
        if path.startswith(prefix + "/v1/") or path == prefix + "/v1":
            path = path[len(prefix) :]
            break
    # Swift's proxy splits /<version>/<account>[/<container>[/<object>]].
    parts = path[1:].split("/", 3)
    if len(parts) < 2 or not parts[1] or parts[0] not in _API_VERSIONS:
        return "other", None, None, None
    account = parts[1]
    container = parts[2] if len(parts) > 2 and parts[2] else None
    obj = parts[3] if len(parts) > 3 and parts[3] else None
    if container is None and obj is not None:
        return "other", None, None, None  # an empty container segment
    if container is None:
        return "account", account, None, None
    if obj is None:
        return "container", account, container, None
    return "object", account, container, obj


def _unroutable(path: str) -> Reply:
    """The proxy's answer to a path outside the API (e.g. ``/v1``, ``/v2/x``, ``/``)."""
    if path == "/":
        return error(404)
    parts = path[1:].split("/", 3)
    if len(parts) < 2 or not parts[1]:
        return error(412, "Bad URL")
    if parts[0] not in _API_VERSIONS:
        return error(400)
    return error(412, "Bad URL")


def _invalid_utf8_params(raw_query: str) -> frozenset[str]:
    bad = set()
    for name, value in parse_qsl(raw_query, keep_blank_values=True, errors="surrogateescape"):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            bad.add(name)
    return frozenset(bad)


def _answers_early(request: Request) -> bool:
    """True when Swift answers before reading the body: the client waits for 100 Continue,
    or the announced body is too large to ever be accepted."""
    if (request.headers.get("Expect") or "").strip().lower() == "100-continue":
        return True
    length = request.headers.get("Content-Length") or ""
    return length.strip().isdigit() and int(length) > MAX_FILE_SIZE


def _name_too_long(
    what: str, name: str, limit: int, content_type: str = BARE_PLAIN
) -> Reply | None:
    size = len(name.encode("utf-8"))
    if size <= limit:
        return None
    text = f"{what} name length of {size} longer than {limit}"
    return error(400, text, content_type=content_type)


def _unauthorized(account: str) -> Reply:
    reply = error(401)
    reply.set("Www-Authenticate", f'Swift realm="{quote(account)}"')
    return reply


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


def _json_loads(body: bytes) -> Any:
    import json

    return json.loads(body.decode("utf-8"))


def _acl_entries(acl: str | None) -> list[str]:
    return [e.strip() for e in (acl or "").split(",") if e.strip()]


def _acl_allows(cont: Container, token: Token | None, *, write: bool, listing: bool) -> bool:
    groups = token.groups if token is not None else frozenset()
    if write:
        return any(e in groups for e in _acl_entries(cont.write_acl))
    entries = _acl_entries(cont.read_acl)
    # Any referrer grant counts: the fake's clients send no Referer worth checking.
    referrer_ok = any(e.startswith(".r:") and not e.startswith(".r:-") for e in entries)
    if listing:
        if referrer_ok and ".rlistings" in entries:
            return True
    elif referrer_ok or cont.public:
        return True
    return any(e in groups for e in entries if not e.startswith("."))


def _check_metadata(meta: Mapping[str, str], prefix: str) -> Reply | None:
    count = 0
    size = 0
    # Swift names the header in its messages as "x-object-meta-" + the title-cased key.
    shown = prefix.lower()
    for key, value in meta.items():
        if not key:
            return plain_error(400, "Metadata name cannot be empty")
        if len(key.encode("utf-8", "surrogateescape")) > MAX_META_NAME_LENGTH:
            return plain_error(400, f"Metadata name too long: {shown}{key.title()}")
        # Swift counts the bytes that came, not characters.
        value_size = len(wire_bytes(value))
        if value_size > MAX_META_VALUE_LENGTH:
            return plain_error(
                400, f"Metadata value longer than {MAX_META_VALUE_LENGTH}: {shown}{key.title()}"
            )
        count += 1
        size += len(key) + value_size
    if count > MAX_META_COUNT:
        return plain_error(400, f"Too many metadata items; max {MAX_META_COUNT}")
    if size > MAX_META_OVERALL_SIZE:
        return plain_error(400, f"Total metadata too large; max {MAX_META_OVERALL_SIZE}")
    return None


def _update_metadata(
    target: dict[str, str], ctx: Ctx, prefix: str, remove_prefix: str
) -> Reply | None:
    updated = dict(target)
    for key, value in ctx.headers_with_prefix(prefix).items():
        if value == "":
            updated.pop(key, None)
        else:
            updated[key] = value
    for key in ctx.headers_with_prefix(remove_prefix):
        updated.pop(key, None)
    bad = _check_metadata(updated, prefix)
    if bad is not None:
        return bad
    target.clear()
    target.update(updated)
    return None


def _update_container_meta(cont: Container, ctx: Ctx) -> Reply | None:
    for kind in ("bytes", "count"):
        value = ctx.header(f"X-Container-Meta-Quota-{kind.title()}")
        if value and not value.isdigit():
            return error(400, f"Invalid {kind} quota.")
    bad = _update_metadata(cont.metadata, ctx, "X-Container-Meta-", "X-Remove-Container-Meta-")
    if bad is not None:
        return bad
    for header, attr in (("Read", "read_acl"), ("Write", "write_acl")):
        value = ctx.header(f"X-Container-{header}")
        if value is not None:
            setattr(cont, attr, value or None)
        if ctx.header(f"X-Remove-Container-{header}") is not None:
            setattr(cont, attr, None)
    return None


def _check_framing(ctx: Ctx) -> Reply | None:
    length = ctx.header("Content-Length")
    chunked = "chunked" in (ctx.header("Transfer-Encoding") or "").lower()
    if length is not None and not chunked:
        if not length.strip().isdigit():
            return error(400, "Invalid Content-Length")
        if int(length) > MAX_FILE_SIZE:
            return plain_error(413, "Your request is too large.")
    if length is None and not chunked:
        return plain_error(411, "Missing Content-Length header.")
    return None


def _declared_length(ctx: Ctx) -> int:
    """The request's Content-Length (0 when absent, chunked or malformed)."""
    length = (ctx.header("Content-Length") or "").strip()
    return int(length) if length.isdigit() else 0


def _check_if_none_match(ctx: Ctx) -> Reply | None:
    value = ctx.header("If-None-Match")
    if value is not None and value.strip() != "*":
        return plain_error(400, "If-None-Match only supports *")
    return None


def _over_quota(cont: Container, adding: int) -> Reply | None:
    """container_quotas: a PUT of ``adding`` bytes (by Content-Length) over a quota is 413."""
    quota_bytes = cont.metadata.get("quota-bytes", "")
    quota_count = cont.metadata.get("quota-count", "")
    if quota_bytes.isdigit() and int(quota_bytes) < cont.bytes_used + adding:
        return error(413, "Upload exceeds quota.")
    if quota_count.isdigit() and int(quota_count) < cont.object_count + 1:
        return error(413, "Upload exceeds quota.")
    return None


def _strip_swift_bytes(content_type: str) -> str:
    parts = [p for p in content_type.split(";") if not p.strip().lower().startswith("swift_bytes=")]
    return ";".join(parts).strip()


def _delete_at(header: Callable[[str], str | None], now: float) -> int | Reply | None:
    """``X-Delete-After`` (wins) or ``X-Delete-At`` as Swift's constraints check them."""
    after = header("X-Delete-After")
    if after is not None:
        try:
            seconds = int(after)
        except ValueError:
            return plain_error(400, "Non-integer X-Delete-After")
        value = int(now + seconds)
        if value <= now:
            return plain_error(400, "X-Delete-After in past")
        return value
    at = header("X-Delete-At")
    if at is None:
        return None
    try:
        value = int(at)
    except ValueError:
        return plain_error(400, "Non-integer X-Delete-At")
    if value <= now:
        return plain_error(400, "X-Delete-At in past")
    return value


def _split_container_object(value: str) -> tuple[str, str] | None:
    text = unquote(value)
    text = text.removeprefix("/")
    container, _, obj = text.partition("/")
    if not container or not obj:
        return None
    return container, obj


_FORMAT_TYPES = {"json": "application/json", "xml": "application/xml", "plain": "text/plain"}
_LISTING_TYPES = ("text/plain", "application/json", "application/xml", "text/xml")


def _listing_format(ctx: Ctx) -> str | None:
    """Content type of a listing (``format=`` wins over ``Accept``); None: 406."""
    fmt = ctx.query.get("format")
    if fmt:
        return _FORMAT_TYPES.get(fmt.lower(), "text/plain")
    return best_match(ctx.header("Accept"), _LISTING_TYPES)


def _vary(ctx: Ctx, reply: Reply) -> None:
    # listing_formats answers by Accept unless format= was given, and says so.
    if "format" not in ctx.query and reply.status in (200, 204):
        reply.set("Vary", "Accept")


def _is_owner(ctx: Ctx) -> bool:
    token = ctx.token
    return token is not None and token.account == ctx.account and token.admin


def _method_not_allowed() -> Reply:
    reply = error(405)
    reply.set("Allow", _ALLOW)
    return reply


def _list(
    names: list[str],
    *,
    limit: int,
    marker: str,
    end_marker: str,
    prefix: str,
    delimiter: str,
    reverse: bool,
) -> list[tuple[str, bool]]:
    """Swift's listing walk: (name, is_subdir) in order, at most ``limit`` entries."""
    mk = utf8_key(marker) if marker else None
    emk = utf8_key(end_marker) if end_marker else None
    seq = reversed(names) if reverse else iter(names)
    out: list[tuple[str, bool]] = []
    last_subdir: str | None = None
    for name in seq:
        if len(out) >= limit:
            break
        key = utf8_key(name)
        if reverse:
            if mk is not None and key >= mk:
                continue
            if emk is not None and key <= emk:
                break
        else:
            if mk is not None and key <= mk:
                continue
            if emk is not None and key >= emk:
                break
        if prefix and not name.startswith(prefix):
            continue
        if delimiter:
            idx = name.find(delimiter, len(prefix))
            if idx >= 0:
                subdir = name[: idx + len(delimiter)]
                if subdir in (last_subdir, marker):
                    continue
                last_subdir = subdir
                out.append((subdir, True))
                continue
        out.append((name, False))
    return out


def _container_entry(cont: Container) -> dict[str, object]:
    # Key order as Swift's account server writes them.
    return {
        "name": cont.name,
        "count": cont.object_count,
        "bytes": cont.bytes_used,
        "last_modified": format_listing_time(cont.timestamp),
        "storage_policy": STORAGE_POLICY,
    }


def _object_entry(name: str, obj: StoredObject) -> dict[str, object]:
    # Key order as Swift's container server writes them.
    entry: dict[str, object] = {
        "bytes": obj.size,
        "hash": obj.etag if not obj.is_slo else obj.manifest_etag,
        "name": name,
        "content_type": obj.content_type,
        "last_modified": format_listing_time(obj.timestamp),
    }
    if obj.is_slo:
        entry["slo_etag"] = f'"{obj.slo_etag}"'
    return entry


def _xml_listing(
    root: tuple[str, str],
    items: list[tuple[str, bool, dict[str, object] | None]],
    content_type: str,
) -> Reply:
    """Swift's XML listings (ElementTree output: ``<container name="c" />`` when empty)."""
    tag, name = root
    doc = ElementTree.Element(tag, name=name)
    if tag == "account":
        doc.text = "\n"
    for item_name, is_subdir, entry in items:
        if is_subdir:
            sub = ElementTree.SubElement(doc, "subdir", name=item_name)
            if tag == "container":
                ElementTree.SubElement(sub, "name").text = item_name
        else:
            assert entry is not None
            sub = ElementTree.SubElement(doc, "container" if tag == "account" else "object")
            fields = _XML_FIELDS[tag]
            for key in fields:
                if key in entry:
                    ElementTree.SubElement(sub, key).text = str(entry[key])
        if tag == "account":
            sub.tail = "\n"
    body = ElementTree.tostring(doc, encoding="unicode")
    text = f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'
    return text_reply(200, text, f"{content_type}; charset=utf-8")


_XML_FIELDS = {
    "account": ("name", "count", "bytes", "last_modified", "storage_policy"),
    "container": ("name", "hash", "bytes", "content_type", "last_modified"),
}


def _etag_list(value: str) -> list[str]:
    return [v.strip().strip('"') for v in value.split(",") if v.strip()]


def _http_time(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _conditional(ctx: Ctx, etag: str, timestamp: float, headers: dict[str, str]) -> Reply | None:
    last_modified = float(int(timestamp) if timestamp == int(timestamp) else int(timestamp) + 1)
    if_match = ctx.header("If-Match")
    if_none_match = ctx.header("If-None-Match")
    if if_match is not None:
        tags = _etag_list(if_match)
        if "*" not in tags and etag not in tags:
            return _precondition(headers)
    else:
        ius = _http_time(ctx.header("If-Unmodified-Since"))
        if ius is not None and last_modified > ius:
            return _precondition(headers)
    if if_none_match is not None:
        tags = _etag_list(if_none_match)
        if "*" in tags or etag in tags:
            return _not_modified(headers)
    else:
        ims = _http_time(ctx.header("If-Modified-Since"))
        if ims is not None and last_modified <= ims:
            return _not_modified(headers)
    return None


def _precondition(headers: dict[str, str]) -> Reply:
    # The object's headers without a body: no Accept-Ranges, Swift's HTML Content-Type.
    skip = {"content-type", "content-length", "accept-ranges"}
    reply = Reply(412, {k: v for k, v in headers.items() if k.lower() not in skip}, b"", 0)
    reply.set("Content-Type", HTML)
    reply.set("Content-Length", "0")
    return reply


def _not_modified(headers: dict[str, str]) -> Reply:
    reply = Reply(304, {k: v for k, v in headers.items() if k != "Content-Length"}, b"", 0)
    reply.set("Content-Length", "0")
    return reply


def _parse_range(value: str) -> list[tuple[int | None, int | None]] | None:
    """``bytes=a-b,c-,-n`` -> [(a, b), (c, None), (None, n)]; None when malformed (ignored)."""
    value = value.strip()
    if not value.lower().startswith("bytes="):
        return None
    out: list[tuple[int | None, int | None]] = []
    for spec in value[6:].split(","):
        match = re.fullmatch(r"(\d*)-(\d*)", spec.strip())
        if not match or (not match.group(1) and not match.group(2)):
            return None
        start = int(match.group(1)) if match.group(1) else None
        end = int(match.group(2)) if match.group(2) else None
        if start is not None and end is not None and end < start:
            return None
        out.append((start, end))
    return out or None


def _resolve_ranges(
    ranges: list[tuple[int | None, int | None]], length: int
) -> list[tuple[int, int]] | None:
    """Satisfiable ranges as [start, end) pairs; [] means 416, None: ignore the header."""

    resolved: list[tuple[int, int]] = []
    for start, end in ranges:
        if start is None:
            assert end is not None
            if end == 0:
                continue
            resolved.append((max(length - end, 0), length))
        elif start < length:
            resolved.append((start, length if end is None else min(end + 1, length)))
    if len(resolved) > MAX_RANGES:
        return []
    # swob's notion of overlap is strict: identical or touching ranges do not count.
    overlaps = sum(
        1
        for i, (s1, e1) in enumerate(resolved)
        for s2, e2 in resolved[i + 1 :]
        if s1 < s2 < e1 or s1 < e2 < e1 or s2 < s1 < e2 or s2 < e1 < e2
    )
    if overlaps > MAX_RANGE_OVERLAPS:
        return []
    ascending = all(a <= b for a, b in itertools.pairwise(resolved))
    if not ascending and len(resolved) >= MAX_NONASCENDING_RANGES:
        return []
    if not length:
        # An empty object: a suffix range "fits" (the whole, empty body, as a 200).
        return None if resolved else []
    return [r for r in resolved if r[1] > r[0]]


def _slice(content: _Content, start: int, end: int) -> Iterator[bytes]:
    """Bytes [start, end) of the concatenated parts, in chunks of at most 1 MiB."""
    offset = 0
    for buf, pstart, pend in content.parts:
        plen = pend - pstart
        lo = max(start - offset, 0)
        hi = min(end - offset, plen)
        if lo < hi:
            pos = pstart + lo
            stop = pstart + hi
            while pos < stop:
                nxt = min(pos + (1 << 20), stop)
                yield buf[pos:nxt]
                pos = nxt
        offset += plen
        if offset >= end:
            break


def _range_reply(reply: Reply, content: _Content, ranges: list[tuple[int, int]]) -> Reply:
    size = content.size
    reply.status = 206
    if len(ranges) == 1:
        start, end = ranges[0]
        reply.set("Content-Range", f"bytes {start}-{end - 1}/{size}")
        reply.set("Content-Length", str(end - start))
        reply.body = _slice(content, start, end)
        reply.length = end - start
        return reply
    boundary = secrets.token_hex(16)
    ctype = reply.get("Content-Type") or "application/octet-stream"
    pieces: list[bytes | tuple[int, int]] = []
    total = 0
    for start, end in ranges:
        head = (
            f"--{boundary}\r\nContent-Type: {ctype}\r\n"
            f"Content-Range: bytes {start}-{end - 1}/{size}\r\n\r\n"
        ).encode("latin-1")
        pieces.extend([head, (start, end), b"\r\n"])
        total += len(head) + (end - start) + 2
    tail = f"--{boundary}--".encode("latin-1")
    pieces.append(tail)
    total += len(tail)

    def body() -> Iterator[bytes]:
        for piece in pieces:
            if isinstance(piece, bytes):
                yield piece
            else:
                yield from _slice(content, piece[0], piece[1])

    reply.set("Content-Type", f"multipart/byteranges;boundary={boundary}")
    reply.set("Content-Length", str(total))
    reply.body = body()
    reply.length = total
    return reply
