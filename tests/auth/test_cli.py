"""The selectel-auth command line: formats, exit codes, password only from env or stdin."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from selectel_auth import AccessToken
from selectel_auth.cli import main

from tests.auth.test_keystone import storage_status

if TYPE_CHECKING:
    from tests.fakeswift import FakeSwift
    from tests.fakeswift.real import RealSwift

REPO = Path(__file__).resolve().parents[2]


def _selectel_env(
    target: FakeSwift | RealSwift, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in list(os.environ):
        if name.startswith("SELECTEL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("SELECTEL_AUTH_URL", target.auth_v3_url)
    monkeypatch.setenv("SELECTEL_USERNAME", target.v3.name)
    monkeypatch.setenv("SELECTEL_PASSWORD", target.v3.password)
    monkeypatch.setenv("SELECTEL_ACCOUNT_ID", target.v3.account_id)
    monkeypatch.setenv("SELECTEL_PROJECT_ID", target.v3.project_id)
    monkeypatch.setenv("SELECTEL_REGION", target.v3.region)


@pytest.fixture
def v3_env(
    swift: FakeSwift | RealSwift, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> FakeSwift | RealSwift:
    """SELECTEL_* for the Keystone service user of the target (fake or real)."""
    _selectel_env(swift, monkeypatch, tmp_path)
    return swift


@pytest.fixture
def fake_v3_env(
    fake_swift: FakeSwift, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> FakeSwift:
    """SELECTEL_* for the fake's Keystone user, for tests that need its fault switches."""
    _selectel_env(fake_swift, monkeypatch, tmp_path)
    return fake_swift


