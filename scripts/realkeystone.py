"""A real OpenStack Keystone (v3, fernet tokens, sqlite) for ``scripts/realswift.py``.

Not a command of its own: ``realswift.start()`` calls :func:`ensure_venv`, :func:`prepare`,
:func:`commands`, :func:`wait_ready` and :func:`build_layout`, spawns and records the processes
with Swift's, and stops them with Swift's. Keystone lives in its own virtualenv (default
``.venv-keystone/``): its oslo and SQLAlchemy pins are none of the project's business.

Two Keystone servers (gunicorn, one worker with threads each) share one database and one set of
fernet keys: ``keystone`` issues tokens for an hour, ``keystone-short`` for
:data:`SHORT_TOKEN_SECONDS`, so that expiry can be observed in a test. The layout is Selectel's:
a domain named by the account number, a project in it, a service user with the operator role
(``member``), a user with only ``reader``, and object-store endpoints (public, internal, admin)
in two regions, each region served by its own Swift proxy with ``authtoken`` + ``keystoneauth``.
Facts behind each choice: docs/real-swift-observed.md.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

__all__ = [
    "ACCOUNT_ID",
    "DEFAULT_VENV",
    "INTERFACES",
    "REGIONS",
    "SHORT_TOKEN_SECONDS",
    "KeystoneLayout",
    "KeystoneUser",
    "RealKeystoneError",
    "build_layout",
    "commands",
    "endpoint_url",
    "ensure_venv",
    "prepare",
    "swift_filters",
    "wait_ready",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VENV = REPO_ROOT / ".venv-keystone"
KEYSTONE_REQUIREMENTS = ("keystone>=30,<31", "gunicorn>=23")
KEYSTONE_SERIES = "30."
LOOPBACK = "127.0.0.1"
#: The Selectel account number: the name of the domain that holds the users and the project.
ACCOUNT_ID = "123456"
PROJECT_NAME = "realswift-project"
REGIONS = ("ru-1", "ru-7")
INTERFACES = ("public", "internal", "admin")
#: Token lifetime of the second Keystone endpoint (same database and keys).
SHORT_TOKEN_SECONDS = 20
OPERATOR_ROLE = "member"
READER_ROLE = "reader"
# Test-bed passwords on loopback; tests register them as secrets for the leak scan.
ADMIN_PASSWORD = "realswift-keystone-admin-password"
SERVICE_USER = ("realswift-service-user", "realswift-service-password")
READER_USER = ("realswift-reader-user", "realswift-reader-password")

# oslo.config parses the host process's argv: gunicorn's flags would be read as Keystone's.
_WSGI_MODULE = """\
import sys

sys.argv = sys.argv[:1]
from keystone.server.wsgi import initialize_public_application

application = initialize_public_application()
"""


class RealKeystoneError(RuntimeError):
    """Keystone could not be installed, configured or populated."""


@dataclasses.dataclass(frozen=True)
class KeystoneUser:
    """A Keystone user in the account's domain with one role on the project."""

    name: str
    password: str
    user_id: str
    role: str


@dataclasses.dataclass(frozen=True)
class KeystoneLayout:
    """What a test needs to know about the running Keystone (JSON in ``state.json``)."""

    auth_url: str
    short_auth_url: str
    account_id: str
    domain_id: str
    project_id: str
    project_name: str
    service_user: KeystoneUser
    reader_user: KeystoneUser
    admin_password: str
    regions: tuple[str, ...]
    #: ``"<region>/<interface>"`` -> the object-store URL of the project in the catalog.
    endpoints: Mapping[str, str]

    def to_json(self) -> dict[str, Any]:
        """JSON form (also what ``SWIFT_KEYSTONE`` holds for the test suites)."""
        data = dataclasses.asdict(self)
        data["regions"] = list(self.regions)
        data["endpoints"] = dict(self.endpoints)
        return data

    @classmethod
    def from_json(cls, data: Any) -> KeystoneLayout:
        """Parse :meth:`to_json` output; raises ``KeyError``/``TypeError`` when malformed."""
        return cls(
            auth_url=str(data["auth_url"]),
            short_auth_url=str(data["short_auth_url"]),
            account_id=str(data["account_id"]),
            domain_id=str(data["domain_id"]),
            project_id=str(data["project_id"]),
            project_name=str(data["project_name"]),
            service_user=KeystoneUser(**data["service_user"]),
            reader_user=KeystoneUser(**data["reader_user"]),
            admin_password=str(data["admin_password"]),
            regions=tuple(str(r) for r in data["regions"]),
            endpoints={str(k): str(v) for k, v in data["endpoints"].items()},
        )


