"""The transports themselves: choosing them, pools, TLS, timeouts, error mapping, auth sender."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import textwrap
from typing import Any

import pytest
import requests
import urllib3
from pytest_httpserver import HTTPServer
from selectel_auth import AuthTransportError, StaticCredential
from selectel_objects import (
    ConnectError,
    HttpRequest,
    ObjectStorage,
    ReadError,
    ReadTimeout,
    RetryPolicy,
    Timeout,
    TlsError,
    Transport,
    TransportSender,
    Urllib3Transport,
    get_transport,
)
from selectel_objects._protocol.http import Headers
from selectel_objects._transports import requests_transport as requests_backend
from werkzeug import Request, Response

from tests.fakeswift.app import FakeSwift

TIMEOUT = Timeout(connect=2, read=2)


@pytest.fixture
def transport(transport_name: str) -> Any:
    made, owned = get_transport(transport_name)
    assert owned
    yield made
    made.close()


def test_send_buffered_and_streamed(httpserver: HTTPServer, transport: Transport) -> None:
    httpserver.expect_request("/x", method="GET").respond_with_data(
        b"a" * 100_000, headers={"X-Thing": "1"}
    )
    request = HttpRequest(method="GET", url=httpserver.url_for("/x"))
    buffered = transport.send(request, timeout=TIMEOUT)
    assert buffered.status == 200
    assert buffered.headers["x-thing"] == "1"
    assert buffered.read() == b"a" * 100_000
    streamed = transport.send(request, timeout=TIMEOUT, stream=True)
    assert streamed.read(10) == b"a" * 10
    assert len(streamed.read()) == 99_990
    assert streamed.read(5) == b""
    streamed.close()


def test_bodies_are_framed_by_length_or_chunked(
    httpserver: HTTPServer, transport: Transport
) -> None:
    seen: list[tuple[str | None, str | None, bytes]] = []

    def record(request: Request) -> Response:
        seen.append(
            (
                request.headers.get("Content-Length"),
                request.headers.get("Transfer-Encoding"),
                request.get_data(),
            )
        )
        return Response(status=201)

    httpserver.expect_request("/up").respond_with_handler(record)
    url = httpserver.url_for("/up")
    transport.send(HttpRequest(method="PUT", url=url, body=b"abc"), timeout=TIMEOUT)
    transport.send(HttpRequest(method="PUT", url=url, body=iter([b"ab", b"cd"])), timeout=TIMEOUT)
    transport.send(
        HttpRequest(
            method="PUT",
            url=url,
            body=iter([b"ab", b"cd"]),
            headers=Headers({"Content-Length": "4"}),
        ),
        timeout=TIMEOUT,
    )
    assert seen == [("3", None, b"abc"), (None, "chunked", b"abcd"), ("4", None, b"abcd")]


def test_urls_are_sent_as_encoded(httpserver: HTTPServer, transport: Transport) -> None:
    paths: list[str] = []

    def record(request: Request) -> Response:
        paths.append(request.environ.get("RAW_URI") or request.environ["REQUEST_URI"])
        return Response(status=204)

    httpserver.expect_request(re.compile(".*")).respond_with_handler(record)
    url = httpserver.url_for("/v1/A/c/a/%2E%2E/b%20c%3F")
    transport.send(HttpRequest(method="HEAD", url=url + "?prefix=a%2Fb"), timeout=TIMEOUT)
    assert paths == ["/v1/A/c/a/%2E%2E/b%20c%3F?prefix=a%2Fb"]


def test_connection_refused_is_a_connect_error(transport: Transport) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectError) as caught:
        transport.send(HttpRequest(method="GET", url=f"http://127.0.0.1:{port}/"), timeout=TIMEOUT)
    assert f"127.0.0.1:{port}" in str(caught.value)


def test_read_timeout(fake_swift: FakeSwift, transport: Transport) -> None:
    fake_swift.delay_next(1.0, kind="info")
    with pytest.raises(ReadTimeout):
        transport.send(
            HttpRequest(method="GET", url=fake_swift.info_url),
            timeout=Timeout(connect=2, read=0.2),
        )


def test_a_reset_mid_body_is_a_read_error(fake_swift: FakeSwift, transport: Transport) -> None:
    fake_swift.reset_next("mid_body", kind="info", after_bytes=10)
    response = transport.send(
        HttpRequest(method="GET", url=fake_swift.info_url), timeout=TIMEOUT, stream=True
    )
    with pytest.raises(ReadError):
        while response.read(4096):
            pass
    response.close()


def test_a_truncated_body_is_a_read_error_not_a_short_read(
    fake_swift: FakeSwift, transport: Transport
) -> None:
    fake_swift.truncate_next(kind="info", after_bytes=10)
    with pytest.raises(ReadError):
        transport.send(HttpRequest(method="GET", url=fake_swift.info_url), timeout=TIMEOUT)


def test_tls_is_verified(fake_swift_tls: FakeSwift, transport_name: str) -> None:
    untrusted, _ = get_transport(transport_name)
    with pytest.raises(TlsError, match="ca_bundle"):
        untrusted.send(HttpRequest(method="GET", url=fake_swift_tls.info_url), timeout=TIMEOUT)
    untrusted.close()
    assert fake_swift_tls.ca_path is not None
    trusted, _ = get_transport(transport_name, ca_bundle=fake_swift_tls.ca_path)
    response = trusted.send(HttpRequest(method="GET", url=fake_swift_tls.info_url), timeout=TIMEOUT)
    assert response.status == 200
    trusted.close()


def test_a_client_over_tls_with_a_private_ca(
    fake_swift_tls: FakeSwift, transport_name: str
) -> None:
    with ObjectStorage.swift_v1(
        auth_url=fake_swift_tls.auth_v1_url,
        user=fake_swift_tls.v1_user,
        key=fake_swift_tls.v1_key,
        transport=transport_name,
        ca_bundle=fake_swift_tls.ca_path,
    ) as storage:
        box = storage.container("secure")
        box.create()
        box.put_object("x", b"over tls")
        assert box.get_object_bytes("x") == b"over tls"
    with (
        ObjectStorage.swift_v1(
            auth_url=fake_swift_tls.auth_v1_url,
            user=fake_swift_tls.v1_user,
            key=fake_swift_tls.v1_key,
            transport=transport_name,
            retry=RetryPolicy(total=0),
            retries=0,  # the credential's own retries of a failed token request
        ) as untrusting,
        pytest.raises(AuthTransportError, match="TLS"),
    ):
        untrusting.account_info()


def test_connections_are_kept_alive_and_reused(fake_swift: FakeSwift, transport_name: str) -> None:
    # Borrow the pool so its counters can be read; the transport's own works the same way.
    if transport_name == "urllib3":
        manager = urllib3.PoolManager()
        transport: Transport = Urllib3Transport(manager)
    else:
        session = requests.Session()
        transport = requests_backend.RequestsTransport(session)
        adapter = session.get_adapter(fake_swift.info_url)
        assert isinstance(adapter, requests.adapters.HTTPAdapter)
        manager = adapter.poolmanager
    for _ in range(5):
        transport.send(HttpRequest(method="GET", url=fake_swift.info_url), timeout=TIMEOUT)
        transport.send(
            HttpRequest(method="GET", url=fake_swift.info_url), timeout=TIMEOUT, stream=True
        ).read()
    assert fake_swift.count(kind="info") == 10
    pools = [manager.pools[key] for key in manager.pools.keys()]  # noqa: SIM118 - not a dict
    assert [pool.num_connections for pool in pools] == [1]
    manager.clear()


def test_a_borrowed_pool_is_never_closed(fake_swift: FakeSwift) -> None:
    pool = urllib3.PoolManager()
    borrowed = Urllib3Transport(pool)
    borrowed.send(HttpRequest(method="GET", url=fake_swift.info_url), timeout=TIMEOUT)
    assert len(pool.pools) == 1
    borrowed.close()
    assert len(pool.pools) == 1
    with ObjectStorage.swift_v1(
        auth_url=fake_swift.auth_v1_url,
        user=fake_swift.v1_user,
        key=fake_swift.v1_key,
        transport=borrowed,
    ) as storage:
        storage.account_info()
    assert len(pool.pools) == 1
    owned = Urllib3Transport()
    owned.send(HttpRequest(method="GET", url=fake_swift.info_url), timeout=TIMEOUT)
    owned.close()
    pool.clear()


def test_the_urllib3_transport_survives_its_pools_being_closed(fake_swift: FakeSwift) -> None:
    # The transport remembers each host's connection pool; the manager may close it (it keeps
    # ten hosts at most, and clear() closes them all), and the next request must still go.
    pool = urllib3.PoolManager(num_pools=1)
    transport = Urllib3Transport(pool)
    info = HttpRequest(method="GET", url=fake_swift.info_url)
    assert transport.send(info, timeout=TIMEOUT).status == 200
    pool.clear()
    assert transport.send(info, timeout=TIMEOUT).status == 200
    other = HttpRequest(method="GET", url=fake_swift.info_url.replace("127.0.0.1", "localhost"))
    assert transport.send(other, timeout=TIMEOUT).status == 200  # evicts the first host's pool
    assert transport.send(info, timeout=TIMEOUT).status == 200
    pool.clear()


def test_a_borrowed_proxy_manager_sends_through_its_proxy(fake_swift: FakeSwift) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    proxied = Urllib3Transport(urllib3.ProxyManager(fake_swift.base_url))
    # Nothing listens there: only the proxy (the fake, serving absolute-form requests) answers.
    request = HttpRequest(method="GET", url=f"http://127.0.0.1:{dead}/info")
    assert proxied.send(request, timeout=TIMEOUT).status == 200


def test_a_borrowed_session_is_never_closed(fake_swift: FakeSwift) -> None:
    session = requests.Session()
    adapter = session.get_adapter(fake_swift.info_url)
    assert isinstance(adapter, requests.adapters.HTTPAdapter)
    borrowed = requests_backend.RequestsTransport(session)
    response = borrowed.send(HttpRequest(method="GET", url=fake_swift.info_url), timeout=TIMEOUT)
    assert response.status == 200
    borrowed.close()
    with ObjectStorage(fake_swift.v1_credential(), transport=borrowed) as storage:
        storage.account_info()
    assert len(adapter.poolmanager.pools) == 1  # Session.close() would have cleared it
    session.close()
    assert len(adapter.poolmanager.pools) == 0


def test_only_the_requests_transport_takes_proxies_from_the_environment(
    fake_swift: FakeSwift, transport_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The storage URL points nowhere; only a request through the proxy (the fake, which
    # serves absolute-form requests) reaches Swift.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    token = fake_swift.v1_credential().get_token()
    assert token.storage_url is not None
    nowhere = re.sub(r"//[^/]+", f"//127.0.0.1:{dead}", token.storage_url, count=1)
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", fake_swift.base_url)
    monkeypatch.setenv("HTTP_PROXY", fake_swift.base_url)
    with ObjectStorage(
        StaticCredential(token.token, nowhere),
        transport=transport_name,
        retry=RetryPolicy(total=0),
    ) as storage:
        box = storage.container("proxied")
        if transport_name == "requests":
            box.create()
            box.put_object("x", b"via the proxy")
            assert fake_swift.store.get_object("proxied", "x") is not None
        else:
            with pytest.raises(ConnectError):
                box.create()
            assert not fake_swift.store.has_container("proxied")


def test_choosing_a_transport() -> None:
    urllib3_transport, owned = get_transport(None)
    assert isinstance(urllib3_transport, Urllib3Transport) and owned
    urllib3_transport.close()
    with pytest.raises(ValueError, match=r"choose one of \['requests', 'urllib3'\]"):
        get_transport("httpx")
    with pytest.raises(TypeError, match="Transport"):
        get_transport(42)  # type: ignore[arg-type]
    instance = Urllib3Transport()
    assert get_transport(instance) == (instance, False)
    with pytest.raises(ValueError, match="pass them to the transport instance"):
        get_transport(instance, ca_bundle="/tmp/ca.pem")
    instance.close()


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


def test_importing_the_package_does_not_import_requests() -> None:
    result = _python(
        """
        import sys
        import selectel_objects
        storage_module = sys.modules["selectel_objects"]
        assert "requests" not in sys.modules, "requests was imported"
        selectel_objects.get_transport("urllib3")[0].close()
        assert "requests" not in sys.modules
        """
    )
    assert result.returncode == 0, result.stderr


def test_a_missing_requests_names_the_extra() -> None:
    result = _python(
        """
        import sys
        sys.modules["requests"] = None  # as if not installed
        import selectel_objects
        try:
            selectel_objects.get_transport("requests")
        except ImportError as exc:
            print(exc)
        else:
            raise SystemExit("no error")
        """
    )
    assert result.returncode == 0, result.stderr
    assert "selectel-objects[requests]" in result.stdout


def test_the_requests_transport_is_importable_lazily() -> None:
    import selectel_objects

    assert selectel_objects.RequestsTransport is requests_backend.RequestsTransport
    with pytest.raises(AttributeError):
        _ = selectel_objects.NoSuchThing


def test_the_auth_sender_goes_through_our_transport(
    fake_swift: FakeSwift, transport: Transport
) -> None:
    sender = TransportSender(transport)
    reply = sender(
        "GET",
        fake_swift.auth_v1_url,
        {"X-Auth-User": fake_swift.v1_user, "X-Auth-Key": fake_swift.v1_key},
        None,
        5.0,
    )
    assert reply.status == 200
    assert "x-auth-token" in reply.headers  # lower-case keys, as the protocol says
    assert "testing" not in repr(sender)


def test_the_auth_sender_maps_network_errors(transport: Transport) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sender = TransportSender(transport)
    with pytest.raises(AuthTransportError, match="cannot connect"):
        sender("POST", f"http://127.0.0.1:{port}/identity/v3/auth/tokens", {}, b"{}", 1.0)


def test_constructors_send_token_requests_through_the_transport(
    fake_swift: FakeSwift, transport_name: str
) -> None:
    agents = {"urllib3": "python-urllib3", "requests": "python-requests"}
    with ObjectStorage.keystone(
        username=fake_swift.v3.name,
        password=fake_swift.v3.password,
        account_id=fake_swift.v3.account_id,
        project_id=fake_swift.v3.project_id,
        region=fake_swift.v3.region,
        auth_url=fake_swift.auth_v3_url,
        transport=transport_name,
    ) as storage:
        storage.container("k").create()
        assert storage.storage_url == fake_swift.storage_url(fake_swift.v3.project_id)
    env = {
        "SELECTEL_AUTH_URL": fake_swift.auth_v1_url,
        "SELECTEL_USERNAME": fake_swift.v1_user,
        "SELECTEL_PASSWORD": fake_swift.v1_key,
    }
    with ObjectStorage.from_env(env, transport=transport_name) as storage:
        storage.container("e").create()
    auth = [r for r in fake_swift.requests if r.kind == "auth"]
    assert len(auth) == 2
    for record in auth:
        agent = {k.lower(): v for k, v in record.headers.items()}.get("user-agent", "")
        assert agent.startswith(agents[transport_name]), agent
