"""``FakeSwift``: the public face of the fake, and what it does with every request.

Paths served (on one host): ``/auth/v1.0`` (tempauth v1), ``/identity/v3/auth/tokens``
(Keystone v3), ``/info``, ``/healthcheck`` and ``[/<region>/<interface>]/v1/<account>[/<container>
[/<object>]]``. ``proxy.py`` routes a request and runs it through the middleware pipeline;
each Swift controller and middleware has its own module (account, container, objects, copy,
slo, dlo, bulk, tempurl, formpost, tempauth, keystone, sendmefile, ...).
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote_to_bytes, urlsplit

from werkzeug.wrappers import Request, Response

from tests.fakeswift import proxy, tempauth
from tests.fakeswift.auth import AuthRegistry, V1User, V3User
from tests.fakeswift.constraints import MAX_REQUEST_LINE, answers_early, invalid_utf8_params
from tests.fakeswift.context import Ctx, NeedBody, RequestRecord
from tests.fakeswift.faults import Faults, FaultSwitches
from tests.fakeswift.keystone import V3Info, is_keystone
from tests.fakeswift.replies import Reply, error, wire_value
from tests.fakeswift.server import CLOSE_KEY, Delivery, RawResponse
from tests.fakeswift.store import Account, Clock, Store

if TYPE_CHECKING:
    from pytest_httpserver import HTTPServer
    from selectel_auth import KeystoneCredential, SwiftV1Credential

__all__ = ["FakeSwift", "RequestRecord", "V3Info"]

DEFAULT_TOKEN_TTL = 86400.0
#: Request kinds served by the storage API (authorised by token).
_STORAGE_KINDS = frozenset({"account", "container", "object"})


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
        #: The reseller admin (Swift's sample ``admin:admin``). Its key is not the sample's
        #: ``admin``: that word is also the catalog's admin interface in every storage URL,
        #: and the suite's secret scan would take each of those for a leak.
        self.reseller_user = "admin:admin"
        self.reseller_key = "reseller-secret"
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

    def add_v1_user(
        self, user: str, key: str, account: str, *, admin: bool = True, reseller: bool = False
    ) -> V1User:
        """Add a tempauth user ``account:name`` (admin of ``account`` unless ``admin=False``;
        ``reseller=True``: a reseller admin, with rights on every account)."""
        entry = V1User(user=user, key=key, account=account, admin=admin, reseller=reseller)
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
        # Swift's all-in-one tempauth users (scripts/realswift.py configures the same).
        self.add_v1_user(self.reseller_user, self.reseller_key, "AUTH_admin", reseller=True)
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
        kind, account, container, obj = proxy.classify(shown_path, self._endpoint_prefixes())
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
        if len(method) + len(raw_uri) + len(" HTTP/1.1\r\n") + 1 >= MAX_REQUEST_LINE:
            # eventlet refuses the request line itself: no body, and the connection closes.
            request.environ[CLOSE_KEY] = True
            return self._finish(record, Reply(414, {}, b"", 0), None, method)
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
            bad_params=invalid_utf8_params(raw_query),
        )
        processed = plan.fail_status is None and not plan.skip_processing
        if processed and kind in _STORAGE_KINDS:
            tempauth.resolve_token(self, ctx)
        if processed and answers_early(request):
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

    def _dispatch(self, ctx: Ctx) -> Reply:
        return proxy.dispatch(self, ctx)

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
        if not is_keystone(record.path):
            # swob title-cases every header name: "Etag", "X-Object-Meta-Camelcase".
            headers = [(name.title(), value) for name, value in headers]
        return RawResponse(reply.status, headers, body, delivery)

    def _endpoint_prefixes(self) -> set[str]:
        return {
            f"/{region}/{iface}"
            for region in self.regions
            for iface in ("public", "admin", "internal")
        }


def _trans_id() -> str:
    return f"tx{secrets.token_hex(11)[:21]}-{int(time.time()):010x}"


def _close(body: Iterable[bytes]) -> None:
    close = getattr(body, "close", None)
    if close is not None:
        close()
