"""The fake outside pytest fixtures: ``serve()`` and ``python -m tests.fakeswift``."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import urllib3

from tests.fakeswift import serve

ROOT = Path(__file__).resolve().parents[2]


def test_serve_in_a_thread() -> None:
    with serve() as running:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", running.base_url)
        reply = urllib3.request(
            "GET",
            running.fake.auth_v1_url,
            headers={"X-Auth-User": "test2:tester2", "X-Auth-Key": "testing2"},
        )
        assert reply.status == 200
        assert reply.headers["X-Storage-Url"] == running.base_url + "/v1/AUTH_test2"
    assert not running.server.is_running()
    running.stop()  # a second stop is harmless


def test_module_command_with_tls(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakeswift",
            "--port",
            "0",
            "--tls",
            "--ca-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        while True:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "no output"
            lines.append(line)
            if "CA bundle" in line:
                break
        text = "".join(lines)
        base = re.search(r"listening on (https://127\.0\.0\.1:\d+)", text)
        assert base, text
        assert "test:tester / testing" in text
        assert "/auth/v1.0" in text and "/identity/v3" in text
        ca = str(tmp_path / "fakeswift-ca.pem")
        assert ca in text
        http = urllib3.PoolManager(ca_certs=ca, retries=False, timeout=5)
        info = http.request("GET", base.group(1) + "/info")
        assert info.status == 200
        assert "tempurl" in json.loads(info.data)
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        if proc.stdout:
            proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()
