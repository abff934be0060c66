"""The parts of scripts/realswift.py that must never go wrong: whom it stops, and its state file.

Starting a real Swift is verified by running the script (see docs/real-swift-observed.md); these
tests cover process control with ordinary child processes, so they need no Swift and run in
well under a second.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scripts import realkeystone, realswift
from scripts.realswift import ProcessRecord, RealSwiftError, SwiftInstance


def _wait_for(path: Path, text: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in path.read_text(errors="replace"):
        assert time.monotonic() < deadline, f"{text!r} never appeared in {path}"
        time.sleep(0.01)


def _spawn_python(tmp_path: Path, name: str, code: str) -> ProcessRecord:
    log = tmp_path / f"{name}.log"
    return realswift._spawn(name, [sys.executable, "-c", code], log, tmp_path)


def _alive(pid: int) -> bool:
    stat = realswift._proc_stat(pid)
    return stat is not None and stat.state not in ("Z", "X")


def test_stop_ends_the_recorded_process_and_its_group(tmp_path: Path) -> None:
    # The leader forks a child into its own group, as Swift's daemons do.
    code = (
        "import os, time\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    time.sleep(60)\n"
        "    os._exit(0)\n"
        "print('child', pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    rec = _spawn_python(tmp_path, "leader", code)
    _wait_for(Path(rec.log), "child")
    child = int(Path(rec.log).read_text().split()[1])
    assert _alive(child)

    killed = realswift._stop_processes((rec,), timeout=5)

    assert killed == []  # SIGTERM was enough
    assert not realswift._is_ours(rec)
    assert not _alive(child)


def test_a_process_that_ignores_sigterm_gets_sigkill(tmp_path: Path) -> None:
    code = (
        "import signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    rec = _spawn_python(tmp_path, "stubborn", code)
    _wait_for(Path(rec.log), "ready")

    killed = realswift._stop_processes((rec,), timeout=0.2)

    assert killed == ["stubborn"]
    assert not realswift._is_ours(rec)


def test_a_reused_pid_is_left_alone(tmp_path: Path) -> None:
    # Same pid, other start time: what a record looks like once the pid was reused.
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stat = realswift._proc_stat(bystander.pid)
        assert stat is not None
        stale = ProcessRecord("stale", bystander.pid, stat.start_ticks - 1, str(tmp_path / "x"))

        assert not realswift._is_ours(stale)
        assert realswift._stop_processes((stale,), timeout=0.2) == []
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_a_zombie_counts_as_stopped(tmp_path: Path) -> None:
    # Not registered with the script, so nobody reaps it until we do.
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 5
        while (stat := realswift._proc_stat(proc.pid)) is not None and stat.state != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert stat is not None
        rec = ProcessRecord("zombie", proc.pid, stat.start_ticks, str(tmp_path / "x"))

        assert not realswift._is_ours(rec)
        assert realswift._stop_processes((rec,), timeout=0.2) == []
    finally:
        proc.wait()


def _instance(tmp_path: Path, processes: tuple[ProcessRecord, ...] = ()) -> SwiftInstance:
    return SwiftInstance(
        run_dir=tmp_path,
        swift_dir=tmp_path / "etc",
        data_dir=tmp_path / "realswift-data",
        log_dir=tmp_path / "log",
        venv=tmp_path / "venv",
        swift_version="2.38.3",
        ports={"proxy": 1, "account": 2, "container": 3, "object": 4, "memcached": 5},
        processes=processes,
    )


def test_state_round_trips_through_json(tmp_path: Path) -> None:
    instance = _instance(tmp_path, (ProcessRecord("proxy-server", 42, 7, "/x.log"),))
    data = json.loads(json.dumps(instance.to_json()))

    assert SwiftInstance.from_json(data) == instance
    assert data["auth_url"] == "http://127.0.0.1:1/auth/v1.0"
    assert instance.env() == {
        "SWIFT_TARGET": "real",
        "SWIFT_AUTH_URL": "http://127.0.0.1:1/auth/v1.0",
        "SWIFT_USER": "test:tester",
        "SWIFT_KEY": "testing",
    }


def test_keystone_layout_round_trips_and_reaches_the_test_target(tmp_path: Path) -> None:
    users = (
        realkeystone.KeystoneUser("svc", "svc-pw", "u1", "member"),
        realkeystone.KeystoneUser("ro", "ro-pw", "u2", "reader"),
    )
    layout = realkeystone.KeystoneLayout(
        auth_url="http://127.0.0.1:2/v3",
        short_auth_url="http://127.0.0.1:3/v3",
        account_id="123456",
        domain_id="d1",
        project_id="p1",
        project_name="proj",
        service_user=users[0],
        reader_user=users[1],
        admin_password="admin-pw",
        regions=("ru-1", "ru-7"),
        endpoints={"ru-1/public": "http://127.0.0.1:4/v1/p1", "ru-7/admin": "http://x:5/v1.0/p1"},
    )
    base = _instance(tmp_path, (ProcessRecord("keystone", 42, 7, "/x.log"),))
    instance = dataclasses.replace(base, keystone=layout, keystone_version="30.0.0")
    data = json.loads(json.dumps(instance.to_json()))
    assert SwiftInstance.from_json(data) == instance

    from tests.fakeswift.real import RealSwift

    target = RealSwift.from_env(instance.env())
    assert target.auth_v3_url == "http://127.0.0.1:2/v3"
    assert (target.v3.name, target.v3.project_id, target.v3.region) == ("svc", "p1", "ru-1")
    assert target.storage_url("p1") == "http://127.0.0.1:4/v1/p1"
    assert target.storage_url("p1", region="ru-7", interface="admin") == "http://x:5/v1.0/p1"
    assert {"svc-pw", "ro-pw", "admin-pw", "testing"} <= target.secrets()
    target.close()


def test_a_foreign_state_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text('{"version": 2, "run_dir": "x"}')
    with pytest.raises(RealSwiftError, match="malformed state file"):
        realswift.status(tmp_path)


def test_stop_and_status_without_an_instance(tmp_path: Path) -> None:
    assert realswift.stop(tmp_path) is False
    assert realswift.status(tmp_path) == (None, "not started")


def test_a_dead_service_fails_the_start_with_its_log(tmp_path: Path) -> None:
    rec = _spawn_python(tmp_path, "proxy-server", "print('bind failed: address in use')")
    realswift._CHILDREN[rec.pid].wait()

    with pytest.raises(RealSwiftError, match="address in use") as info:
        realswift._wait_healthy(_instance(tmp_path, (rec,)), timeout=5)
    assert "not running: proxy-server" in str(info.value)


def test_configuration_carries_the_facts_that_keep_swift_usable(tmp_path: Path) -> None:
    ports = {"proxy": 8080, "account": 6012, "container": 6011, "object": 6010, "memcached": 11211}
    ports |= {"keystone": 5000, "proxy-keystone-ru-1": 8081, "proxy-keystone-ru-7": 8082}
    conf = realswift._configs(tmp_path / "etc", tmp_path / "data", tmp_path, ports)

    proxy = conf["proxy-server.conf"]
    assert "error_suppression_interval = 0" in proxy
    assert f"pipeline = {realswift._PROXY_PIPELINE}" in proxy
    assert "memcache_servers = 127.0.0.1:11211" in proxy
    assert "allowed_digests = sha1 sha256 sha512" in proxy
    for line in (
        "user_test_tester = testing .admin",
        "user_test2_tester2 = testing2 .admin",
        "user_test_tester3 = testing3",
        "user_admin_admin = admin .admin .reseller_admin",
    ):
        assert line in proxy
    for name in ("account-server.conf", "container-server.conf", "object-server.conf"):
        assert "mount_check = false" in conf[name]
        assert "disable_fallocate = true" in conf[name]
        assert "workers = 0" in conf[name]
    assert "dequeue_from_legacy = true" in conf["object-server.conf"]
    assert "[container-updater]" in conf["container-server.conf"]
    assert "set_swift_dir" in conf["launch.py"]


def test_keystone_proxies_have_the_same_middleware_and_selectel_accounts(tmp_path: Path) -> None:
    ports = {"proxy": 8080, "account": 6012, "container": 6011, "object": 6010, "memcached": 11211}
    ports |= {"keystone": 5000, "proxy-keystone-ru-1": 8081, "proxy-keystone-ru-7": 8082}
    conf = realswift._configs(tmp_path / "etc", tmp_path / "data", tmp_path, ports)

    v1_filters = realswift._PROXY_PIPELINE.split()
    for region, port in (("ru-1", 8081), ("ru-7", 8082)):
        proxy = conf[f"proxy-keystone-{region}.conf"]
        assert f"bind_port = {port}" in proxy
        pipeline = next(line for line in proxy.splitlines() if line.startswith("pipeline = "))
        filters = pipeline.removeprefix("pipeline = ").split()
        assert [f for f in filters if f not in ("authtoken", "keystoneauth")] == [
            f for f in v1_filters if f != "tempauth"
        ]
        assert filters.index("authtoken") + 1 == filters.index("keystoneauth")
        assert "[filter:tempauth]" not in proxy  # no v1 user (or key) on this proxy
        assert "reseller_prefix = ''" in proxy  # /v1/<project id>, as on Selectel
        assert "operator_roles = admin, member" in proxy
        assert "delay_auth_decision = true" in proxy  # TempURL / FormPost carry no token
        assert "token_cache_time = -1" in proxy  # revocations show at once
        assert "auth_url = http://127.0.0.1:5000/v3" in proxy


def test_keystone_endpoints_differ_per_region_and_interface() -> None:
    urls = {
        realkeystone.endpoint_url(region, interface, port)
        for region, port in (("ru-1", 8081), ("ru-7", 8082))
        for interface in realkeystone.INTERFACES
    }
    assert len(urls) == 6
    assert realkeystone.endpoint_url("ru-1", "public", 8081) == (
        "http://127.0.0.1:8081/v1/$(project_id)s"
    )


def test_keystone_configs_share_database_and_keys_but_not_lifetime(tmp_path: Path) -> None:
    main = realkeystone._conf(tmp_path, 3600)
    short = realkeystone._conf(tmp_path, realkeystone.SHORT_TOKEN_SECONDS)
    assert f"connection = sqlite:////{str(tmp_path).lstrip('/')}/keystone.db" in main
    assert "provider = fernet" in main
    assert main.replace("expiration = 3600", "expiration = 20") == short


def test_sigterm_is_what_stop_sends_first(tmp_path: Path) -> None:
    code = (
        "import signal, sys, time\n"
        "def bye(*_):\n"
        "    print('got SIGTERM', flush=True)\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, bye)\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    rec = _spawn_python(tmp_path, "polite", code)
    _wait_for(Path(rec.log), "ready")

    assert realswift._stop_processes((rec,), timeout=5) == []
    assert "got SIGTERM" in Path(rec.log).read_text()
