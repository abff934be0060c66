"""What a person at a terminal sees: the bar through a real pty, Ctrl-C mid-transfer."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, make_tree
from tests.fakeswift.app import FakeSwift

Capsys = pytest.CaptureFixture[str]
CLEAR = "\r\x1b[K"


def _run_on_pty(cli: Cli, *args: str, timeout: float = 60) -> tuple[int, str]:
    """Run with stderr on a pseudo-terminal; returns the exit code and what the terminal got."""
    master, slave = pty.openpty()
    proc = cli.process(*args, stderr=slave, stdout=subprocess.DEVNULL)
    os.close(slave)
    seen = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    return proc.wait(timeout=10), seen.decode()


def test_the_bar_is_drawn_in_place_on_a_terminal(cli: Cli) -> None:
    make_tree(cli.cwd / "d", {f"{i:02d}.bin": os.urandom(20_000) for i in range(40)})
    code, screen = _run_on_pty(cli, "upload", "c", "d", "--threads", "2")
    assert code == 0, screen
    assert CLEAR in screen
    bars = [part for part in screen.split(CLEAR) if part]
    assert any(re.search(r"upload \d+/40 files  .*B/.* B/s", bar) for bar in bars), bars
    # The bar is replaced by the summary, and nothing printed a line per file.
    assert (
        screen.rstrip()
        .splitlines()[-1]
        .endswith(screen.rstrip().rsplit(CLEAR, 1)[-1].splitlines()[-1])
    )
    assert screen.count("\n") <= 2
    assert "upload: 40 files, 781.2 KiB" in screen


def test_quiet_prints_nothing_even_on_a_terminal(cli: Cli) -> None:
    make_tree(cli.cwd / "d", {"a": b"a"})
    code, screen = _run_on_pty(cli, "upload", "c", "d", "-q")
    assert code == 0 and screen == ""


def test_bar_shows_rate_and_eta_mid_transfer(fake_swift: FakeSwift, cli: Cli) -> None:
    make_tree(cli.cwd / "d", {f"{i}.bin": os.urandom(50_000) for i in range(8)})
    fake_swift.delay_next(0.3, times=6, method="PUT", kind="object")
    code, screen = _run_on_pty(cli, "upload", "c", "d", "--threads", "1")
    assert code == 0, screen
    assert re.search(
        r"\[#+ *\] upload [1-7]/8 files  \d+\.\d KiB/390\.6 KiB  .* ETA \d:\d\d", screen
    ), screen


def _wait_for(check: object, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def test_ctrl_c_mid_download_keeps_a_resumable_partial_file(
    fake_swift: FakeSwift, cli: Cli, capsys: Capsys
) -> None:
    data = os.urandom(800_000)
    make_tree(cli.cwd, {"big.bin": data})
    assert cli("upload", "c", "big.bin", "-q", capsys=capsys).code == 0
    out = cli.cwd / "out"
    out.mkdir()
    fake_swift.trickle_next(chunk_size=8192, interval=0.01, method="GET", kind="object")
    proc = cli.process("download", "c", "big.bin", "-D", "out")
    _wait_for(lambda: any(p.stat().st_size for p in out.glob(".big.bin.*.part")))
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert b"interrupted" in err and b"Traceback" not in err
    assert not (out / "big.bin").exists()
    [partial] = out.glob(".big.bin.*.part")
    kept = partial.stat().st_size
    assert 0 < kept < len(data)
    fake_swift.requests.clear()
    assert cli("download", "c", "big.bin", "-D", "out", "-q", capsys=capsys).code == 0
    assert (out / "big.bin").read_bytes() == data
    [get] = [r for r in fake_swift.requests if r.method == "GET" and r.kind == "object"]
    assert {k.lower(): v for k, v in get.headers.items()}["range"] == f"bytes={kept}-"


def test_ctrl_c_mid_upload_stores_no_partial_object(
    fake_swift: FakeSwift, cli: Cli, capsys: Capsys
) -> None:
    make_tree(cli.cwd, {"big.bin": os.urandom(400_000)})
    fake_swift.delay_next(1.0, times=50, method="PUT", path=re.compile(r"_segments/"))
    proc = cli.process("upload", "c", "big.bin", "--segment-size", "64K", "--threads", "2")
    _wait_for(lambda: fake_swift.count(kind="object", method="PUT") >= 1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert b"no partial object was stored" in err
    fake_swift.faults.reset()
    assert cli("stat", "c", "big.bin", capsys=capsys).code == 4
    # Running it again finishes the job (the stored segments are reused).
    assert cli("upload", "c", "big.bin", "--segment-size", "64K", "-q", capsys=capsys).code == 0
    assert cli("stat", "c", "big.bin", capsys=capsys).code == 0


def test_files_without_a_terminal_get_no_escape_codes(cli: Cli, tmp_path: Path) -> None:
    make_tree(cli.cwd / "d", {f"{i}": b"x" for i in range(50)})
    result = cli.run("upload", "c", "d")
    assert result.code == 0
    assert "\x1b" not in result.err and "\r" not in result.err
    assert result.err.count("\n") == 1 and result.err.startswith("upload: 50 files")
