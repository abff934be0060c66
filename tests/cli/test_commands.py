"""stat, list, post, copy, tempurl, capabilities, delete and the exit codes, on any Swift."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Cli, make_tree

Capsys = pytest.CaptureFixture[str]
FILES = {"a.txt": b"alpha", "docs/b.txt": b"bravo" * 100, "docs/deep/c.bin": bytes(range(256))}


@pytest.fixture
def loaded(cli: Cli, capsys: Capsys) -> Cli:
    """The container ``c`` holding FILES under ``site/``."""
    make_tree(cli.cwd / "site", FILES)
    assert cli("upload", "c", "site", "-q", capsys=capsys).code == 0
    return cli


def test_list_names_long_totals(loaded: Cli, capsys: Capsys) -> None:
    result = loaded("list", "c", capsys=capsys)
    assert result.code == 0
    assert result.out.splitlines() == ["site/a.txt", "site/docs/b.txt", "site/docs/deep/c.bin"]
    long = loaded("list", "c", "--long", "--totals", capsys=capsys).out.splitlines()
    assert long[1].split()[0] == "500" and long[1].endswith("site/docs/b.txt")
    assert long[-1] == "3 items, 761 B"


def test_list_json_fields_prefix_and_delimiter(loaded: Cli, capsys: Capsys) -> None:
    rows = json.loads(loaded("list", "c", "--json", "--prefix", "site/docs/", capsys=capsys).out)
    assert [r["name"] for r in rows] == ["site/docs/b.txt", "site/docs/deep/c.bin"]
    assert set(rows[0]) == {"name", "size", "etag", "content_type", "last_modified", "large"}
    assert rows[0]["size"] == 500 and rows[0]["large"] is False
    assert rows[0]["last_modified"].endswith("Z")
    folded = json.loads(loaded("list", "c", "--json", "-p", "site/", "-d", "/", capsys=capsys).out)
    assert folded[0]["name"] == "site/a.txt"
    assert folded[1] == {"subdir": "site/docs/"}


def test_list_containers_json(loaded: Cli, capsys: Capsys) -> None:
    rows = json.loads(loaded("list", "--json", capsys=capsys).out)
    # Account totals are updated asynchronously by a real Swift: check the shape only.
    assert [r["name"] for r in rows] == ["c"]
    assert set(rows[0]) == {"name", "objects", "bytes", "last_modified"}
    assert isinstance(rows[0]["objects"], int) and isinstance(rows[0]["bytes"], int)
    assert json.loads(loaded("list", "c", "--json", "-p", "nothing", capsys=capsys).out) == []


def test_stat_account_container_object(loaded: Cli, capsys: Capsys) -> None:
    account = json.loads(loaded("stat", "--json", capsys=capsys).out)
    assert {"containers", "objects", "bytes", "metadata"} <= set(account)  # totals lag on real
    assert account["storage_url"].startswith("http")
    container = json.loads(loaded("stat", "c", "--json", capsys=capsys).out)
    assert container["container"] == "c" and container["objects"] == 3
    obj = json.loads(loaded("stat", "c", "site/a.txt", "--json", capsys=capsys).out)
    assert obj["size"] == 5 and obj["etag"] == "2c1743a391305fbf367df8e4f069f9f9"
    assert obj["content_type"] == "text/plain" and obj["large"] is False
    assert "mtime" in obj["metadata"]
    text = loaded("stat", "c", "site/a.txt", capsys=capsys).out
    assert "size: 5 (5 B)" in text and "etag: 2c1743a391305fbf367df8e4f069f9f9" in text


def test_post_container_object_account(loaded: Cli, capsys: Capsys) -> None:
    assert loaded("post", "new", "-m", "owner:ops", capsys=capsys).code == 0  # creates it
    assert json.loads(loaded("stat", "new", "--json", capsys=capsys).out)["metadata"] == {
        "owner": "ops"
    }
    assert loaded("post", "new", "-m", "owner:", "-m", "tier:gold", capsys=capsys).code == 0
    assert json.loads(loaded("stat", "new", "--json", capsys=capsys).out)["metadata"] == {
        "tier": "gold"
    }
    assert loaded("post", "c", "site/a.txt", "-m", "k:v", capsys=capsys).code == 0
    meta = json.loads(loaded("stat", "c", "site/a.txt", "--json", capsys=capsys).out)["metadata"]
    assert meta == {"k": "v"}  # swift semantics: the object's metadata is replaced
    assert loaded("post", "-m", "team:web", capsys=capsys).code == 0
    assert json.loads(loaded("stat", "--json", capsys=capsys).out)["metadata"]["team"] == "web"


def test_copy_to_another_container(loaded: Cli, capsys: Capsys) -> None:
    assert loaded("post", "backup", capsys=capsys).code == 0
    result = loaded(
        "copy",
        "c",
        "site/a.txt",
        "-d",
        "/backup/a-copy.txt",
        "-m",
        "copied:yes",
        "--json",
        capsys=capsys,
    )
    assert result.code == 0
    assert json.loads(result.out)["destination"] == "backup/a-copy.txt"
    obj = json.loads(loaded("stat", "backup", "a-copy.txt", "--json", capsys=capsys).out)
    assert obj["size"] == 5 and obj["metadata"]["copied"] == "yes"
    bad = loaded("copy", "c", "site/a.txt", "site/docs/b.txt", "-d", "/backup/x", capsys=capsys)
    assert bad.code == 2 and "exactly one source" in bad.err


def test_tempurl_serves_the_object_for_a_day(loaded: Cli, capsys: Capsys) -> None:
    assert loaded("post", "--temp-url-key", "cli-temp-key-1", capsys=capsys).code == 0
    result = loaded("tempurl", "c", "site/a.txt", "--expires", "1d", capsys=capsys)
    assert result.code == 0
    url = result.out.strip()
    assert "temp_url_sig=" in url and "temp_url_expires=" in url
    with urllib.request.urlopen(url, timeout=10) as reply:
        assert reply.read() == b"alpha"
    explicit = loaded("tempurl", "c", "site/a.txt", "--key", "other", capsys=capsys).out
    assert explicit.strip() != url


def test_tempurl_without_a_key_is_a_usage_error(loaded: Cli, capsys: Capsys) -> None:
    result = loaded("tempurl", "c", "site/a.txt", capsys=capsys)
    assert result.code == 2 and "no Temp-URL key" in result.err


def test_capabilities(cli: Cli, capsys: Capsys) -> None:
    info = json.loads(cli("capabilities", "--json", capsys=capsys).out)
    assert "swift" in info and "tempurl" in info
    text = cli("capabilities", capsys=capsys).out.splitlines()
    assert text[0] == "swift" and any(line.startswith("  max_file_size: ") for line in text)


def test_delete_object_prefix_and_container(loaded: Cli, capsys: Capsys) -> None:
    assert loaded("delete", "c", "site/a.txt", "-q", capsys=capsys).code == 0
    assert loaded("delete", "c", "-p", "site/docs/deep/", "-q", capsys=capsys).code == 0
    assert loaded("list", "c", capsys=capsys).out.splitlines() == ["site/docs/b.txt"]
    assert loaded("delete", "c", "-q", capsys=capsys).code == 0
    assert loaded("list", capsys=capsys).out == ""


def test_exit_codes(cli: Cli, capsys: Capsys, tmp_path: Path) -> None:
    missing = cli("stat", "nope", capsys=capsys)
    assert missing.code == 4 and "not found" in missing.err
    assert cli("download", "nope", "x", capsys=capsys).code == 4
    listing = cli("list", "nope", "--json", capsys=capsys)
    assert listing.code == 4 and listing.out == ""  # no half JSON document
    assert cli("delete", "nope", "x", capsys=capsys).code == 4
    with pytest.raises(SystemExit) as usage:
        cli("list", "--threads", "0", capsys=capsys)
    assert usage.value.code == 2
    assert cli("sync", "a", "b", capsys=capsys).code == 2
    cli.env["ST_KEY"] = "wrong-key"
    denied = cli("list", "--no-cache", capsys=capsys)
    assert denied.code == 3 and "authentication" in denied.err
    assert "wrong-key" not in denied.err


def test_environment_families(cli: Cli, capsys: Capsys, target: Any) -> None:
    # OS_* works as swift users have it, a static token too; SELECTEL_* wins over both.
    from selectel_auth import SwiftV1Credential

    credential = SwiftV1Credential(
        user=target.v1_user,
        key=target.v1_key,
        auth_url=target.auth_v1_url,
    )
    token = credential.get_token()
    cli.env = {
        "OS_AUTH_TOKEN": token.token,
        "OS_STORAGE_URL": token.storage_url or "",
        "XDG_CACHE_HOME": cli.env["XDG_CACHE_HOME"],
    }
    assert cli("post", "via-os", capsys=capsys).code == 0
    cli.env["SELECTEL_TOKEN"] = "not-a-valid-token"
    cli.env["SELECTEL_STORAGE_URL"] = token.storage_url or ""
    assert cli("list", capsys=capsys).code == 3
