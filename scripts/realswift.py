#!/usr/bin/env python3
"""Start and stop a real OpenStack Swift (2.38) and Keystone (v3) on loopback, from nothing.

Usage (from the repository root)::

    python3 scripts/realswift.py start [--dir DIR] [--port PORT] [--venv VENV]
    python3 scripts/realswift.py status [--dir DIR]
    python3 scripts/realswift.py env [--dir DIR]      # `eval "$(... env)"`
    python3 scripts/realswift.py stop [--dir DIR]

Importable for pytest fixtures::

    from scripts.realswift import start, stop
    swift = start(run_dir)          # SwiftInstance: auth_url, users, ...
    ...
    stop(run_dir)

Swift lives in its own virtualenv (default ``.venv-swift/`` at the repository root): it pins
eventlet and friends that the project must not inherit. Keystone (``scripts/realkeystone.py``)
lives in ``.venv-keystone/`` beside it. One proxy answers tempauth (v1, ``/v1/AUTH_<account>``);
one proxy per Keystone region answers Keystone tokens (``authtoken`` + ``keystoneauth``,
``/v1/<project id>`` as on Selectel), all on the same rings and backends. The run dir (default
``.tmp/realswift/``) holds the configuration, the rings, one log per service and
``state.json``; the object data lives in a throw-away folder on ``/dev/shm`` because ext4 here
holds too few xattrs for Swift's metadata. Facts behind each choice: shared/docs/real-swift.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import getpass
import grp
import http.client
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `scripts` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts import realkeystone
from scripts.realkeystone import KeystoneLayout

__all__ = [
    "DEFAULT_RUN_DIR",
    "DEFAULT_VENV",
    "USERS",
    "ProcessRecord",
    "RealSwiftError",
    "SwiftInstance",
    "SwiftUser",
    "main",
    "start",
    "status",
    "stop",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RUN_DIR = REPO_ROOT / ".tmp" / "realswift"
DEFAULT_VENV = REPO_ROOT / ".venv-swift"
SWIFT_REQUIREMENTS = ("swift>=2.38,<2.39", "keystonemiddleware>=10")
SWIFT_SERIES = "2.38."
STATE_VERSION = 2
DATA_PREFIX = "realswift-"
LOOPBACK = "127.0.0.1"
# Large enough for near-maximal X-Object-Meta-* (Swift pickles metadata into xattrs).
XATTR_PROBE_SIZE = 64 * 1024
# Daemons run often so that account counts and expired objects settle within seconds.
DAEMON_INTERVAL_SECONDS = 2


class RealSwiftError(RuntimeError):
    """Real Swift could not be installed, started, checked or stopped."""


@dataclasses.dataclass(frozen=True)
class SwiftUser:
    """A tempauth user (Swift's SAIO set): ``<account>:<user>`` with key and roles."""

    account: str
    user: str
    key: str
    roles: tuple[str, ...]

    @property
    def name(self) -> str:
        """The ``X-Auth-User`` value, ``account:user``."""
        return f"{self.account}:{self.user}"

    @property
    def storage_account(self) -> str:
        """The Swift account the user's storage URL points at."""
        return f"AUTH_{self.account}"


USERS: tuple[SwiftUser, ...] = (
    SwiftUser("test", "tester", "testing", (".admin",)),
    SwiftUser("test2", "tester2", "testing2", (".admin",)),
    SwiftUser("test", "tester3", "testing3", ()),
    SwiftUser("admin", "admin", "admin", (".admin", ".reseller_admin")),
)


@dataclasses.dataclass(frozen=True)
class ProcessRecord:
    """One process this script started; ``start_ticks`` tells it apart from a reused pid."""

    name: str
    pid: int
    start_ticks: int
    log: str


@dataclasses.dataclass(frozen=True)
class SwiftInstance:
    """What a running real Swift looks like from outside (the content of ``state.json``)."""

    run_dir: Path
    swift_dir: Path
    data_dir: Path
    log_dir: Path
    venv: Path
    swift_version: str
    ports: Mapping[str, int]
    processes: tuple[ProcessRecord, ...]
    users: tuple[SwiftUser, ...] = USERS
    started_at: float = dataclasses.field(default_factory=time.time)
    keystone_venv: Path | None = None
    keystone_version: str | None = None
    keystone: KeystoneLayout | None = None

    @property
    def base_url(self) -> str:
        """Proxy root, e.g. ``http://127.0.0.1:8080``."""
        return f"http://{LOOPBACK}:{self.ports['proxy']}"

    @property
    def auth_url(self) -> str:
        """The v1 (tempauth) auth URL."""
        return f"{self.base_url}/auth/v1.0"

    @property
    def info_url(self) -> str:
        """``GET /info`` (no auth needed)."""
        return f"{self.base_url}/info"

    @property
    def default_user(self) -> SwiftUser:
        """``test:tester`` / ``testing``, the SAIO default admin of account ``AUTH_test``."""
        return self.users[0]

    def storage_url(self, account: str = "test") -> str:
        """The storage URL tempauth hands out for ``account``."""
        return f"{self.base_url}/v1/AUTH_{account}"

    def env(self) -> dict[str, str]:
        """Environment variables that point the test suites at this Swift (and Keystone)."""
        user = self.default_user
        env = {
            "SWIFT_TARGET": "real",
            "SWIFT_AUTH_URL": self.auth_url,
            "SWIFT_USER": user.name,
            "SWIFT_KEY": user.key,
        }
        if self.keystone is not None:
            env["SWIFT_KEYSTONE"] = json.dumps(self.keystone.to_json(), sort_keys=True)
        return env

    def to_json(self) -> dict[str, Any]:
        """JSON form written to ``state.json``."""
        return {
            "version": STATE_VERSION,
            "run_dir": str(self.run_dir),
            "swift_dir": str(self.swift_dir),
            "data_dir": str(self.data_dir),
            "log_dir": str(self.log_dir),
            "venv": str(self.venv),
            "swift_version": self.swift_version,
            "started_at": self.started_at,
            "auth_url": self.auth_url,
            "info_url": self.info_url,
            "ports": dict(self.ports),
            "processes": [
                {"name": p.name, "pid": p.pid, "start_ticks": p.start_ticks, "log": p.log}
                for p in self.processes
            ],
            "users": [
                {
                    "name": u.name,
                    "account": u.account,
                    "user": u.user,
                    "key": u.key,
                    "roles": list(u.roles),
                    "storage_url": self.storage_url(u.account),
                }
                for u in self.users
            ],
            "keystone_venv": None if self.keystone_venv is None else str(self.keystone_venv),
            "keystone_version": self.keystone_version,
            "keystone": None if self.keystone is None else self.keystone.to_json(),
        }

    @classmethod
    def from_json(cls, data: Any) -> SwiftInstance:
        """Parse ``state.json`` content; raises RealSwiftError when it is not ours."""
        try:
            if data["version"] != STATE_VERSION:
                raise RealSwiftError(f"unknown state version {data['version']!r}")
            return cls(
                run_dir=Path(data["run_dir"]),
                swift_dir=Path(data["swift_dir"]),
                data_dir=Path(data["data_dir"]),
                log_dir=Path(data["log_dir"]),
                venv=Path(data["venv"]),
                swift_version=str(data["swift_version"]),
                started_at=float(data["started_at"]),
                ports={str(k): int(v) for k, v in data["ports"].items()},
                processes=tuple(
                    ProcessRecord(
                        str(p["name"]), int(p["pid"]), int(p["start_ticks"]), str(p["log"])
                    )
                    for p in data["processes"]
                ),
                users=tuple(
                    SwiftUser(str(u["account"]), str(u["user"]), str(u["key"]), tuple(u["roles"]))
                    for u in data["users"]
                ),
                keystone_venv=None
                if data["keystone_venv"] is None
                else Path(data["keystone_venv"]),
                keystone_version=data["keystone_version"],
                keystone=None
                if data["keystone"] is None
                else KeystoneLayout.from_json(data["keystone"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RealSwiftError(f"malformed state file: {exc!r}") from exc


# --------------------------------------------------------------------------- processes


@dataclasses.dataclass(frozen=True)
class _ProcStat:
    state: str
    pgrp: int
    start_ticks: int


def _proc_stat(pid: int) -> _ProcStat | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name may hold spaces and parentheses: split after the last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    return _ProcStat(state=fields[0], pgrp=int(fields[2]), start_ticks=int(fields[19]))


# Popen handles of services started by this process, so that stop() can reap them (no zombies,
# no "still running" ResourceWarning when a pytest fixture starts and stops Swift).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def _reap(pid: int) -> None:
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        del _CHILDREN[pid]


def _is_ours(rec: ProcessRecord) -> bool:
    """True while the recorded process runs; a zombie or a reused pid counts as gone."""
    _reap(rec.pid)
    st = _proc_stat(rec.pid)
    return st is not None and st.start_ticks == rec.start_ticks and st.state not in ("Z", "X")


def _group_leftovers(rec: ProcessRecord) -> list[int]:
    """Live members of the process group the service led (Swift forks workers into it)."""
    leader = _proc_stat(rec.pid)
    if leader is not None and leader.start_ticks != rec.start_ticks:
        return []  # the pid (and so the group id) now belongs to someone else
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        st = _proc_stat(int(entry.name))
        if st is not None and st.pgrp == rec.pid and st.state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def _live_pids(rec: ProcessRecord) -> list[int]:
    """The recorded process if it still runs, plus what is left of its process group."""
    leader = [rec.pid] if _is_ours(rec) else []
    return leader + [p for p in _group_leftovers(rec) if p != rec.pid]


def _signal_all(rec: ProcessRecord, sig: signal.Signals) -> bool:
    pids = _live_pids(rec)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    return bool(pids)


def _wait_gone(records: tuple[ProcessRecord, ...], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while any(_live_pids(r) for r in records):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _stop_processes(records: tuple[ProcessRecord, ...], timeout: float) -> list[str]:
    """SIGTERM each live record, SIGKILL what remains after ``timeout``; return names killed."""
    for rec in records:
        # Swift passes SIGTERM on to its process group itself; other services may not.
        _signal_all(rec, signal.SIGTERM)
    if _wait_gone(records, timeout):
        return []
    killed = [rec.name for rec in records if _signal_all(rec, signal.SIGKILL)]
    _wait_gone(records, 5)
    return killed


def _spawn(
    name: str,
    argv: list[str],
    log: Path,
    cwd: Path,
    extra_env: Mapping[str, str] | None = None,
) -> ProcessRecord:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
    }
    env.update(extra_env or {})
    with log.open("wb") as out:
        # A new session: the service outlives this script, a Ctrl-C in the caller's terminal
        # does not reach it, and Swift's killpg(0, SIGTERM) on stop cannot hit the caller.
        child = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
    _CHILDREN[child.pid] = child
    st = _proc_stat(child.pid)
    if st is None:
        code = child.wait()
        raise RealSwiftError(f"{name} exited at once (status {code}); see {log}")
    return ProcessRecord(name=name, pid=child.pid, start_ticks=st.start_ticks, log=str(log))


# --------------------------------------------------------------------------- installation


def _run(argv: list[str], *, what: str) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip()[-3000:]
        raise RealSwiftError(f"{what} failed ({shlex.join(argv)}):\n{tail}")
    return proc.stdout


def _venv_swift_version(python: Path) -> str | None:
    if not python.exists():
        return None
    proc = subprocess.run(
        [
            str(python),
            "-I",
            "-c",
            "import eventlet, keystonemiddleware.auth_token, swift; print(swift.__version__)",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    version = proc.stdout.strip()
    return version if proc.returncode == 0 and version.startswith(SWIFT_SERIES) else None


def _ensure_venv(venv: Path, say: Callable[[str], None]) -> tuple[Path, str]:
    python = venv / "bin" / "python"
    version = _venv_swift_version(python)
    if version is not None:
        return python, version
    if venv.exists():
        if not (venv / "pyvenv.cfg").exists():
            raise RealSwiftError(f"{venv} exists and is not a virtualenv; remove it or pick --venv")
        say(f"virtualenv {venv} has no usable Swift {SWIFT_SERIES}x: recreating it")
        shutil.rmtree(venv)
    say(f"installing {' '.join(SWIFT_REQUIREMENTS)} into {venv}")
    uv = shutil.which("uv")
    if uv is not None:
        env_python = ["--python", sys.executable]
        _run([uv, "venv", "--quiet", *env_python, str(venv)], what="creating the Swift virtualenv")
        _run(
            [uv, "pip", "install", "--quiet", "--python", str(python), *SWIFT_REQUIREMENTS],
            what="installing Swift",
        )
    else:
        _run([sys.executable, "-m", "venv", str(venv)], what="creating the Swift virtualenv")
        _run(
            [str(python), "-m", "pip", "install", "--quiet", *SWIFT_REQUIREMENTS],
            what="installing Swift",
        )
    version = _venv_swift_version(python)
    if version is None:
        raise RealSwiftError(f"Swift {SWIFT_SERIES}x is still not importable from {python}")
    return python, version


def _ensure_memcached(say: Callable[[str], None]) -> str:
    found = shutil.which("memcached")
    if found is not None:
        return found
    apt = shutil.which("apt-get")
    if apt is None:
        raise RealSwiftError(
            "memcached is required (tempauth keeps its tokens there) and apt-get is not "
            "available: install memcached by hand and put it on PATH"
        )
    if os.geteuid() != 0:
        raise RealSwiftError("memcached is missing; run `apt-get install -y memcached` as root")
    say("installing memcached with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [apt, "install", "-y", "-q", "memcached"]
    if subprocess.run(install, capture_output=True, env=env, check=False).returncode != 0:
        update = subprocess.run([apt, "update", "-q"], capture_output=True, env=env, check=False)
        retry = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
        if retry.returncode != 0:
            detail = (retry.stdout + retry.stderr).strip()[-2000:]
            raise RealSwiftError(
                f"apt-get install memcached failed (apt-get update exit {update.returncode}):\n"
                f"{detail}"
            )
    # Debian's package lands in /usr/bin, which may be missing from a minimal PATH.
    found = shutil.which("memcached") or shutil.which("memcached", path="/usr/bin:/usr/sbin")
    if found is None:
        raise RealSwiftError("memcached was installed but is not found on PATH")
    return found


# --------------------------------------------------------------------------- data dir, ports


def _supports_big_xattrs(folder: Path) -> bool:
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".xattr-probe-") as probe:
            os.setxattr(probe.name, "user.realswift.probe", b"x" * XATTR_PROBE_SIZE)
    except OSError:
        return False
    return True


def _make_data_dir(say: Callable[[str], None]) -> Path:
    shm = Path("/dev/shm")
    if shm.is_dir() and _supports_big_xattrs(shm):
        return Path(tempfile.mkdtemp(prefix=DATA_PREFIX, dir=shm))
    fallback = Path(tempfile.mkdtemp(prefix=DATA_PREFIX))
    say(
        f"WARNING: /dev/shm cannot hold {XATTR_PROBE_SIZE}-byte xattrs; data goes to {fallback}, "
        "where objects with large X-Object-Meta-* may fail with 503/507"
    )
    return fallback


def _free_ports(count: int) -> list[int]:
    # Hold every socket until all are chosen so the ports differ from one another.
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((LOOPBACK, 0))
            socks.append(s)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((LOOPBACK, port)) == 0


# --------------------------------------------------------------------------- configuration

# Runs inside the Swift virtualenv: point Swift at our swift.conf before the entry point runs,
# because the daemons and the policy/constraint loaders read /etc/swift/swift.conf otherwise.
_LAUNCHER = """\
import importlib
import sys

swift_dir, name, module = sys.argv[1:4]
from swift.common import utils

utils.set_swift_dir(swift_dir)
from swift.common import constraints, storage_policy

storage_policy.reload_storage_policies()
constraints.reload_constraints()
entry = importlib.import_module(module).main
sys.argv = [name, *sys.argv[4:]]
sys.exit(entry())
"""

_RING_BUILDER = """\
import sys

from swift.common.ring import RingBuilder

swift_dir = sys.argv[1]
for kind, port in zip(("account", "container", "object"), sys.argv[2:5]):
    builder = RingBuilder(8, 1, 1)
    builder.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1", "port": int(port),
                     "replication_ip": "127.0.0.1", "replication_port": int(port),
                     "device": "sdb1", "weight": 100.0})
    builder.rebalance()
    builder.save(f"{swift_dir}/{kind}.builder")
    builder.get_ring().save(f"{swift_dir}/{kind}.ring.gz")
"""

_PROXY_PIPELINE = (
    "catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl "
    "formpost ratelimit tempauth staticweb copy container-quotas account-quotas slo dlo "
    "versioned_writes symlink proxy-logging proxy-server"
)

# The same middleware, Keystone's pair in place of tempauth (a keystoneauth filter with the
# empty reseller prefix claims every account, so it cannot share a proxy with tempauth).
_KEYSTONE_PIPELINE = _PROXY_PIPELINE.replace(" tempauth ", " authtoken keystoneauth ")


def _keystone_proxy(region: str) -> str:
    """Service (and port) name of the Keystone proxy of ``region``."""
    return f"proxy-keystone-{region}"


_SERVICES: tuple[tuple[str, str, str], ...] = (
    # (name, module with main(), config file)
    ("account-server", "swift.account.server", "account-server.conf"),
    ("container-server", "swift.container.server", "container-server.conf"),
    ("object-server", "swift.obj.server", "object-server.conf"),
    ("proxy-server", "swift.proxy.server", "proxy-server.conf"),
    *(
        (_keystone_proxy(r), "swift.proxy.server", f"{_keystone_proxy(r)}.conf")
        for r in realkeystone.REGIONS
    ),
    ("container-updater", "swift.container.updater", "container-server.conf"),
    ("object-expirer", "swift.obj.expirer", "object-server.conf"),
)


def _ini(sections: Mapping[str, Mapping[str, str | int]]) -> str:
    out: list[str] = []
    for name, values in sections.items():
        out.append(f"[{name}]")
        out.extend(f"{k} = {v}" for k, v in values.items())
        out.append("")
    return "\n".join(out)


def _configs(
    swift_dir: Path, data_dir: Path, run_dir: Path, ports: Mapping[str, int]
) -> dict[str, str]:
    user = getpass.getuser()
    common: dict[str, str | int] = {
        "bind_ip": LOOPBACK,
        "workers": 0,
        "user": user,
        "swift_dir": str(swift_dir),
        "recon_cache_path": str(run_dir / "recon"),
        "log_level": "INFO",
    }
    backend: dict[str, str | int] = {
        **common,
        "devices": str(data_dir),
        "mount_check": "false",
        "disable_fallocate": "true",
    }
    memcache = f"{LOOPBACK}:{ports['memcached']}"
    egg = "egg:swift#"
    filters = {
        f"filter:{name}": {"use": f"{egg}{name.replace('-', '_')}"}
        for name in _PROXY_PIPELINE.split()
        if name != "proxy-server"
    }
    filters["filter:cache"] = {"use": f"{egg}memcache", "memcache_servers": memcache}
    filters["filter:tempauth"] = {
        "use": f"{egg}tempauth",
        **{f"user_{u.account}_{u.user}": " ".join((u.key, *u.roles)) for u in USERS},
    }
    filters["filter:tempurl"] = {"use": f"{egg}tempurl", "allowed_digests": "sha1 sha256 sha512"}
    filters["filter:versioned_writes"] = {
        "use": f"{egg}versioned_writes",
        "allow_versioned_writes": "true",
        "allow_object_versioning": "true",
    }
    proxy_app: dict[str, str | int] = {
        "use": f"{egg}proxy",
        "allow_account_management": "true",
        "account_autocreate": "true",
        # One node per ring: error-limiting it would turn one backend hiccup into 60 s of 503s.
        "error_suppression_interval": 0,
    }
    health = {"filter:healthcheck": {"use": f"{egg}healthcheck"}}
    keystone_proxies = {
        f"{_keystone_proxy(region)}.conf": _ini(
            {
                "DEFAULT": {
                    **common,
                    "bind_port": ports[_keystone_proxy(region)],
                    "log_name": _keystone_proxy(region),
                },
                "pipeline:main": {"pipeline": _KEYSTONE_PIPELINE},
                "app:proxy-server": proxy_app,
                **{k: v for k, v in filters.items() if k != "filter:tempauth"},
                **realkeystone.swift_filters(ports["keystone"]),
            }
        )
        for region in realkeystone.REGIONS
    }

    def backend_conf(kind: str, extra: Mapping[str, Mapping[str, str | int]]) -> str:
        return _ini(
            {
                "DEFAULT": {**backend, "bind_port": ports[kind], "log_name": f"{kind}-server"},
                "pipeline:main": {"pipeline": f"healthcheck {kind}-server"},
                f"app:{kind}-server": {"use": f"{egg}{kind}"},
                **health,
                **extra,
            }
        )

    return {
        "swift.conf": _ini(
            {
                "swift-hash": {
                    "swift_hash_path_prefix": "realswift-prefix",
                    "swift_hash_path_suffix": "realswift-suffix",
                },
                "storage-policy:0": {"name": "gold", "default": "yes"},
            }
        ),
        "proxy-server.conf": _ini(
            {
                "DEFAULT": {**common, "bind_port": ports["proxy"], "log_name": "proxy-server"},
                "pipeline:main": {"pipeline": _PROXY_PIPELINE},
                "app:proxy-server": proxy_app,
                **filters,
            }
        ),
        "account-server.conf": backend_conf("account", {}),
        "container-server.conf": backend_conf(
            "container",
            {
                "container-updater": {
                    "interval": DAEMON_INTERVAL_SECONDS,
                    "log_name": "container-updater",
                },
            },
        ),
        "object-server.conf": backend_conf(
            "object",
            {
                "object-expirer": {
                    "interval": DAEMON_INTERVAL_SECONDS,
                    "dequeue_from_legacy": "true",
                    "internal_client_conf_path": str(swift_dir / "internal-client.conf"),
                    "log_name": "object-expirer",
                }
            },
        ),
        "internal-client.conf": _ini(
            {
                "DEFAULT": {**common, "log_name": "internal-client"},
                "pipeline:main": {
                    "pipeline": "catch_errors proxy-logging cache symlink proxy-server"
                },
                "app:proxy-server": proxy_app,
                "filter:catch_errors": {"use": f"{egg}catch_errors"},
                "filter:proxy-logging": {"use": f"{egg}proxy_logging"},
                "filter:cache": filters["filter:cache"],
                "filter:symlink": {"use": f"{egg}symlink"},
            }
        ),
        **keystone_proxies,
        "launch.py": _LAUNCHER,
    }


# --------------------------------------------------------------------------- health


def _request(
    port: int, method: str, path: str, headers: Mapping[str, str] | None = None, timeout: float = 3
) -> tuple[int, dict[str, str]]:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        conn.request(method, path, headers=dict(headers or {}))
        resp = conn.getresponse()
        resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


def _check(instance: SwiftInstance) -> str | None:
    """None when every service answers; otherwise why not."""
    dead = [p.name for p in instance.processes if not _is_ours(p)]
    if dead:
        return f"not running: {', '.join(dead)}"
    try:
        kinds: tuple[str, ...] = ("account", "container", "object", "proxy")
        kinds += tuple(_keystone_proxy(r) for r in realkeystone.REGIONS)
        for kind in kinds:
            code, _ = _request(instance.ports[kind], "GET", "/healthcheck")
            if code != 200:
                return f"{kind} healthcheck answered {code}"
        for name in ("keystone", "keystone-short"):
            problem = realkeystone.check(instance.ports[name])
            if problem is not None:
                return problem
        user = instance.default_user
        code, headers = _request(
            instance.ports["proxy"],
            "GET",
            "/auth/v1.0",
            {"X-Auth-User": user.name, "X-Auth-Key": user.key},
        )
        if code != 200 or "x-auth-token" not in headers:
            return f"v1 auth answered {code}"
        code, _ = _request(
            instance.ports["proxy"],
            "HEAD",
            f"/v1/{user.storage_account}",
            {"X-Auth-Token": headers["x-auth-token"]},
        )
        if code // 100 != 2:
            return f"account HEAD answered {code}"
        if instance.keystone is not None:
            problem = realkeystone.check_storage(instance.keystone)
            if problem is not None:
                return problem
    except (OSError, http.client.HTTPException) as exc:
        return f"not answering: {exc!r}"
    return None


def _log_tail(path: str, lines: int = 15) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _wait_healthy(instance: SwiftInstance, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        problem = _check(instance)
        if problem is None:
            return
        dead = [p for p in instance.processes if not _is_ours(p)]
        if dead or time.monotonic() > deadline:
            tails = "\n".join(f"--- {p.log}\n{_log_tail(p.log)}" for p in dead)
            raise RealSwiftError(
                f"real Swift did not become healthy: {problem} (logs in {instance.log_dir})\n"
                f"{tails}".rstrip()
            )
        time.sleep(0.1)


# --------------------------------------------------------------------------- state


def _state_path(run_dir: Path) -> Path:
    return run_dir / "state.json"


def _load(run_dir: Path) -> SwiftInstance | None:
    path = _state_path(run_dir)
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RealSwiftError(f"{path} is not JSON: {exc}") from exc
    try:
        return SwiftInstance.from_json(data)
    except RealSwiftError as exc:
        raise RealSwiftError(f"{path}: {exc}; delete it if no real Swift runs from it") from exc


def _save(instance: SwiftInstance) -> None:
    path = _state_path(instance.run_dir)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(instance.to_json(), indent=2) + "\n")
    tmp.replace(path)


@contextlib.contextmanager
def _flock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _locked(run_dir: Path) -> contextlib.AbstractContextManager[None]:
    return _flock(run_dir / ".lock")


def _install_lock() -> contextlib.AbstractContextManager[None]:
    # Run dirs differ between sessions, the Swift virtualenv and dpkg do not.
    return _flock(Path(tempfile.gettempdir()) / "realswift-install.lock")


def _remove_data_dir(path: Path) -> None:
    # Only ever delete what start() created: a mkdtemp folder with our prefix.
    if path.name.startswith(DATA_PREFIX) and path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def _teardown(instance: SwiftInstance, timeout: float) -> list[str]:
    killed = _stop_processes(instance.processes, timeout)
    _remove_data_dir(instance.data_dir)
    _state_path(instance.run_dir).unlink(missing_ok=True)
    return killed


def _resolve(run_dir: Path | str | None) -> Path:
    return Path(run_dir).resolve() if run_dir is not None else DEFAULT_RUN_DIR


def _quiet(_: str) -> None:
    return None


def _prepare(instance: SwiftInstance, python: Path) -> None:
    """Fresh configuration, log folder, device folder and rings for ``instance``."""
    (instance.data_dir / "sdb1").mkdir()
    for folder in (instance.swift_dir, instance.log_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    (instance.run_dir / "recon").mkdir(exist_ok=True)
    confs = _configs(instance.swift_dir, instance.data_dir, instance.run_dir, instance.ports)
    for name, text in confs.items():
        (instance.swift_dir / name).write_text(text)
    ring_ports = [str(instance.ports[k]) for k in ("account", "container", "object")]
    _run(
        [str(python), "-I", "-c", _RING_BUILDER, str(instance.swift_dir), *ring_ports],
        what="building the rings",
    )


def _commands(instance: SwiftInstance, python: Path, memcached: str) -> list[tuple[str, list[str]]]:
    """(name, argv) of every service, memcached first."""
    mc = [memcached, "-l", LOOPBACK, "-p", str(instance.ports["memcached"]), "-U", "0"]
    if os.geteuid() == 0:
        mc += ["-u", "root"]  # memcached refuses to run as root without it
    commands = [("memcached", mc)]
    launcher = str(instance.swift_dir / "launch.py")
    for name, module, conf in _SERVICES:
        argv = [str(python), "-I", launcher, str(instance.swift_dir), f"swift-{name}", module]
        commands.append((name, [*argv, str(instance.swift_dir / conf), "-v"]))
    return commands


# --------------------------------------------------------------------------- public API


def start(
    run_dir: Path | str | None = None,
    *,
    port: int | None = None,
    venv: Path | str | None = None,
    keystone_venv: Path | str | None = None,
    timeout: float = 60.0,
    say: Callable[[str], None] | None = None,
) -> SwiftInstance:
    """Start real Swift and Keystone (installing them and memcached when missing); wait.

    Idempotent: when ``run_dir`` already holds a healthy instance, that instance is returned.
    A stale one (some process gone) is stopped first. ``port`` is the proxy port (default: a
    free one). ``say`` receives progress lines (default: silent).
    """
    say = say or _quiet
    run = _resolve(run_dir)
    with _locked(run):
        existing = _load(run)
        ours = set(existing.ports.values()) if existing is not None else set()
        # Checked before replacing anything, so a busy port never costs a running instance.
        if port is not None and port not in ours and _port_in_use(port):
            raise RealSwiftError(f"port {port} on {LOOPBACK} is already in use")
        if existing is not None:
            problem = _check(existing)
            if problem is None and port in (None, existing.ports["proxy"]):
                return existing
            say(f"replacing the previous instance ({problem or 'other port requested'})")
            _teardown(existing, timeout=10)

        venv_dir = Path(venv).resolve() if venv is not None else DEFAULT_VENV
        ks_venv = (
            Path(keystone_venv).resolve()
            if keystone_venv is not None
            else realkeystone.DEFAULT_VENV
        )
        with _install_lock():
            python, version = _ensure_venv(venv_dir, say)
            try:
                ks_python, ks_version = realkeystone.ensure_venv(ks_venv, say)
            except realkeystone.RealKeystoneError as exc:
                raise RealSwiftError(str(exc)) from exc
            memcached = _ensure_memcached(say)
        names = (
            "memcached",
            "account",
            "container",
            "object",
            "keystone",
            "keystone-short",
            *(_keystone_proxy(r) for r in realkeystone.REGIONS),
        )
        chosen = _free_ports(len(names) + (port is None))
        ports = dict(zip(names, chosen, strict=False))
        ports["proxy"] = port if port is not None else chosen[-1]

        swift_dir = run / "etc"
        log_dir = run / "log"
        instance = SwiftInstance(
            run_dir=run,
            swift_dir=swift_dir,
            data_dir=_make_data_dir(say),
            log_dir=log_dir,
            venv=venv_dir,
            swift_version=version,
            ports=ports,
            processes=(),
            keystone_venv=ks_venv,
            keystone_version=ks_version,
        )
        try:
            _prepare(instance, python)

            def spawn(name: str, argv: list[str], env: Mapping[str, str] | None = None) -> None:
                nonlocal instance
                record = _spawn(name, argv, log_dir / f"{name}.log", run, env)
                instance = dataclasses.replace(instance, processes=(*instance.processes, record))
                # Saved after every spawn so that `stop` finds whatever did start.
                _save(instance)

            for name, argv in _commands(instance, python, memcached):
                spawn(name, argv)
            # Swift boots while Keystone's database is made.
            instance = _start_keystone(instance, ks_python, spawn, timeout)
            _save(instance)
            _wait_healthy(instance, timeout)
        except BaseException:
            _teardown(instance, timeout=5)
            raise
        return instance


def _start_keystone(
    instance: SwiftInstance,
    python: Path,
    spawn: Callable[[str, list[str], Mapping[str, str]], None],
    timeout: float,
) -> SwiftInstance:
    """Keystone's database and keys, both servers, then the Selectel-like layout."""
    ks_dir = instance.run_dir / "keystone"
    ports = instance.ports
    try:
        realkeystone.prepare(
            ks_dir, python, ports["keystone"], getpass.getuser(), grp.getgrgid(os.getgid()).gr_name
        )
        for name, argv, env in realkeystone.commands(ks_dir, python, ports):
            spawn(name, argv, env)

        def dead() -> str | None:
            gone = [p for p in _current(instance.run_dir) if not _is_ours(p)]
            return ", ".join(f"{p.name} exited ({_log_tail(p.log, 5)})" for p in gone) or None

        realkeystone.wait_ready([ports["keystone"], ports["keystone-short"]], timeout, dead)
        layout = realkeystone.build_layout(
            ports["keystone"],
            ports["keystone-short"],
            {r: ports[_keystone_proxy(r)] for r in realkeystone.REGIONS},
        )
    except realkeystone.RealKeystoneError as exc:
        raise RealSwiftError(f"{exc} (logs in {instance.log_dir})") from exc
    current = _load(instance.run_dir)
    assert current is not None
    return dataclasses.replace(current, keystone=layout)


def _current(run_dir: Path) -> tuple[ProcessRecord, ...]:
    loaded = _load(run_dir)
    return loaded.processes if loaded is not None else ()


def stop(run_dir: Path | str | None = None, *, timeout: float = 10.0) -> bool:
    """Stop exactly the processes ``start`` recorded and remove the data dir.

    Returns False when nothing was recorded as running. Logs and configuration stay in the
    run dir for post-mortems.
    """
    run = _resolve(run_dir)
    with _locked(run):
        instance = _load(run)
        if instance is None:
            return False
        _teardown(instance, timeout)
        return True


def status(run_dir: Path | str | None = None) -> tuple[SwiftInstance | None, str | None]:
    """``(instance, problem)``: instance None when not started; problem None when healthy."""
    instance = _load(_resolve(run_dir))
    if instance is None:
        return None, "not started"
    return instance, _check(instance)


# --------------------------------------------------------------------------- command line


def _describe(instance: SwiftInstance) -> str:
    lines = [
        f"real Swift {instance.swift_version} on {instance.base_url}",
        f"  auth URL : {instance.auth_url}  (v1: X-Auth-User / X-Auth-Key)",
        f"  info     : {instance.info_url}",
    ]
    for u in instance.users:
        roles = " ".join(u.roles) or "(no roles)"
        lines.append(
            f"  user     : {u.name} / {u.key}  {roles}  -> {instance.storage_url(u.account)}"
        )
    ks = instance.keystone
    if ks is not None:
        lines += [
            f"  keystone : {ks.auth_url}  (Keystone {instance.keystone_version}, tokens 1 h)",
            f"  keystone : {ks.short_auth_url}  (tokens {realkeystone.SHORT_TOKEN_SECONDS} s)",
            f"  domain   : {ks.account_id}  project {ks.project_name} ({ks.project_id})",
        ]
        lines += [
            f"  user     : {u.name} / {u.password}  {u.role}"
            for u in (ks.service_user, ks.reader_user)
        ]
        lines += [f"  endpoint : {where:<12} {url}" for where, url in ks.endpoints.items()]
    lines += [
        f"  data     : {instance.data_dir}",
        f"  logs     : {instance.log_dir}",
        f"  state    : {_state_path(instance.run_dir)}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--dir", type=Path, default=None, help=f"run dir (default {DEFAULT_RUN_DIR})"
    )
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", parents=[common], help="install if needed, start, wait")
    p_start.add_argument("--port", type=int, default=None, help="proxy port (default: a free one)")
    p_start.add_argument("--venv", type=Path, default=None, help=f"default {DEFAULT_VENV}")
    p_start.add_argument(
        "--keystone-venv", type=Path, default=None, help=f"default {realkeystone.DEFAULT_VENV}"
    )
    p_start.add_argument("--timeout", type=float, default=60.0, help="seconds to become healthy")
    sub.add_parser("stop", parents=[common], help="stop the recorded processes, drop the data")
    sub.add_parser("status", parents=[common], help="print the state and check health")
    sub.add_parser("env", parents=[common], help="print export lines for the test suites")
    args = parser.parse_args(argv)

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        if args.command == "start":
            began = time.monotonic()
            started = start(
                args.dir,
                port=args.port,
                venv=args.venv,
                keystone_venv=args.keystone_venv,
                timeout=args.timeout,
                say=say,
            )
            print(_describe(started))
            where = "" if args.dir is None else f" --dir {shlex.quote(str(args.dir))}"
            took = time.monotonic() - began
            print(f"  ready in {took:.1f} s; stop: python3 {sys.argv[0]} stop{where}")
            return 0
        if args.command == "stop":
            began = time.monotonic()
            if not stop(args.dir):
                print("real Swift is not running (no state file)")
                return 0
            print(f"real Swift stopped in {time.monotonic() - began:.1f} s")
            return 0
        instance, problem = status(args.dir)
        if instance is None:
            say(f"real Swift is not running (no state in {_resolve(args.dir)})")
            return 3
        if args.command == "env":
            if problem is not None:
                say(f"warning: real Swift is not healthy: {problem}")
            for key, value in instance.env().items():
                print(f"export {key}={shlex.quote(value)}")
            return 0 if problem is None else 1
        print(_describe(instance))
        for p in instance.processes:
            print(f"  {p.name:<18} pid {p.pid:<8} {'running' if _is_ours(p) else 'GONE'}")
        print(f"  health   : {problem or 'ok'}")
        return 0 if problem is None else 1
    except RealSwiftError as exc:
        say(f"realswift: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
