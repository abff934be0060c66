"""upload and download: round trips, large objects, resuming, MD5, bad input and faults."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, make_tree
from tests.fakeswift.app import FakeSwift

Capsys = pytest.CaptureFixture[str]
BIG = os.urandom(300_000)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_upload_and_download_a_folder(cli: Cli, capsys: Capsys) -> None:
    files = {f"f{i:02d}.txt": os.urandom(100 + i) for i in range(30)} | {"sub/x/y.bin": BIG}
    make_tree(cli.cwd / "site", files)
    up = cli("upload", "c", "site", "--threads", "4", capsys=capsys)
    assert up.code == 0, up.err
    # Not a terminal: no escape codes, no line per file, one summary line.
    assert "\x1b" not in up.err and "\r" not in up.err
    assert up.err.splitlines() == [up.err.splitlines()[0]]
    assert up.err.startswith("upload: 31 files, ")
    down = cli("download", "c", "-D", "restore", capsys=capsys)
    assert down.code == 0, down.err
    assert _tree(cli.cwd / "restore" / "site") == files
    assert not list((cli.cwd / "restore").rglob(".*"))  # no partial files left


def test_object_name_prefix_and_output_file(cli: Cli, capsys: Capsys) -> None:
    make_tree(cli.cwd, {"dist/app.js": b"js", "notes.txt": b"n"})
    assert cli("upload", "c", "dist", "--object-name", "v2", "-q", capsys=capsys).code == 0
    assert cli("upload", "c", "./notes.txt", "-q", capsys=capsys).code == 0
    assert cli("list", "c", capsys=capsys).out.split() == ["notes.txt", "v2/app.js"]
    assert cli("download", "c", "v2/app.js", "-o", "out.js", "-q", capsys=capsys).code == 0
    assert (cli.cwd / "out.js").read_bytes() == b"js"
    stdout = cli.run("download", "c", "notes.txt", "-o", "-")
    assert stdout.code == 0 and stdout.out == "n"
    strip = cli("download", "c", "-p", "v2/", "--remove-prefix", "-D", "r", "-q", capsys=capsys)
    assert strip.code == 0 and (cli.cwd / "r" / "app.js").read_bytes() == b"js"


def test_segmented_upload_above_the_segment_size(cli: Cli, capsys: Capsys) -> None:
    make_tree(cli.cwd, {"big.bin": BIG, "small.bin": b"s"})
    result = cli("upload", "c", "big.bin", "small.bin", "--segment-size", "64K", capsys=capsys)
    assert result.code == 0, result.err
    big = json.loads(cli("stat", "c", "big.bin", "--json", capsys=capsys).out)
    assert big["large"] is True and big["size"] == len(BIG)
    assert json.loads(cli("stat", "c", "small.bin", "--json", capsys=capsys).out)["large"] is False
    segments = json.loads(cli("list", "c_segments", "--json", capsys=capsys).out)
    assert len(segments) == 5 and all(s["size"] <= 65536 for s in segments)
    assert cli("download", "c", "big.bin", "-o", "back.bin", "-q", capsys=capsys).code == 0
    assert (cli.cwd / "back.bin").read_bytes() == BIG
    assert cli("delete", "c", "big.bin", "-q", capsys=capsys).code == 0
    assert json.loads(cli("list", "c_segments", "--json", capsys=capsys).out) == []


def test_skip_identical_uploads_only_changes(cli: Cli, capsys: Capsys) -> None:
    make_tree(cli.cwd / "d", {"same": b"1", "changed": b"2"})
    assert cli("upload", "c", "d", "-q", capsys=capsys).code == 0
    (cli.cwd / "d" / "changed").write_bytes(b"3")
    result = cli("upload", "c", "d", "--skip-identical", capsys=capsys)
    assert result.code == 0 and "2 files (1 skipped)" in result.err
    assert cli("download", "c", "d/changed", "-o", "x", "-q", capsys=capsys).code == 0
    assert (cli.cwd / "x").read_bytes() == b"3"


def test_missing_paths_symlink_loops_and_refused_names(cli: Cli, capsys: Capsys) -> None:
    root = make_tree(cli.cwd / "d", {"ok.txt": b"fine"})
    (root / "loop").symlink_to(root)
    (root / "dangling").symlink_to(root / "nowhere")
    long_dir = root.joinpath(*["x" * 200] * 6)
    long_dir.mkdir(parents=True)
    (long_dir / "deep.txt").write_bytes(b"too long a name")
    with open(os.fsencode(root) + b"/bad-\xff.txt", "wb") as bad:
        bad.write(b"not utf-8")
    result = cli("upload", "c", "d", "missing-dir", capsys=capsys)
    assert result.code == 1
    err = result.err
    assert "upload missing-dir: no such file or folder" in err
    assert "symbolic link loop" in err and "dangling symbolic link" in err
    assert "Swift allows 1024" in err
    assert "bad-\\xff.txt: the file name is not valid UTF-8" in err
    assert cli("list", "c", capsys=capsys).out.split() == ["d/ok.txt"]  # the rest went up


def test_download_never_leaves_a_partial_file_under_the_final_name(
    cli: Cli, capsys: Capsys
) -> None:
    make_tree(cli.cwd, {"big.bin": BIG})
    assert cli("upload", "c", "big.bin", "-q", capsys=capsys).code == 0
    out = cli.cwd / "out"
    out.mkdir()
    # A file-size limit makes the write fail half way, as a full disk would.
    limit = len(BIG) // 2

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = cli.process("download", "c", "big.bin", "-D", "out", preexec_fn=small_disk)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert b"download big.bin: File too large" in err
    assert not (out / "big.bin").exists()
    [partial] = out.glob(".big.bin.*.part")
    assert partial.stat().st_size == limit
    # The next run resumes from there and verifies the whole.
    assert cli("download", "c", "big.bin", "-D", "out", "-q", capsys=capsys).code == 0
    assert (out / "big.bin").read_bytes() == BIG
    assert not list(out.glob(".*"))


def test_download_resumes_with_range_and_if_match(
    fake_swift: FakeSwift, cli: Cli, capsys: Capsys
) -> None:
    make_tree(cli.cwd, {"big.bin": BIG})
    assert cli("upload", "c", "big.bin", "-q", capsys=capsys).code == 0
    etag = hashlib.md5(BIG).hexdigest()
    (cli.cwd / f".big.bin.{etag}.part").write_bytes(BIG[:100_000])
    (cli.cwd / ".big.bin.0123456789abcdef0123456789abcdef.part").write_bytes(b"stale")
    assert cli("download", "c", "big.bin", "-q", capsys=capsys).code == 0
    assert (cli.cwd / "big.bin").read_bytes() == BIG
    [get] = [r for r in fake_swift.requests if r.method == "GET" and r.kind == "object"]
    headers = {k.lower(): v for k, v in get.headers.items()}
    assert headers["range"] == "bytes=100000-"
    assert headers["if-match"].strip('"') == etag
    assert sorted(p.name for p in cli.cwd.iterdir()) == ["big.bin"]


def test_a_corrupt_partial_file_is_discarded_not_renamed(cli: Cli, capsys: Capsys) -> None:
    make_tree(cli.cwd, {"big.bin": BIG})
    assert cli("upload", "c", "big.bin", "-q", capsys=capsys).code == 0
    etag = hashlib.md5(BIG).hexdigest()
    out = cli.cwd / "out"
    out.mkdir()
    # Right ETag in the name, wrong bytes inside: the MD5 check catches it.
    (out / f".big.bin.{etag}.part").write_bytes(b"x" * 1000)
    result = cli("download", "c", "big.bin", "-D", "out", capsys=capsys)
    assert result.code == 1 and "does not match the ETag" in result.err
    assert not list(out.iterdir())
    assert cli("download", "c", "big.bin", "-D", "out", "-q", capsys=capsys).code == 0
    assert (out / "big.bin").read_bytes() == BIG


def test_a_persistent_503_names_the_object_and_the_rest_arrive(
    fake_swift: FakeSwift, cli: Cli, capsys: Capsys
) -> None:
    make_tree(cli.cwd / "d", {f"{i}.txt": b"x" for i in range(5)})
    fake_swift.fail_next(503, times=100, method="PUT", path="/c/d/3.txt")
    result = cli("upload", "c", "d", "--retries", "1", capsys=capsys)
    assert result.code == 1
    assert "error: upload d/3.txt:" in result.err and "503" in result.err
    assert cli("list", "c", capsys=capsys).out.split() == [f"d/{i}.txt" for i in (0, 1, 2, 4)]


def test_a_401_mid_run_reauthenticates(fake_swift: FakeSwift, cli: Cli, capsys: Capsys) -> None:
    make_tree(cli.cwd / "d", {f"{i}.txt": b"x" for i in range(6)})
    fake_swift.fail_next(401, times=1, method="PUT", path="/c/d/2.txt")
    result = cli("upload", "c", "d", "--threads", "1", capsys=capsys)
    assert result.code == 0, result.err
    assert len(cli("list", "c", capsys=capsys).out.split()) == 6
    assert fake_swift.count(kind="auth") == 2


def test_token_cache_is_shared_between_runs(
    fake_swift: FakeSwift, cli: Cli, capsys: Capsys
) -> None:
    assert cli("list", capsys=capsys).code == 0
    assert cli("list", capsys=capsys).code == 0
    assert fake_swift.count(kind="auth") == 1
    cached = list((Path(cli.env["XDG_CACHE_HOME"])).rglob("*.json"))
    assert cached, "the token went to selectel-auth's file cache"
    assert fake_swift.v1_key not in cached[0].read_text()


def test_unsafe_object_names_are_not_written_outside_the_folder(
    cli: Cli, capsys: Capsys, tmp_path: Path
) -> None:
    make_tree(cli.cwd, {"f": b"evil"})
    assert cli("upload", "c", "f", "--object-name", "../escape", "-q", capsys=capsys).code == 0
    assert cli("upload", "c", "f", "--object-name", "fine", "-q", capsys=capsys).code == 0
    result = cli("download", "c", "-D", "out", capsys=capsys)
    assert result.code == 1 and "../escape: the name is not a safe local path" in result.err
    assert (cli.cwd / "out" / "fine").read_bytes() == b"evil"
    assert not (cli.cwd / "escape").exists()


def test_python_m_runs_the_console_script_entry() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "selectel_objects.cli", "--help"], capture_output=True, check=True
    ).stdout.decode()
    for command in (
        "stat",
        "list",
        "upload",
        "download",
        "delete",
        "copy",
        "post",
        "tempurl",
        "capabilities",
        "sync",
    ):
        assert command in out


def test_the_console_script_is_installed_without_new_dependencies() -> None:
    from importlib import metadata

    [script] = [
        e for e in metadata.entry_points(group="console_scripts") if e.name == "selectel-objects"
    ]
    assert script.value == "selectel_objects.cli:main"
    requires = metadata.requires("selectel-objects") or []
    runtime = sorted(r.split(">")[0].split("<")[0] for r in requires if "extra ==" not in r)
    assert runtime == ["attrs", "selectel-auth", "urllib3"]
