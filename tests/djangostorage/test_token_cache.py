"""One token for a fleet: DjangoCacheTokenCache on a real redis-server, several processes.

Each worker is its own Python process with its own Django (``_fleet_worker.py``), pointing
at the fake Swift of this test and at one redis-server; the fake counts the auth requests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.djangostorage._redis import RedisServer, running_redis
from tests.fakeswift import FakeSwift

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 3


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    with running_redis(tmp_path) as server:
        yield server


class Fleet:
    """Worker processes that each answer one JSON line per ``go``."""

    def __init__(self, count: int, config: dict[str, Any]) -> None:
        env = {**os.environ, "FLEET_CONFIG": json.dumps(config), "PYTHONPATH": str(ROOT)}
        self.processes = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.djangostorage._fleet_worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=ROOT,
            )
            for _ in range(count)
        ]

    def go(self) -> list[dict[str, Any]]:
        """Every worker makes one storage request at (nearly) the same moment."""
        for process in self.processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
        for process in self.processes:
            assert process.stdin is not None
            process.stdin.flush()
        answers: list[dict[str, Any]] = []
        for process in self.processes:
            assert process.stdout is not None
            line = process.stdout.readline()
            if not line:
                raise AssertionError(f"worker died: {self._stderr(process)}")
            answers.append(json.loads(line))
        assert all(a["ok"] for a in answers), answers
        return answers

    def close(self) -> list[str]:
        """End every worker; their stderr."""
        errors = []
        for process in self.processes:
            assert process.stdin is not None
            process.stdin.close()
        for process in self.processes:
            errors.append(self._stderr(process))
        return errors

    @staticmethod
    def _stderr(process: subprocess.Popen[str]) -> str:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert process.stderr is not None
        return process.stderr.read()


@pytest.fixture
def fleet_config(
    fake_swift: FakeSwift, redis_server: RedisServer, transport_name: str
) -> dict[str, Any]:
    v3 = fake_swift.v3
    return {
        "redis_url": redis_server.url,
        "options": {
            "username": v3.name,
            "password": v3.password,
            "account_id": v3.account_id,
            "project_id": v3.project_id,
            "region": v3.region,
            "auth_url": fake_swift.auth_v3_url,
            "container": "fleet",
            "transport": transport_name,
            "token_cache_alias": "default",
        },
    }


@pytest.fixture
def fleet(fleet_config: dict[str, Any]) -> Iterator[Fleet]:
    workers = Fleet(WORKERS, fleet_config)
    yield workers
    workers.close()


def _redis_dump(server: RedisServer) -> bytes:
    import redis

    client = redis.Redis(host="127.0.0.1", port=server.port)
    try:
        keys = list(client.scan_iter("*"))
        return b"\n".join(keys + [client.dump(k) or b"" for k in keys])
    finally:
        client.close()


def test_one_auth_request_for_the_fleet(
    fake_swift: FakeSwift, fleet: Fleet, redis_server: RedisServer, fleet_config: dict[str, Any]
) -> None:
    first = fleet.go()
    assert fake_swift.count(kind="auth") == 1
    assert len({a["token"] for a in first}) == 1
    # Later requests reuse the held token: still one.
    fleet.go()
    assert fake_swift.count(kind="auth") == 1
    stored = _redis_dump(redis_server)
    assert b"selectel-auth:token:" in stored
    options = fleet_config["options"]
    for secret in (options["password"], options["username"]):
        assert secret.encode() not in stored


def test_one_reauth_after_a_401(fake_swift: FakeSwift, fleet: Fleet) -> None:
    before = {a["token"] for a in fleet.go()}
    assert fake_swift.count(kind="auth") == 1
    fake_swift.expire_tokens()  # every worker's next request gets a 401
    after = {a["token"] for a in fleet.go()}
    assert fake_swift.count(kind="auth") == 2
    assert len(after) == 1
    assert after != before
    assert fake_swift.count(kind="object", method="HEAD") == 3 * WORKERS  # one 401 each


def test_a_lost_redis_means_tokens_per_process(
    fake_swift: FakeSwift, fleet: Fleet, redis_server: RedisServer
) -> None:
    fleet.go()
    assert fake_swift.count(kind="auth") == 1
    redis_server.stop()
    fake_swift.expire_tokens()
    answers = fleet.go()  # no outage: each worker re-authenticates on its own
    assert fake_swift.count(kind="auth") == 1 + WORKERS
    assert len({a["token"] for a in answers}) == WORKERS
    for stderr in fleet.close():
        assert stderr.count("token cache 'default' unavailable (ConnectionError)") == 1, stderr


def test_a_fleet_that_starts_without_redis(
    fake_swift: FakeSwift, fleet_config: dict[str, Any], redis_server: RedisServer
) -> None:
    redis_server.stop()
    workers = Fleet(2, fleet_config)
    try:
        workers.go()
        workers.go()
    finally:
        errors = workers.close()
    assert fake_swift.count(kind="auth") == 2
    assert all("unavailable" in e for e in errors), errors


def test_concurrent_threads_share_the_lock(
    fake_swift: FakeSwift, redis_server: RedisServer
) -> None:
    """Within one process too: a lock is held by its owner only, released once."""
    from django.core.cache import caches
    from django.test.utils import override_settings
    from django_selectel.token_cache import DjangoCacheTokenCache
    from selectel_auth import AccessToken

    backend = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": redis_server.url,
    }
    with override_settings(
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "fleet": backend,
        }
    ):
        cache = DjangoCacheTokenCache("fleet", lock_wait=5)
        inside = 0
        most = 0
        guard = threading.Lock()

        def work() -> None:
            nonlocal inside, most
            with cache.lock("k"):
                with guard:
                    inside += 1
                    most = max(most, inside)
                threading.Event().wait(0.01)
                with guard:
                    inside -= 1

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert most == 1
        token = AccessToken("tok-1", "https://x.example/v1/a", expires_at=None)
        cache.save("k", token)
        assert cache.load("k") == token
        cache.delete("k", AccessToken("tok-other", None))
        assert cache.load("k") == token  # compare and swap: another token deletes nothing
        cache.delete("k", token)
        assert cache.load("k") is None
        assert caches["fleet"].get("selectel-auth:lock:k") is None
