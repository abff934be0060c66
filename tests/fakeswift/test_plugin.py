"""The fake's secrets for the suite's leak scan, and the plugin's record of a test's fakes."""

from __future__ import annotations

import json
import threading

import pytest
import urllib3

from tests import conftest as suite
from tests.fakeswift import FakeSwift
from tests.fakeswift.plugin import ACTIVE_FAKES

HTTP = urllib3.PoolManager(retries=False, timeout=5, maxsize=8)


def _v1_token(fake: FakeSwift, user: str, key: str) -> str:
    reply = HTTP.request("GET", fake.auth_v1_url, headers={"X-Auth-User": user, "X-Auth-Key": key})
    assert reply.status == 200
    return reply.headers["X-Auth-Token"]


def _v3_token(fake: FakeSwift) -> str:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": fake.v3.name,
                        "domain": {"name": fake.v3.account_id},
                        "password": fake.v3.password,
                    }
                },
            },
            "scope": {"project": {"id": fake.v3.project_id}},
        }
    }
    reply = HTTP.request("POST", fake.auth_v3_url + "/auth/tokens", body=json.dumps(body).encode())
    assert reply.status == 201
    return reply.headers["X-Subject-Token"]


def test_secrets_are_keys_passwords_and_every_token_issued(fake_swift: FakeSwift) -> None:
    fresh = fake_swift.secrets()
    assert {"testing", "testing2", "testing3", fake_swift.v3.password} <= fresh
    assert not any(s.startswith(("AUTH_tk", "gAAAAAB")) for s in fresh)  # no token issued yet

    v1_token = _v1_token(fake_swift, "test:tester", "testing")
    v3_token = _v3_token(fake_swift)
    fake_swift.add_v1_user("extra:user", "extra-key-1", "AUTH_extra")
    fake_swift.add_v1_user("extra:user", "extra-key-2", "AUTH_extra")  # a new key
    fake_swift.add_v3_user("another", "another-password")
    revoke = HTTP.request(
        "DELETE",
        fake_swift.auth_v3_url + "/auth/tokens",
        headers={"X-Auth-Token": v3_token, "X-Subject-Token": v3_token},
    )
    assert revoke.status == 204
    fake_swift.expire_tokens()

    known = fake_swift.secrets()
    # Replaced keys, revoked and expired tokens may still sit in a log: they stay secrets.
    assert {v1_token, v3_token, "extra-key-1", "extra-key-2", "another-password"} <= known
    assert isinstance(known, frozenset)

    fake_swift.reset()
    assert fake_swift.secrets() == fresh


def test_secrets_can_be_read_while_tokens_are_issued(fake_swift: FakeSwift) -> None:
    issued: list[str] = []
    failures: list[BaseException] = []

    def issue() -> None:
        try:
            for _ in range(10):
                issued.append(_v3_token(fake_swift))  # Keystone: a new token every time
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=issue) for _ in range(4)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        fake_swift.secrets()
    for thread in threads:
        thread.join()
    assert not failures
    assert len(set(issued)) == 40
    assert set(issued) <= fake_swift.secrets()


@pytest.fixture
def storage_of_a_fake(request: pytest.FixtureRequest) -> FakeSwift:
    """A fixture that gets the fake itself, as helpers of other suites do."""
    fake: FakeSwift = request.getfixturevalue("fake_swift")
    return fake


def test_a_fake_fetched_inside_a_fixture_is_recorded_for_the_scan(
    storage_of_a_fake: FakeSwift, request: pytest.FixtureRequest
) -> None:
    assert "fake_swift" not in request.node.funcargs  # the scan cannot find it there
    assert request.node.stash[ACTIVE_FAKES] == [storage_of_a_fake]
    token = _v1_token(storage_of_a_fake, "test:tester", "testing")
    known = suite._known_secrets(request.node)
    assert {token, "testing", storage_of_a_fake.v3.password} <= known
