"""Token caches: sharing inside a process, across processes, owner-only files, CAS delete."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from selectel_auth import (
    AccessToken,
    FileTokenCache,
    InvalidCredentialsError,
    KeystoneCredential,
    MemoryTokenCache,
    SwiftV1Credential,
    TokenCache,
)

from tests.auth.conftest import CountingSender, FakeClock, keystone, swift_v1
from tests.auth.test_keystone import storage_status

if TYPE_CHECKING:
    from tests.fakeswift import FakeSwift
    from tests.fakeswift.real import RealSwift

REPO = Path(__file__).resolve().parents[2]


def test_memory_cache_shares_between_credentials(fake_swift: FakeSwift) -> None:
    cache = MemoryTokenCache()
    first = keystone(fake_swift, cache=cache).get_token()
    second = keystone(fake_swift, cache=cache).get_token()
    assert first == second
    assert fake_swift.count(kind="auth") == 1


def test_memory_cache_single_flight_across_credentials(fake_swift: FakeSwift) -> None:
    cache = MemoryTokenCache()
    credentials = [keystone(fake_swift, cache=cache) for _ in range(8)]
    fake_swift.delay_next(0.2, kind="auth")
    barrier = threading.Barrier(len(credentials))
    tokens: list[str] = []

    def worker(index: int) -> None:
        barrier.wait()
        tokens.append(credentials[index].get_token().token)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(credentials))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(tokens) == 8 and len(set(tokens)) == 1
    assert fake_swift.count(kind="auth") == 1


def test_file_cache_permissions_and_content(fake_swift: FakeSwift, tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    credential = keystone(fake_swift, cache=FileTokenCache(directory))
    token = credential.get_token()

    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    files = sorted(p.name for p in directory.iterdir())
    assert files == [f"{credential.cache_key}.json", f"{credential.cache_key}.lock"]
    for path in directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = (directory / f"{credential.cache_key}.json").read_text()
    assert fake_swift.v3.password not in raw
    assert fake_swift.v3.password not in credential.cache_key
    data = json.loads(raw)
    assert data["token"] == token.token
    assert data["storage_url"] == token.storage_url
    assert data["expires_at"] == token.expires_at


def test_file_cache_tightens_an_open_directory(tmp_path: Path) -> None:
    directory = tmp_path / "loose"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    cache = FileTokenCache(directory)
    cache.save("k1", AccessToken("tk-1", "https://s/v1/a", 2e9))
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_file_cache_default_directory_follows_xdg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    base = Path.home() / "Library" / "Caches" if sys.platform == "darwin" else tmp_path
    assert FileTokenCache().directory == base / "selectel-auth"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")  # not absolute: ignored, as XDG says
    assert FileTokenCache().directory.is_absolute()


def test_file_cache_shared_between_credentials_and_survives_restart(
    swift: FakeSwift | RealSwift, tmp_path: Path
) -> None:
    sender = CountingSender()
    first = swift_v1(swift, cache=FileTokenCache(tmp_path), sender=sender).get_token()
    again = swift_v1(swift, cache=FileTokenCache(tmp_path), sender=sender).get_token()
    assert again == first
    assert sender.count == 1
    assert storage_status(again) in (200, 204)


def test_cache_key_depends_on_password_and_scope() -> None:
    # Offline: a cache key is computed without a request.
    settings: dict[str, Any] = {
        "username": "svc",
        "password": "Pa55-word",
        "account_id": "123456",
        "project_id": "p1",
        "region": "ru-1",
    }

    def key(**kw: str) -> str:
        return KeystoneCredential(**{**settings, **kw}).cache_key

    base = key()
    assert key() == base
    assert key(password="changed") != base
    assert key(region="ru-7") != base
    assert key(project_id="other") != base
    assert SwiftV1Credential(user="svc", key="Pa55-word").cache_key != base
    assert len(base) == 64 and int(base, 16) >= 0


def test_password_change_does_not_reuse_old_token(fake_swift: FakeSwift, tmp_path: Path) -> None:
    keystone(fake_swift, cache=FileTokenCache(tmp_path)).get_token()
    with pytest.raises(InvalidCredentialsError, match="refused"):
        keystone(
            fake_swift, password="not-the-password", cache=FileTokenCache(tmp_path)
        ).get_token()
    assert fake_swift.count(kind="auth") == 2


def test_expired_cached_token_is_replaced(
    fake_swift: FakeSwift, tmp_path: Path, clock: FakeClock
) -> None:
    fake_swift.token_ttl = 3600
    cache = FileTokenCache(tmp_path)
    first = keystone(fake_swift, cache=cache, **clock.kwargs()).get_token()
    clock.advance(3500)
    fresh = keystone(fake_swift, cache=cache, **clock.kwargs()).get_token()
    assert fresh.token != first.token
    assert cache.load(keystone(fake_swift).cache_key) == fresh
    assert fake_swift.count(kind="auth") == 2


def test_invalidate_removes_only_the_same_token_from_the_cache(
    fake_swift: FakeSwift, tmp_path: Path
) -> None:
    cache = FileTokenCache(tmp_path)
    one = keystone(fake_swift, cache=cache)
    two = keystone(fake_swift, cache=cache)
    old = one.get_token()
    assert two.get_token() == old

    assert one.invalidate(old) is True
    new = one.get_token()  # re-authenticates and shares the new token
    assert new.token != old.token
    assert fake_swift.count(kind="auth") == 2

    # Process "two" sees a late 401 for the old token: the shared new token must survive.
    assert two.invalidate(old) is True
    assert two.get_token() == new
    assert cache.load(one.cache_key) == new
    assert fake_swift.count(kind="auth") == 2


@pytest.mark.parametrize(
    "content", [b"", b"{not json", b'{"format": 1}', b'{"format": 1, "token": 5}', b"[]"]
)
def test_malformed_cache_file_is_ignored(
    fake_swift: FakeSwift, tmp_path: Path, content: bytes
) -> None:
    credential = keystone(fake_swift, cache=FileTokenCache(tmp_path))
    (tmp_path / f"{credential.cache_key}.json").write_bytes(content)
    assert storage_status(credential.get_token()) in (200, 204)
    assert fake_swift.count(kind="auth") == 1


def test_both_caches_follow_the_protocol(tmp_path: Path) -> None:
    caches: list[TokenCache] = [MemoryTokenCache(), FileTokenCache(tmp_path)]
    token = AccessToken("tk-0123456789abcdef", "https://s/v1/a", 2e9, 1.9e9)
    for cache in caches:
        assert cache.load("k") is None
        with cache.lock("k"):
            cache.save("k", token)
        assert cache.load("k") == token
        cache.delete("k")
        assert cache.load("k") is None


@pytest.mark.parametrize("kind", ["memory", "file"])
def test_cache_delete_is_compare_and_swap(kind: str, tmp_path: Path) -> None:
    cache: TokenCache = MemoryTokenCache() if kind == "memory" else FileTokenCache(tmp_path)
    old = AccessToken("tk-old", None)
    new = AccessToken("tk-new", None)
    cache.save("k", new)
    cache.delete("k", old)
    assert cache.load("k") == new
    cache.delete("k", new)
    assert cache.load("k") is None


def test_file_cache_rejects_unsafe_keys(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cache keys"):
        FileTokenCache(tmp_path).load("../../etc/passwd")


WORKER = textwrap.dedent(
    """
    import sys
    from selectel_auth import FileTokenCache, KeystoneCredential

    auth_url, username, password, account_id, project_id, region, directory = sys.argv[1:8]
    credential = KeystoneCredential(
        username=username, password=password, account_id=account_id, project_id=project_id,
        region=region, auth_url=auth_url, cache=FileTokenCache(directory),
    )
    print("ready", flush=True)
    sys.stdin.readline()  # wait until every worker is up, then all go at once
    print(credential.get_token().token, flush=True)
    """
)


def test_four_processes_make_one_auth_request(fake_swift: FakeSwift, tmp_path: Path) -> None:
    fake_swift.delay_next(0.3, kind="auth")  # the first auth is still running when all ask
    v3 = fake_swift.v3
    args = [
        fake_swift.auth_v3_url,
        v3.name,
        v3.password,
        v3.account_id,
        v3.project_id,
        v3.region,
        str(tmp_path / "shared"),
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(4)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        results = [worker.communicate(timeout=60) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert [w.returncode for w in workers] == [0, 0, 0, 0], [err for _, err in results]
    tokens = {out.strip() for out, _ in results}
    assert len(tokens) == 1
    assert fake_swift.count(kind="auth") == 1
