"""Auth of the fake: tempauth v1 (and Selectel's legacy flavour), Keystone v3, token expiry."""

from __future__ import annotations

import hmac
import json
import socket
import threading
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
import urllib3

from tests.fakeswift import Clock, FakeSwift
from tests.fakeswift.conftest import Client

HTTP = urllib3.PoolManager(retries=False, timeout=5)


def v1(
    fake: FakeSwift, user: str = "test:tester", key: str = "testing"
) -> urllib3.BaseHTTPResponse:
    return HTTP.request("GET", fake.auth_v1_url, headers={"X-Auth-User": user, "X-Auth-Key": key})


def v3_body(fake: FakeSwift, *, password: str | None = None, scope: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": fake.v3.name,
                        "domain": {"name": fake.v3.account_id},
                        "password": fake.v3.password if password is None else password,
                    }
                },
            },
            "scope": scope if scope is not None else {"project": {"id": fake.v3.project_id}},
        }
    }
    return body


def v3(fake: FakeSwift, body: dict[str, Any], query: str = "") -> urllib3.BaseHTTPResponse:
    return HTTP.request(
        "POST",
        fake.auth_v3_url + "/auth/tokens" + query,
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )


def test_v1_answers_like_tempauth(fake_swift: FakeSwift) -> None:
    reply = v1(fake_swift)
    assert reply.status == 200
    assert reply.data == b""
    assert reply.headers["X-Storage-Url"] == fake_swift.storage_url()
    assert reply.headers["X-Storage-Url"].endswith("/v1/AUTH_test")
    assert reply.headers["X-Auth-Token"].startswith("AUTH_tk")
    assert reply.headers["X-Storage-Token"] == reply.headers["X-Auth-Token"]
    assert 86390 <= int(reply.headers["X-Auth-Token-Expires"]) <= 86400
    assert reply.headers["X-Trans-Id"] == reply.headers["X-Openstack-Request-Id"]


def test_v1_reuses_a_live_token_and_checks_keys(fake_swift: FakeSwift) -> None:
    first = v1(fake_swift).headers["X-Auth-Token"]
    assert v1(fake_swift).headers["X-Auth-Token"] == first
    assert v1(fake_swift, key="wrong").status == 401
    assert v1(fake_swift, user="nobody").status == 401
    assert HTTP.request("GET", fake_swift.auth_v1_url).status == 401
    other = v1(fake_swift, "test2:tester2", "testing2")
    assert other.status == 200
    assert other.headers["X-Storage-Url"].endswith("/v1/AUTH_test2")
    assert other.headers["X-Auth-Token"] != first
    assert fake_swift.count("auth") == 6


def test_v1_selectel_style(fake_swift: FakeSwift) -> None:
    fake_swift.v1_style = "selectel"
    fake_swift.token_ttl = 3600
    reply = v1(fake_swift)
    assert reply.status == 204
    assert 3590 <= int(reply.headers["X-Expire-Auth-Token"]) <= 3600
    assert "X-Auth-Token-Expires" not in reply.headers
    assert v1(fake_swift, key="wrong").status == 403


def test_token_ttl_and_clock(fake_swift: FakeSwift) -> None:
    fake_swift.token_ttl = 60
    client = Client(fake_swift)
    assert client.request("HEAD").status == 200
    fake_swift.clock.advance(61)
    expired = client.request("HEAD")
    assert expired.status == 401
    assert expired.headers["Www-Authenticate"] == 'Swift realm="AUTH_test"'
    fresh = Client(fake_swift)
    assert fresh.token != client.token
    assert fresh.request("HEAD").status == 200


def test_expire_tokens(fake_swift: FakeSwift) -> None:
    client = Client(fake_swift)
    assert fake_swift.expire_tokens() == 1
    assert client.request("GET").status == 401
    again = Client(fake_swift)
    assert again.token != client.token
    assert again.request("HEAD").status == 200


def test_unknown_token_and_no_token(fake_swift: FakeSwift) -> None:
    url = fake_swift.storage_url()
    assert HTTP.request("HEAD", url, headers={"X-Auth-Token": "AUTH_tkbogus"}).status == 401
    assert HTTP.request("GET", url).status == 401
    client = Client(fake_swift)
    other = HTTP.request(
        "HEAD", fake_swift.storage_url("AUTH_test2"), headers={"X-Auth-Token": client.token}
    )
    assert other.status == 403
    # X-Storage-Token works like X-Auth-Token.
    assert HTTP.request("HEAD", url, headers={"X-Storage-Token": client.token}).status == 200


