"""TLS: verification is on by default everywhere; a private CA is trusted only when given.

Over the HTTPS mode of the fake (a trustme CA, ``fake_swift_tls.ca_path``): selectel-auth
credentials, selectel-objects over both transports, and django-selectel's ``ca_bundle``
option. A certificate from another CA, or for another host name, is refused before any
request reaches the server.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from selectel_auth import (
    AuthTransportError,
    KeystoneCredential,
    StaticCredential,
    SwiftV1Credential,
    credential_from_env,
)
from selectel_objects import ObjectStorage, TlsError
from urllib3.exceptions import InsecureRequestWarning

from tests.fakeswift import FakeSwift, RunningFakeSwift
from tests.fakeswift.runner import tls_context
from tests.fakeswift.server import FakeSwiftHTTPServer
from tests.reliability._support import TRANSPORTS, fast_retry

pytestmark = pytest.mark.fake_only


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PEM of a CA that did not sign the fake's certificate."""
    path = tmp_path_factory.mktemp("other-ca") / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(scope="module")
def wrong_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningFakeSwift]:
    """A fake whose certificate (from a CA we trust) names another host than 127.0.0.1."""
    ca_dir = str(tmp_path_factory.mktemp("wrong-host-ca"))
    context, ca_path = tls_context(ca_dir, hosts=("swift.example.invalid",))
    server = FakeSwiftHTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.quiet = True
    server.start()
    fake = FakeSwift(server, ca_path=ca_path)
    server.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
    running = RunningFakeSwift(server, fake, ca_dir)
    yield running
    running.stop()


@pytest.fixture
def wrong_host_fake(wrong_host: RunningFakeSwift) -> FakeSwift:
    wrong_host.fake.reset()
    return wrong_host.fake


def _v1(fake: FakeSwift, **kw: Any) -> SwiftV1Credential:
    kw.setdefault("retries", 0 if "sleep" not in kw else 2)
    return SwiftV1Credential(user=fake.v1_user, key=fake.v1_key, auth_url=fake.auth_v1_url, **kw)


def _v3(fake: FakeSwift, **kw: Any) -> KeystoneCredential:
    return KeystoneCredential(
        username=fake.v3.name,
        password=fake.v3.password,
        account_id=fake.v3.account_id,
        project_id=fake.v3.project_id,
        region=fake.v3.region,
        auth_url=fake.auth_v3_url,
        **{"retries": 0 if "sleep" not in kw else 2, **kw},
    )


CREDENTIALS = {"keystone": _v3, "swift_v1": _v1}


# -- selectel-auth ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(CREDENTIALS))
def test_auth_verifies_by_default(fake_swift_tls: FakeSwift, kind: str) -> None:
    credential = CREDENTIALS[kind](fake_swift_tls)
    with pytest.raises(AuthTransportError, match="certificate"):
        credential.get_token()
    assert fake_swift_tls.count() == 0


@pytest.mark.parametrize("kind", sorted(CREDENTIALS))
@pytest.mark.parametrize("as_path", [False, True], ids=["str", "Path"])
def test_auth_trusts_the_given_ca_bundle(
    fake_swift_tls: FakeSwift, kind: str, as_path: bool
) -> None:
    assert fake_swift_tls.ca_path is not None
    bundle: Any = Path(fake_swift_tls.ca_path) if as_path else fake_swift_tls.ca_path
    token = CREDENTIALS[kind](fake_swift_tls, verify=bundle).get_token()
    assert token.storage_url is not None and token.storage_url.startswith("https://127.0.0.1:")
    assert fake_swift_tls.count(kind="auth") == 1


@pytest.mark.parametrize("kind", sorted(CREDENTIALS))
def test_auth_refuses_a_certificate_of_another_ca(
    fake_swift_tls: FakeSwift, other_ca: str, kind: str
) -> None:
    with pytest.raises(AuthTransportError, match="certificate"):
        CREDENTIALS[kind](fake_swift_tls, verify=other_ca).get_token()
    assert fake_swift_tls.count() == 0


@pytest.mark.parametrize("kind", sorted(CREDENTIALS))
def test_auth_refuses_a_certificate_for_another_host(wrong_host_fake: FakeSwift, kind: str) -> None:
    with pytest.raises(AuthTransportError, match=r"TLS|certificate|hostname"):
        CREDENTIALS[kind](wrong_host_fake, verify=wrong_host_fake.ca_path).get_token()
    assert wrong_host_fake.count() == 0


@pytest.mark.parametrize("kind", sorted(CREDENTIALS))
def test_auth_does_not_retry_a_certificate_failure(
    fake_swift_tls: FakeSwift, other_ca: str, kind: str
) -> None:
    sleeps: list[float] = []
    credential = CREDENTIALS[kind](fake_swift_tls, verify=other_ca, sleep=sleeps.append)
    with pytest.raises(AuthTransportError, match="certificate"):
        credential.get_token()
    assert sleeps == []


def test_credential_from_env_passes_verify_through(
    fake_swift_tls: FakeSwift, other_ca: str
) -> None:
    environ = {
        "SELECTEL_AUTH_URL": fake_swift_tls.auth_v1_url,
        "SELECTEL_USERNAME": fake_swift_tls.v1_user,
        "SELECTEL_PASSWORD": fake_swift_tls.v1_key,
    }
    assert credential_from_env(environ, verify=fake_swift_tls.ca_path).get_token().token
    with pytest.raises(AuthTransportError, match="certificate"):
        credential_from_env(environ, verify=other_ca, retries=0).get_token()
    with pytest.raises(AuthTransportError, match="certificate"):
        credential_from_env(environ, retries=0).get_token()
    assert fake_swift_tls.count(kind="auth") == 1