# --------------------------------------------------------------------------- installation


def _run(argv: list[str], *, what: str, env: Mapping[str, str] | None = None) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip()[-3000:]
        raise RealKeystoneError(f"{what} failed ({' '.join(argv)}):\n{tail}")
    return proc.stdout


def _venv_version(python: Path) -> str | None:
    if not python.exists():
        return None
    probe = "import gunicorn, keystone.server.wsgi; from importlib.metadata import version as v; "
    proc = subprocess.run(
        [str(python), "-I", "-c", probe + "print(v('keystone'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    version = proc.stdout.strip()
    return version if proc.returncode == 0 and version.startswith(KEYSTONE_SERIES) else None


def ensure_venv(venv: Path, say: Callable[[str], None]) -> tuple[Path, str]:
    """(python, keystone version) of a virtualenv with Keystone and gunicorn, made if missing."""
    python = venv / "bin" / "python"
    version = _venv_version(python)
    if version is not None:
        return python, version
    if venv.exists():
        if not (venv / "pyvenv.cfg").exists():
            raise RealKeystoneError(f"{venv} exists and is not a virtualenv; remove it")
        say(f"virtualenv {venv} has no usable Keystone {KEYSTONE_SERIES}x: recreating it")
        shutil.rmtree(venv)
    say(f"installing {' '.join(KEYSTONE_REQUIREMENTS)} into {venv}")
    uv = shutil.which("uv")
    if uv is not None:
        _run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], what="uv venv")
        _run(
            [uv, "pip", "install", "--quiet", "--python", str(python), *KEYSTONE_REQUIREMENTS],
            what="installing Keystone",
        )
    else:
        _run([sys.executable, "-m", "venv", str(venv)], what="creating the Keystone virtualenv")
        _run(
            [str(python), "-m", "pip", "install", "--quiet", *KEYSTONE_REQUIREMENTS],
            what="installing Keystone",
        )
    version = _venv_version(python)
    if version is None:
        raise RealKeystoneError(
            f"Keystone {KEYSTONE_SERIES}x is still not importable from {python}"
        )
    return python, version


# --------------------------------------------------------------------------- configuration


def _conf(ks_dir: Path, expiration: int) -> str:
    # Four slashes: sqlite:// plus an absolute path.
    return "\n".join(
        [
            "[DEFAULT]",
            "[database]",
            f"connection = sqlite:///{ks_dir / 'keystone.db'}",
            # In-process caches (validation, roles, catalog): without them every request to the
            # Keystone proxies costs a slow validation. Revocations reach the cache of the
            # server that takes them, the one authtoken validates against.
            "[cache]",
            "enabled = true",
            "backend = dogpile.cache.memory",
            "[identity]",
            # bcrypt's default 12 rounds cost a third of a second of CPU per token request.
            "password_hash_rounds = 4",
            "[token]",
            "provider = fernet",
            f"expiration = {expiration}",
            "[fernet_tokens]",
            f"key_repository = {ks_dir / 'fernet-keys'}",
            "[fernet_receipts]",
            f"key_repository = {ks_dir / 'fernet-keys'}",
            "[credential]",
            f"key_repository = {ks_dir / 'credential-keys'}",
            "",
        ]
    )


def prepare(ks_dir: Path, python: Path, port: int, user: str, group: str) -> None:
    """Configuration, database, fernet and credential keys, bootstrap admin; from scratch."""
    shutil.rmtree(ks_dir, ignore_errors=True)
    # fernet_setup and credential_setup make their key folders, readable by the owner only.
    for sub in ("main", "short"):
        (ks_dir / sub).mkdir(parents=True)
    (ks_dir / "main" / "keystone.conf").write_text(_conf(ks_dir, 3600))
    (ks_dir / "short" / "keystone.conf").write_text(_conf(ks_dir, SHORT_TOKEN_SECONDS))
    (ks_dir / "keystone_wsgi.py").write_text(_WSGI_MODULE)
    manage = [str(python.parent / "keystone-manage"), "--config-file", str(_conf_file(ks_dir))]
    owner = ["--keystone-user", user, "--keystone-group", group]
    # Independent of one another; each costs a few seconds of imports.
    with ThreadPoolExecutor(3) as pool:
        jobs = [
            pool.submit(_run, [*manage, "db_sync"], what="keystone-manage db_sync"),
            pool.submit(_run, [*manage, "fernet_setup", *owner], what="fernet_setup"),
            pool.submit(_run, [*manage, "credential_setup", *owner], what="credential_setup"),
        ]
        for job in jobs:
            job.result()
    _run(
        [
            *manage,
            "bootstrap",
            "--bootstrap-password",
            ADMIN_PASSWORD,
            "--bootstrap-public-url",
            f"http://{LOOPBACK}:{port}/v3",
            "--bootstrap-region-id",
            REGIONS[0],
        ],
        what="keystone-manage bootstrap",
    )