def test_keystone_project_id_scope(fake_swift: FakeSwift) -> None:
    reply = v3(fake_swift, v3_body(fake_swift))
    assert reply.status == 201
    token = reply.headers["X-Subject-Token"]
    doc = json.loads(reply.data)["token"]
    assert doc["project"]["id"] == fake_swift.v3.project_id
    assert doc["user"]["name"] == fake_swift.v3.name
    expires = datetime.strptime(doc["expires_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    issued = datetime.strptime(doc["issued_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert (expires - issued).total_seconds() == pytest.approx(fake_swift.token_ttl)
    swift = [s for s in doc["catalog"] if s["type"] == "object-store"]
    assert len(swift) == 1
    endpoints = {(e["region_id"], e["interface"]): e["url"] for e in swift[0]["endpoints"]}
    assert set(endpoints) == {
        ("ru-1", "public"),
        ("ru-1", "admin"),
        ("ru-7", "public"),
        ("ru-7", "admin"),
    }
    public = endpoints[("ru-1", "public")]
    assert public == f"{fake_swift.base_url}/v1/{fake_swift.v3.project_id}"
    assert "AUTH_" not in public
    for url in endpoints.values():
        assert HTTP.request("HEAD", url, headers={"X-Auth-Token": token}).status == 200
    # The project's account is not the v1 test account.
    assert (
        HTTP.request("HEAD", fake_swift.storage_url(), headers={"X-Auth-Token": token}).status
        == 403
    )


def test_keystone_project_name_scope_and_errors(fake_swift: FakeSwift) -> None:
    by_name = {
        "project": {
            "name": fake_swift.v3.project_name,
            "domain": {"name": fake_swift.v3.account_id},
        }
    }
    assert v3(fake_swift, v3_body(fake_swift, scope=by_name)).status == 201
    wrong = v3(fake_swift, v3_body(fake_swift, password="nope"))
    assert wrong.status == 401
    assert json.loads(wrong.data)["error"]["code"] == 401
    other_project = {"project": {"id": "0" * 32}}
    assert v3(fake_swift, v3_body(fake_swift, scope=other_project)).status == 401
    bad_domain = {"project": {"name": fake_swift.v3.project_name, "domain": {"name": "999"}}}
    assert v3(fake_swift, v3_body(fake_swift, scope=bad_domain)).status == 401
    garbage = HTTP.request("POST", fake_swift.auth_v3_url + "/auth/tokens", body=b"{not json")
    assert garbage.status == 400


def test_keystone_nocatalog_domain_scope_validate_revoke(fake_swift: FakeSwift) -> None:
    reply = v3(fake_swift, v3_body(fake_swift), query="?nocatalog")
    assert "catalog" not in json.loads(reply.data)["token"]
    token = reply.headers["X-Subject-Token"]
    domain = v3(
        fake_swift, v3_body(fake_swift, scope={"domain": {"name": fake_swift.v3.account_id}})
    )
    assert domain.status == 201
    domain_token = domain.headers["X-Subject-Token"]
    storage = fake_swift.storage_url(fake_swift.v3.project_id)
    assert HTTP.request("HEAD", storage, headers={"X-Auth-Token": domain_token}).status == 403
    tokens_url = fake_swift.auth_v3_url + "/auth/tokens"
    both = {"X-Auth-Token": token, "X-Subject-Token": token}
    assert HTTP.request("GET", tokens_url, headers=both).status == 200
    assert HTTP.request("DELETE", tokens_url, headers=both).status == 204
    assert HTTP.request("HEAD", storage, headers={"X-Auth-Token": token}).status == 401


def test_keystone_token_expiry(fake_swift: FakeSwift) -> None:
    fake_swift.token_ttl = 30
    token = v3(fake_swift, v3_body(fake_swift)).headers["X-Subject-Token"]
    storage = fake_swift.storage_url(fake_swift.v3.project_id)
    assert HTTP.request("HEAD", storage, headers={"X-Auth-Token": token}).status == 200
    fake_swift.clock.advance(31)
    assert HTTP.request("HEAD", storage, headers={"X-Auth-Token": token}).status == 401
    second = v3(fake_swift, v3_body(fake_swift)).headers["X-Subject-Token"]
    assert second != token


def test_added_users(fake_swift: FakeSwift) -> None:
    fake_swift.add_v1_user("acme:bob", "secret", "AUTH_acme")
    bob = Client(fake_swift, "acme:bob", "secret")
    assert bob.storage_url.endswith("/v1/AUTH_acme")
    assert bob.request("PUT", "box").status == 201
    info = fake_swift.add_v3_user("svc2", "pw2")
    body = v3_body(fake_swift)
    body["auth"]["identity"]["password"]["user"].update(name="svc2", password="pw2")
    body["auth"]["scope"] = {"project": {"id": info.project_id}}
    reply = v3(fake_swift, body)
    assert reply.status == 201
    assert json.loads(reply.data)["token"]["project"]["id"] == info.project_id


def test_v1_credential_helper_reaches_the_fake(fake_swift: FakeSwift) -> None:
    token = fake_swift.v1_credential().get_token()
    assert token.storage_url == fake_swift.storage_url()
    keystone = fake_swift.v3_credential().get_token()
    assert keystone.storage_url == fake_swift.storage_url(fake_swift.v3.project_id)
    assert fake_swift.count("auth") == 2


def test_tls_fake_and_its_credentials(fake_swift_tls: FakeSwift) -> None:
    assert fake_swift_tls.base_url.startswith("https://127.0.0.1:")
    assert fake_swift_tls.ca_path is not None
    client = Client(fake_swift_tls)
    assert client.storage_url.startswith("https://")
    assert client.request("HEAD").status == 200
    token = fake_swift_tls.v3_credential().get_token()
    assert (token.storage_url or "").startswith("https://")
    untrusted = urllib3.PoolManager(retries=False, timeout=5)
    with pytest.raises(urllib3.exceptions.SSLError):
        untrusted.request("GET", fake_swift_tls.info_url)


# -- authorisation happens when the headers arrive ----------------------------------------------


class _ArrivalClock(Clock):
    """The fake's clock, telling the test when a request's headers have been taken in."""

    def __init__(self, inner: Clock) -> None:
        super().__init__()
        self.inner = inner
        self.read = threading.Event()

    def time(self) -> float:
        self.read.set()
        return self.inner.time()

    def advance(self, seconds: float) -> None:
        self.inner.advance(seconds)


def _put_head(path: str, length: int, *headers: str) -> bytes:
    lines = [f"PUT {path} HTTP/1.1", "Host: swift", f"Content-Length: {length}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_head(sock: socket.socket) -> bytes:
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


def _connect(fake: FakeSwift) -> socket.socket:
    parts = urlsplit(fake.base_url)
    return socket.create_connection((parts.hostname, parts.port), timeout=5)


def test_an_upload_outliving_its_token_completes(fake_swift: FakeSwift) -> None:
    fake_swift.token_ttl = 60
    client = Client(fake_swift)
    client.request("PUT", "c")
    path = urlsplit(client.url("c/big")).path
    with _connect(fake_swift) as sock:
        sock.sendall(_put_head(path, 10, f"X-Auth-Token: {client.token}", "Expect: 100-continue"))
        assert _read_head(sock).startswith(b"HTTP/1.1 100 Continue")
        fake_swift.clock.advance(fake_swift.token_ttl + 1)  # expires while the body comes
        sock.sendall(b"0123456789")
        assert _read_head(sock).startswith(b"HTTP/1.1 201 ")
    stored = fake_swift.store.get_object("c", "big")
    assert stored is not None and stored.data == b"0123456789"
    assert client.request("HEAD", "c/big").status == 401  # a request arriving now is refused


def test_an_upload_outliving_its_token_completes_without_expect(
    fake_swift: FakeSwift, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client(fake_swift)
    client.request("PUT", "c")
    clock = _ArrivalClock(fake_swift.clock)
    monkeypatch.setattr(fake_swift, "clock", clock)
    path = urlsplit(client.url("c/big")).path
    with _connect(fake_swift) as sock:
        sock.sendall(_put_head(path, 10, f"X-Auth-Token: {client.token}") + b"01234")
        assert clock.read.wait(5)
        fake_swift.expire_tokens()
        sock.sendall(b"56789")
        assert _read_head(sock).startswith(b"HTTP/1.1 201 ")
    stored = fake_swift.store.get_object("c", "big")
    assert stored is not None and stored.data == b"0123456789"
    assert client.request("HEAD", "c/big").status == 401


def test_a_tempurl_upload_outliving_its_expiry_completes(fake_swift: FakeSwift) -> None:
    client = Client(fake_swift)
    client.request("PUT", "c")
    client.request("POST", headers={"X-Account-Meta-Temp-URL-Key": "k3y"})
    path = urlsplit(client.url("c/up")).path
    expires = int(fake_swift.clock.time()) + 60
    sig = hmac.new(b"k3y", f"PUT\n{expires}\n{path}".encode(), "sha256").hexdigest()
    signed = f"{path}?temp_url_sig={sig}&temp_url_expires={expires}"
    with _connect(fake_swift) as sock:
        sock.sendall(_put_head(signed, 3, "Expect: 100-continue"))
        assert _read_head(sock).startswith(b"HTTP/1.1 100 Continue")
        fake_swift.clock.advance(120)
        sock.sendall(b"abc")
        assert _read_head(sock).startswith(b"HTTP/1.1 201 ")
    assert fake_swift.store.has_object("c", "up")
    late = urllib3.request("PUT", fake_swift.base_url + signed, body=b"abc", retries=False)
    assert late.status == 401