def test_token_json(v3_env: FakeSwift | RealSwift, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert set(data) == {"token", "storage_url", "expires_at"}
    assert data["storage_url"] == v3_env.storage_url(v3_env.v3.project_id).rstrip("/")
    assert data["expires_at"].endswith("Z")
    assert data["token"].startswith("gAAAAAB")
    assert err == ""


def test_token_env_lines_for_swiftclient_and_rclone(
    v3_env: FakeSwift | RealSwift, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "--format", "env"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    parsed = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in lines)
    assert set(parsed) == {"OS_AUTH_TOKEN", "OS_STORAGE_URL"}
    assert parsed["OS_STORAGE_URL"] == v3_env.storage_url(v3_env.v3.project_id).rstrip("/")


def test_token_header(v3_env: FakeSwift | RealSwift, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "--format", "header"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("X-Auth-Token: gAAAAAB") and out.count("\n") == 1


def test_check_reports_without_token(
    v3_env: FakeSwift | RealSwift, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: KeystoneCredential(")
    assert f"storage URL: {v3_env.storage_url(v3_env.v3.project_id).rstrip('/')}" in out
    assert re.search(
        r"^token expires: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in \d+h\d\dm\)$", out, re.M
    )
    assert "gAAAAAB" not in out
    assert v3_env.v3.password not in out


def test_flags_override_env(
    v3_env: FakeSwift | RealSwift,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SELECTEL_REGION", "nowhere-1")
    monkeypatch.setenv("SELECTEL_PROJECT_ID", "wrong")
    argv = [
        "check",
        "--region",
        v3_env.v3.region,
        "--project-name",
        v3_env.v3.project_name,
    ]
    assert main(argv) == 0, capsys.readouterr().err


def test_password_from_stdin(
    v3_env: FakeSwift | RealSwift,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SELECTEL_PASSWORD")
    monkeypatch.setattr(sys, "stdin", io.StringIO(v3_env.v3.password + "\n"))
    assert main(["check", "--password-stdin"]) == 0
    assert "ok:" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv", [["token", "--password", "Se-cret"], ["check", "--password=Se-cret"]]
)
def test_there_is_no_password_flag(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "there is no --password flag" in err and "--password-stdin" in err
    assert "Se-cret" not in err


def test_bad_config_exits_2(
    v3_env: FakeSwift | RealSwift,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SELECTEL_PASSWORD")
    assert main(["token"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("selectel-auth: error: ") and "SELECTEL_PASSWORD" in err
    assert err.count("\n") == 1


def test_bad_credentials_exit_3(
    v3_env: FakeSwift | RealSwift,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SELECTEL_PASSWORD", "Wrong-Pass-123")
    assert main(["check"]) == 3
    err = capsys.readouterr().err
    assert "refused" in err and "Wrong-Pass-123" not in err and err.count("\n") == 1


def test_service_error_exits_4(fake_v3_env: FakeSwift, capsys: pytest.CaptureFixture[str]) -> None:
    fake_v3_env.fail_next(503, times=3, kind="auth")
    assert main(["token", "--timeout", "5"]) == 4
    assert "503" in capsys.readouterr().err


def test_transport_error_exits_4(
    v3_env: FakeSwift | RealSwift, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--auth-url", "http://127.0.0.1:9/identity/v3", "--timeout", "0.5"]) == 4
    assert "failed" in capsys.readouterr().err


def test_v1_with_cacert_and_cache(
    fake_swift_tls: FakeSwift,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in list(os.environ):
        if name.startswith("SELECTEL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("SELECTEL_PASSWORD", fake_swift_tls.v1_key)
    argv = [
        "token",
        "--auth-url",
        fake_swift_tls.auth_v1_url,
        "--username",
        fake_swift_tls.v1_user,
        "--cacert",
        str(fake_swift_tls.ca_path),
        "--cache",
    ]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == first
    assert fake_swift_tls.count(kind="auth") == 1  # the second run read the file cache
    assert list((tmp_path / "selectel-auth").glob("*.json"))


def test_v1_token_and_check(
    swift: FakeSwift | RealSwift,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in list(os.environ):
        if name.startswith("SELECTEL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("SELECTEL_PASSWORD", swift.v1_key)
    flags = ["--auth-url", swift.auth_v1_url, "--username", swift.v1_user]
    assert main(["token", "--format", "json", *flags]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["storage_url"] == swift.storage_url()
    assert data["expires_at"].endswith("Z")
    assert storage_status(AccessToken(data["token"], data["storage_url"])) in (200, 204)
    assert main(["check", *flags]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: SwiftV1Credential(")
    assert f"storage URL: {swift.storage_url()}" in out
    assert data["token"] not in out and swift.v1_key not in out


def test_console_script_in_a_subprocess(v3_env: FakeSwift | RealSwift) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    script = Path(sys.executable).with_name("selectel-auth")  # the installed entry point
    assert script.exists(), "run `uv sync --all-packages` to install the console script"
    result = subprocess.run(
        [str(script), "token", "--format", "env"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("export OS_AUTH_TOKEN=")
    bad = subprocess.run(
        [sys.executable, "-m", "selectel_auth.cli", "check"],
        capture_output=True,
        text=True,
        env={**env, "SELECTEL_PASSWORD": "nope-nope"},
        timeout=60,
        check=False,
    )
    assert bad.returncode == 3
    assert bad.stderr.startswith("selectel-auth: error: ")


@pytest.mark.secrets_in_output
def test_env_output_drives_python_swiftclient(
    v3_env: FakeSwift | RealSwift, capsys: pytest.CaptureFixture[str]
) -> None:
    # What the env format is for: `eval "$(selectel-auth token --format env)"; swift ...`.
    assert main(["token", "--format", "env"]) == 0
    lines = capsys.readouterr().out.splitlines()
    exported = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in lines)
    swift_cli = Path(sys.executable).with_name("swift")
    assert swift_cli.exists(), "python-swiftclient's `swift` command is part of the dev env"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "ST_"))}
    env.update(exported)

    def swift(*argv: str) -> str:
        done = subprocess.run(
            [str(swift_cli), *argv],
            check=False,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    swift("post", "cli-box")
    assert swift("list").split() == ["cli-box"]
    stat = swift("stat", "cli-box")
    assert f"Account: {v3_env.v3.project_id}" in stat  # the bare project id, as on Selectel