def _conf_file(ks_dir: Path) -> Path:
    return ks_dir / "main" / "keystone.conf"


def commands(
    ks_dir: Path, python: Path, ports: Mapping[str, int]
) -> list[tuple[str, list[str], dict[str, str]]]:
    """(name, argv, extra environment) of both Keystone servers."""
    out = []
    for name, conf in (("keystone", "main"), ("keystone-short", "short")):
        argv = [
            str(python),
            "-m",
            "gunicorn",
            "--bind",
            f"{LOOPBACK}:{ports[name]}",
            "--workers",
            "1",
            "--threads",
            "8",
            "--chdir",
            str(ks_dir),
            "--access-logfile",
            "-",
            "keystone_wsgi:application",
        ]
        out.append((name, argv, {"OS_KEYSTONE_CONFIG_DIR": str(ks_dir / conf)}))
    return out


def endpoint_url(region: str, interface: str, port: int) -> str:
    """Catalog URL template of one object-store endpoint (Keystone fills in the project id).

    Each region has its own proxy port; the interfaces of a region differ in how they name the
    same proxy (``127.0.0.1`` / ``localhost``, ``/v1`` / ``/v1.0``), so a test can tell which
    endpoint a client picked and every one of them answers.
    """
    host = "localhost" if interface == "internal" else LOOPBACK
    version = "v1.0" if interface == "admin" else "v1"
    return f"http://{host}:{port}/{version}/$(project_id)s"


def swift_filters(keystone_port: int) -> dict[str, dict[str, str | int]]:
    """The ``authtoken`` and ``keystoneauth`` sections of the Keystone proxies."""
    return {
        "filter:authtoken": {
            "paste.filter_factory": "keystonemiddleware.auth_token:filter_factory",
            "www_authenticate_uri": f"http://{LOOPBACK}:{keystone_port}/v3",
            "auth_url": f"http://{LOOPBACK}:{keystone_port}/v3",
            "auth_type": "password",
            "interface": "public",
            "username": "admin",
            "password": ADMIN_PASSWORD,
            "user_domain_id": "default",
            "project_name": "admin",
            "project_domain_id": "default",
            # TempURL and FormPost requests carry no token: keystoneauth decides later.
            "delay_auth_decision": "true",
            # The default caches a validated token for 300 s: a revoked one would still pass.
            "token_cache_time": -1,
            "include_service_catalog": "false",
        },
        "filter:keystoneauth": {
            "use": "egg:swift#keystoneauth",
            # Selectel's storage URLs are /v1/<project id>, without AUTH_.
            "reseller_prefix": "''",
            # The default (admin, swiftoperator) lets none of bootstrap's roles write.
            "operator_roles": f"admin, {OPERATOR_ROLE}",
            "reseller_admin_role": "ResellerAdmin",
        },
    }


# --------------------------------------------------------------------------- health, layout


def _call(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    token: str | None = None,
    timeout: float = 10,
) -> tuple[int, dict[str, str], Any]:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token is not None:
        headers["X-Auth-Token"] = token
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        reply = conn.getresponse()
        raw = reply.read()
        data = (
            json.loads(raw)
            if raw and reply.getheader("Content-Type", "").startswith("application/json")
            else None
        )
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}, data
    finally:
        conn.close()


def check(port: int) -> str | None:
    """None when Keystone answers ``GET /v3``; otherwise why not."""
    try:
        status, _headers, _data = _call(port, "GET", "/v3", timeout=3)
    except (OSError, http.client.HTTPException) as exc:
        return f"keystone on {port} not answering: {exc!r}"
    return None if status == 200 else f"keystone on {port} answered {status}"


def wait_ready(ports: list[int], timeout: float, alive: Callable[[], str | None]) -> None:
    """Wait until every Keystone port answers; ``alive()`` names a process that died."""
    deadline = time.monotonic() + timeout
    for port in ports:
        while (problem := check(port)) is not None:
            dead = alive()
            if dead is not None or time.monotonic() > deadline:
                raise RealKeystoneError(f"Keystone did not become ready: {dead or problem}")
            time.sleep(0.1)