# -- selectel-objects -----------------------------------------------------------------------


def _storage(fake: FakeSwift, transport: str, sleeps: list[float], **kw: Any) -> ObjectStorage:
    return ObjectStorage.swift_v1(
        auth_url=fake.auth_v1_url,
        user=fake.v1_user,
        key=fake.v1_key,
        transport=transport,
        retry=fast_retry(sleeps=sleeps),
        timeout=5.0,
        retries=0,  # the credential's own retries: a TLS failure is not worth a real wait
        **kw,
    )


def _static(fake: FakeSwift) -> StaticCredential:
    """A token fetched with verification on, for tests of the storage requests alone."""
    token = _v1(fake, verify=fake.ca_path).get_token()
    assert token.storage_url is not None
    return StaticCredential(token.token, token.storage_url)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_objects_round_trip_with_ca_bundle(fake_swift_tls: FakeSwift, transport: str) -> None:
    data = b"over TLS " * 1000
    with _storage(fake_swift_tls, transport, [], ca_bundle=fake_swift_tls.ca_path) as storage:
        assert storage.storage_url.startswith("https://")
        media = storage.container("media")
        media.create()
        media.put_object("tls.bin", data)
        assert media.get_object_bytes("tls.bin") == data
    stored = fake_swift_tls.store.get_object("media", "tls.bin")
    assert stored is not None and hashlib.md5(stored.data).digest() == hashlib.md5(data).digest()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_objects_auth_verifies_by_default(fake_swift_tls: FakeSwift, transport: str) -> None:
    sleeps: list[float] = []
    with (
        _storage(fake_swift_tls, transport, sleeps) as storage,
        pytest.raises(AuthTransportError, match="TLS"),
    ):
        storage.container("media").create()
    assert fake_swift_tls.count() == 0


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_objects_requests_verify_by_default(fake_swift_tls: FakeSwift, transport: str) -> None:
    credential = _static(fake_swift_tls)
    before = fake_swift_tls.count()
    sleeps: list[float] = []
    with (
        ObjectStorage(credential, transport=transport, retry=fast_retry(sleeps=sleeps)) as st,
        pytest.raises(TlsError, match="ca_bundle"),
    ):
        st.container("media").create()
    assert fake_swift_tls.count() == before
    assert sleeps == [], "a TLS failure is not retried"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_objects_refuse_a_certificate_of_another_ca(
    fake_swift_tls: FakeSwift, other_ca: str, transport: str
) -> None:
    credential = _static(fake_swift_tls)
    before = fake_swift_tls.count()
    sleeps: list[float] = []
    with (
        ObjectStorage(
            credential, transport=transport, ca_bundle=other_ca, retry=fast_retry(sleeps=sleeps)
        ) as storage,
        pytest.raises(TlsError),
    ):
        storage.container("media").put_object("x", b"must not arrive")
    assert fake_swift_tls.count() == before
    assert sleeps == []
    with (
        _storage(fake_swift_tls, transport, [], ca_bundle=other_ca) as storage,
        pytest.raises(AuthTransportError, match="TLS"),
    ):
        storage.container("media").create()
    assert fake_swift_tls.count() == before
    assert fake_swift_tls.store.get_object("media", "x") is None


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_objects_refuse_a_certificate_for_another_host(
    wrong_host_fake: FakeSwift, transport: str
) -> None:
    token = StaticCredential("AUTH_tk" + "0" * 32, wrong_host_fake.storage_url())
    with (
        ObjectStorage(
            token, transport=transport, ca_bundle=wrong_host_fake.ca_path, retry=fast_retry()
        ) as storage,
        pytest.raises(TlsError),
    ):
        storage.container("media").create()
    assert wrong_host_fake.count() == 0


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_objects_verify_false_is_explicit_and_works(
    fake_swift_tls: FakeSwift, transport: str
) -> None:
    credential = _static(fake_swift_tls)
    with (
        ObjectStorage(credential, transport=transport, verify=False) as storage,
        pytest.warns(InsecureRequestWarning),
    ):
        assert storage.container("media").create() is True


# -- django-selectel ------------------------------------------------------------------------


def _django_options(fake: FakeSwift, transport: str, **extra: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "user": fake.v1_user,
        "key": fake.v1_key,
        "auth_url": fake.auth_v1_url,
        "container": "media",
        "transport": transport,
        "retries": 0,
        "timeout": 5.0,
    }
    options.update(extra)
    return options


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_django_storage_with_ca_bundle(
    fake_swift_tls: FakeSwift, transport: str, django_storage: Any
) -> None:
    fake_swift_tls.store.create_container("media")
    storage = django_storage(
        _django_options(fake_swift_tls, transport, ca_bundle=fake_swift_tls.ca_path)
    )
    name = storage.save("docs/tls.txt", b"django over TLS")
    with storage.open(name) as handle:
        assert handle.read() == b"django over TLS"
    assert fake_swift_tls.store.get_object("media", name) is not None


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("bundle", ["default", "other CA"])
def test_django_storage_refuses_untrusted_certificates(
    fake_swift_tls: FakeSwift, transport: str, bundle: str, other_ca: str, django_storage: Any
) -> None:
    fake_swift_tls.store.create_container("media")
    extra = {"ca_bundle": other_ca} if bundle == "other CA" else {}
    storage = django_storage(_django_options(fake_swift_tls, transport, **extra))
    with pytest.raises((AuthTransportError, TlsError)):
        storage.save("docs/tls.txt", b"must not arrive")
    assert fake_swift_tls.count() == 0
    assert fake_swift_tls.store.object_names("media") == []
