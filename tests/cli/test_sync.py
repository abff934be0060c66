"""sync both ways: one listing, size + MD5, --delete, --dry-run, large objects."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, make_tree
from tests.fakeswift.app import FakeSwift

Capsys = pytest.CaptureFixture[str]
FILES = {"index.html": b"<h1>hi</h1>", "css/site.css": b"body{}", "img/logo.png": os.urandom(5000)}


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _remote(cli: Cli, capsys: Capsys, container: str = "web") -> list[str]:
    return cli("list", container, capsys=capsys).out.split()


def test_sync_up_uploads_changes_and_deletes_extras(cli: Cli, capsys: Capsys) -> None:
    make_tree(cli.cwd / "site", FILES)
    first = cli("sync", "site", "swift://web/www", capsys=capsys)
    assert first.code == 0, first.err
    assert _remote(cli, capsys) == ["www/css/site.css", "www/img/logo.png", "www/index.html"]
    (cli.cwd / "site" / "index.html").write_bytes(b"<h1>new</h1>")
    (cli.cwd / "site" / "css" / "site.css").unlink()
    assert (
        cli(
            "upload", "web", "site/index.html", "--object-name", "www2/keep", "-q", capsys=capsys
        ).code
        == 0
    )
    plan = cli("sync", "site", "swift://web/www", "--delete", "--dry-run", capsys=capsys)
    assert plan.code == 0
    assert plan.out.splitlines() == [
        "would upload www/index.html",
        "would delete www/css/site.css",
        "dry run: 1 to upload, 1 to delete",
    ]
    assert len(_remote(cli, capsys)) == 4  # nothing changed
    second = cli("sync", "site", "swift://web/www", "--delete", capsys=capsys)
    assert second.code == 0 and "(1 skipped)" in second.err
    # Only the prefix is mirrored: www2/ is another folder, not an extra.
    assert _remote(cli, capsys) == ["www/img/logo.png", "www/index.html", "www2/keep"]


def test_unchanged_rerun_is_one_listing_and_no_upload(
    fake_swift: FakeSwift, cli: Cli, capsys: Capsys
) -> None:
    make_tree(cli.cwd / "site", {f"f{i:03d}": os.urandom(50) for i in range(120)})
    make_tree(cli.cwd / "site", {"big.bin": os.urandom(200_000)})
    args = ("sync", "site", "swift://web", "--segment-size", "64K")
    assert cli(*args, capsys=capsys).code == 0
    fake_swift.requests.clear()
    rerun = cli(*args, capsys=capsys)
    assert rerun.code == 0 and "121 files (121 skipped)" in rerun.err
    requests = [(r.method, r.kind) for r in fake_swift.requests if r.kind != "auth"]
    assert requests == [("GET", "container")]


def test_sync_down_mirrors_and_deletes_local_extras(cli: Cli, capsys: Capsys) -> None:
    make_tree(cli.cwd / "site", FILES)
    assert cli("sync", "site", "swift://web/www", "-q", capsys=capsys).code == 0
    restore = make_tree(cli.cwd / "restore", {"old.txt": b"extra", "index.html": b"stale"})
    plan = cli("sync", "swift://web/www", "restore", "--delete", "-n", capsys=capsys)
    assert "would delete " in plan.out and "2 to download, 1 to delete" not in plan.out
    assert plan.out.splitlines()[-1] == "dry run: 3 to download, 1 to delete"
    assert (restore / "old.txt").exists()
    result = cli("sync", "swift://web/www", "restore", "--delete", capsys=capsys)
    assert result.code == 0, result.err
    assert _tree(restore) == FILES
    again = cli("sync", "swift://web/www", "restore", capsys=capsys)
    assert again.code == 0 and "3 files (3 skipped)" in again.err


def test_sync_down_of_large_objects_compares_their_etag(cli: Cli, capsys: Capsys) -> None:
    make_tree(cli.cwd / "site", {"big.bin": os.urandom(150_000)})
    assert (
        cli("sync", "site", "swift://web", "--segment-size", "64K", "-q", capsys=capsys).code == 0
    )
    assert (
        cli("sync", "swift://web", "back", "--segment-size", "64K", "-q", capsys=capsys).code == 0
    )
    assert _tree(cli.cwd / "back") == _tree(cli.cwd / "site")
    again = cli("sync", "swift://web", "back", "--segment-size", "64K", capsys=capsys)
    assert "1 file (1 skipped)" in again.err


def test_sync_refuses_to_delete_after_a_read_error_or_without_a_source(
    cli: Cli, capsys: Capsys
) -> None:
    make_tree(cli.cwd / "site", FILES)
    assert cli("sync", "site", "swift://web", "-q", capsys=capsys).code == 0
    (cli.cwd / "site" / "index.html").unlink()
    (cli.cwd / "site" / "index.html").symlink_to(cli.cwd / "site" / "gone")
    result = cli("sync", "site", "swift://web", "--delete", capsys=capsys)
    assert result.code == 1 and "not deleting anything" in result.err
    assert len(_remote(cli, capsys)) == 3
    missing = cli("sync", "no-such-dir", "swift://web", "--delete", capsys=capsys)
    assert missing.code == 2 and "is not a folder" in missing.err
    assert len(_remote(cli, capsys)) == 3
    gone = cli("sync", "swift://nope", "restore", "--delete", capsys=capsys)
    assert gone.code == 4
    assert cli("sync", "site", "swift://", capsys=capsys).code == 2