def _expect(result: tuple[int, dict[str, str], Any], what: str) -> Any:
    status, _headers, data = result
    if status // 100 != 2:
        raise RealKeystoneError(f"{what} answered {status}: {data}")
    return data


def build_layout(port: int, short_port: int, proxy_ports: Mapping[str, int]) -> KeystoneLayout:
    """Create the Selectel-like domain, project, users, roles, regions and endpoints."""
    scope = {"project": {"name": "admin", "domain": {"id": "default"}}}
    auth = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": "admin",
                        "domain": {"id": "default"},
                        "password": ADMIN_PASSWORD,
                    }
                },
            },
            "scope": scope,
        }
    }
    status, headers, _ = _call(port, "POST", "/v3/auth/tokens", auth)
    if status != 201:
        raise RealKeystoneError(f"admin token answered {status}")
    token = headers["x-subject-token"]

    def api(method: str, path: str, body: Any = None) -> Any:
        return _expect(_call(port, method, path, body, token), f"{method} {path}")

    roles = {r["name"]: r["id"] for r in api("GET", "/v3/roles")["roles"]}
    for region in REGIONS[1:]:
        api("POST", "/v3/regions", {"region": {"id": region}})
    service = api("POST", "/v3/services", {"service": {"type": "object-store", "name": "swift"}})
    for region in REGIONS:
        for interface in INTERFACES:
            api(
                "POST",
                "/v3/endpoints",
                {
                    "endpoint": {
                        "service_id": service["service"]["id"],
                        "region_id": region,
                        "interface": interface,
                        "url": endpoint_url(region, interface, proxy_ports[region]),
                    }
                },
            )
    domain = api("POST", "/v3/domains", {"domain": {"name": ACCOUNT_ID}})["domain"]
    project = api(
        "POST", "/v3/projects", {"project": {"name": PROJECT_NAME, "domain_id": domain["id"]}}
    )["project"]
    users = []
    for (name, password), role in ((SERVICE_USER, OPERATOR_ROLE), (READER_USER, READER_ROLE)):
        body = {"user": {"name": name, "password": password, "domain_id": domain["id"]}}
        user = api("POST", "/v3/users", body)["user"]
        api("PUT", f"/v3/projects/{project['id']}/users/{user['id']}/roles/{roles[role]}")
        users.append(KeystoneUser(name, password, user["id"], role))
    endpoints = {
        f"{region}/{interface}": endpoint_url(region, interface, proxy_ports[region]).replace(
            "$(project_id)s", project["id"]
        )
        for region in REGIONS
        for interface in INTERFACES
    }
    return KeystoneLayout(
        auth_url=f"http://{LOOPBACK}:{port}/v3",
        short_auth_url=f"http://{LOOPBACK}:{short_port}/v3",
        account_id=ACCOUNT_ID,
        domain_id=domain["id"],
        project_id=project["id"],
        project_name=PROJECT_NAME,
        service_user=users[0],
        reader_user=users[1],
        admin_password=ADMIN_PASSWORD,
        regions=REGIONS,
        endpoints=endpoints,
    )


def _password_auth(user: KeystoneUser, account_id: str, project_id: str) -> dict[str, Any]:
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": user.name,
                        "domain": {"name": account_id},
                        "password": user.password,
                    }
                },
            },
            "scope": {"project": {"id": project_id}},
        }
    }


def check_storage(layout: KeystoneLayout) -> str | None:
    """None when the service user's token opens the project's account in every region."""
    port = int(layout.auth_url.rsplit(":", 1)[1].split("/", 1)[0])
    body = _password_auth(layout.service_user, layout.account_id, layout.project_id)
    status, headers, _ = _call(port, "POST", "/v3/auth/tokens", body)
    if status != 201:
        return f"Keystone token for {layout.service_user.name} answered {status}"
    for region in layout.regions:
        url = layout.endpoints[f"{region}/public"]
        netloc, path = url.split("://", 1)[1].split("/", 1)
        conn = http.client.HTTPConnection(netloc, timeout=10)
        try:
            conn.request("HEAD", "/" + path, headers={"X-Auth-Token": headers["x-subject-token"]})
            reply = conn.getresponse()
            reply.read()
        finally:
            conn.close()
        if reply.status // 100 != 2:
            return f"HEAD {url} with a Keystone token answered {reply.status}"
    return None
