"""python-swiftclient against the fake, over HTTP and HTTPS: if they disagree, the fake is wrong."""

from __future__ import annotations

import contextlib
import hashlib
import io
import time
from pathlib import Path
from typing import Any

import pytest
import urllib3
from swiftclient import client as swift_client
from swiftclient import shell as swift_shell
from swiftclient.service import SwiftService, SwiftUploadObject
from swiftclient.utils import generate_temp_url

from tests.fakeswift import FakeSwift
from tests.fakeswift.real import RealSwift
from tests.fakeswift.test_parity import reseller


@pytest.fixture(params=["http", "https"])
def fake(request: pytest.FixtureRequest) -> FakeSwift:
    name = "fake_swift" if request.param == "http" else "fake_swift_tls"
    value: FakeSwift = request.getfixturevalue(name)
    return value


def connection(fake: FakeSwift, **kw: Any) -> Any:
    params: dict[str, Any] = {
        "authurl": fake.auth_v1_url,
        "user": fake.v1_user,
        "key": fake.v1_key,
        "auth_version": "1",
        "cacert": fake.ca_path,
        "retries": 0,
    }
    params.update(kw)
    return swift_client.Connection(**params)


def service_options(fake: FakeSwift) -> dict[str, Any]:
    return {
        "auth": fake.auth_v1_url,
        "user": fake.v1_user,
        "key": fake.v1_key,
        "auth_version": "1",
        "os_cacert": fake.ca_path,
        "retries": 0,
    }


def test_connection_workflow(fake: FakeSwift) -> None:
    conn = connection(fake)
    conn.put_container("docs", headers={"X-Container-Meta-Owner": "me"})
    etag = conn.put_object(
        "docs",
        "a/hello.txt",
        b"hello",
        content_type="text/plain",
        headers={"X-Object-Meta-Lang": "en"},
    )
    assert etag == hashlib.md5(b"hello").hexdigest()
    headers, body = conn.get_object("docs", "a/hello.txt")
    assert body == b"hello"
    assert headers["x-object-meta-lang"] == "en"
    assert conn.head_object("docs", "a/hello.txt")["content-length"] == "5"
    conn.put_object("docs", "b.bin", iter([b"chunk1", b"chunk2"]))
    _, listing = conn.get_container("docs")
    assert [o["name"] for o in listing] == ["a/hello.txt", "b.bin"]
    _, dirs = conn.get_container("docs", delimiter="/")
    assert dirs[0] == {"subdir": "a/"}
    account_headers, containers = conn.get_account()
    assert [c["name"] for c in containers] == ["docs"]
    assert account_headers["x-account-object-count"] == "2"
    assert conn.head_container("docs")["x-container-meta-owner"] == "me"
    conn.copy_object("docs", "a/hello.txt", "/docs/copy.txt")
    assert conn.get_object("docs", "copy.txt")[1] == b"hello"
    conn.post_object("docs", "copy.txt", headers={"X-Object-Meta-New": "1"})
    assert "x-object-meta-lang" not in conn.head_object("docs", "copy.txt")
    _, ranged = conn.get_object("docs", "b.bin", headers={"Range": "bytes=3-8"})
    assert ranged == b"nk1chu"
    _, streamed = conn.get_object("docs", "b.bin", resp_chunk_size=4)
    assert b"".join(streamed) == b"chunk1chunk2"
    for name in ("a/hello.txt", "b.bin", "copy.txt"):
        conn.delete_object("docs", name)
    with pytest.raises(swift_client.ClientException) as missing:
        conn.head_object("docs", "b.bin")
    assert missing.value.http_status == 404
    conn.delete_container("docs")
    assert fake.count("auth") == 1
    conn.close()


def test_reauth_after_token_expiry(fake: FakeSwift) -> None:
    conn = connection(fake, retries=1, starting_backoff=0.01)
    conn.put_container("c", headers={"X-Container-Meta-A": "1"})
    fake.expire_tokens()
    assert conn.head_container("c")["x-container-meta-a"] == "1"
    assert fake.count("auth") == 2
    assert [r.status for r in fake.requests if r.kind == "container"] == [201, 401, 204]
    conn.close()


def test_service_upload_download_stat_delete(fake: FakeSwift, tmp_path: Path) -> None:
    source = tmp_path / "src.bin"
    data = bytes(range(256)) * 40  # 10240 bytes -> 3 segments of 4 KiB
    source.write_bytes(data)
    small = tmp_path / "small.txt"
    small.write_bytes(b"small file")
    with SwiftService(options=service_options(fake)) as service:
        results = list(
            service.upload(
                "big",
                [
                    SwiftUploadObject(str(source), object_name="src.bin"),
                    SwiftUploadObject(str(small), object_name="small.txt"),
                ],
                options={"segment_size": 4096, "use_slo": True},
            )
        )
        assert all(r["success"] for r in results), [r for r in results if not r["success"]]
        manifest = fake.store.get_object("big", "src.bin")
        assert manifest is not None
        assert manifest.is_slo
        assert len(fake.store.object_names("big_segments")) == 3
        stat = service.stat("big", ["src.bin"])
        stat_items = list(stat)
        assert stat_items[0]["success"]
        assert dict(stat_items[0]["items"])["Content Length"] == "10240"
        out = tmp_path / "out"
        downloads = list(
            service.download("big", ["src.bin", "small.txt"], options={"out_directory": str(out)})
        )
        assert all(d["success"] for d in downloads), downloads
        assert (out / "src.bin").read_bytes() == data
        assert (out / "small.txt").read_bytes() == b"small file"
        listed = [item["name"] for page in service.list("big") for item in page["listing"]]
        assert listed == ["small.txt", "src.bin"]
        deleted = list(service.delete("big", ["src.bin"]))
        assert all(d["success"] for d in deleted)
        assert fake.store.object_names("big_segments") == []
        assert fake.store.object_names("big") == ["small.txt"]


def test_tempurl_from_swiftclient(fake: FakeSwift) -> None:
    conn = connection(fake)
    conn.post_account(headers={"X-Account-Meta-Temp-URL-Key": "tk"})
    conn.put_container("c")
    conn.put_object("c", "file.txt", b"temp data")
    path = "/v1/AUTH_test/c/file.txt"
    http = urllib3.PoolManager(ca_certs=fake.ca_path, retries=False)
    for digest in ("sha1", "sha256", "sha512"):
        signed = generate_temp_url(path, 60, "tk", "GET", digest=digest)
        reply = http.request("GET", fake.base_url + signed)
        assert reply.status == 200, digest
        assert reply.data == b"temp data"
    iso = generate_temp_url(path, int(time.time()) + 60, "tk", "GET", absolute=True, iso8601=True)
    assert http.request("GET", fake.base_url + iso).status == 200
    prefixed = generate_temp_url("/v1/AUTH_test/c/file", 60, "tk", "GET", prefix=True)
    assert (
        http.request("GET", fake.base_url + prefixed.replace("/c/file?", "/c/file.txt?")).status
        == 200
    )
    put_url = generate_temp_url("/v1/AUTH_test/c/up.txt", 60, "tk", "PUT")
    assert http.request("PUT", fake.base_url + put_url, body=b"up").status == 201
    assert conn.get_object("c", "up.txt")[1] == b"up"
    conn.close()


# -- the ``swift`` command line, on the fake and (SWIFT_TARGET=real) on real Swift ---------------


class SwiftCli:
    """Runs python-swiftclient's ``swift`` command (its ``main``) as a user of the target.

    In this process, for speed: the command reads its arguments, prints to stdout and
    exits like the installed script, which is a two-line wrapper of the same ``main``.
    """

    def __init__(self, target: FakeSwift | RealSwift, cwd: Path) -> None:
        self.target = target
        self.cwd = cwd

    def __call__(self, *args: str, user: str | None = None, key: str | None = None) -> str:
        argv = [
            "swift",
            "-A",
            self.target.auth_v1_url,
            "-U",
            user or self.target.v1_user,
            "-K",
            key or self.target.v1_key,
            *args,
        ]
        out, err = io.StringIO(), io.StringIO()
        code: object = 0
        with (
            contextlib.chdir(self.cwd),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            try:
                swift_shell.main(argv)
            except SystemExit as exc:
                code = exc.code
        assert code in (0, None), (args, out.getvalue(), err.getvalue())
        return out.getvalue()


@pytest.fixture
def cli(swift: FakeSwift | RealSwift, tmp_path: Path) -> SwiftCli:
    return SwiftCli(swift, tmp_path)


def _stat(text: str) -> dict[str, str]:
    pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {name.strip(): value.strip() for name, value in pairs}


@pytest.mark.parametrize("slo", [True, False], ids=["slo", "dlo"])
def test_cli_upload_with_segments_download_delete(cli: SwiftCli, slo: bool) -> None:
    data = bytes(range(256)) * 40  # 10240 bytes: 3 segments of 4 KiB
    (cli.cwd / "big.bin").write_bytes(data)
    (cli.cwd / "small.txt").write_bytes(b"small file")
    flags = ["--use-slo"] if slo else ["--use-dlo"]
    cli("upload", "-S", "4096", *flags, "c", "big.bin", "small.txt")
    assert cli("list", "c").split() == ["big.bin", "small.txt"]
    assert len(cli("list", "c_segments").split()) == 3
    stat = _stat(cli("stat", "c", "big.bin"))
    assert stat["Content Length"] == "10240"
    assert ("Manifest" in stat) is not slo, stat
    cli("download", "c", "big.bin", "-o", "out.bin")
    assert (cli.cwd / "out.bin").read_bytes() == data
    cli("delete", "c", "big.bin")
    assert cli("list", "c").split() == ["small.txt"]
    assert cli("list", "c_segments").split() == []


def test_cli_post_copy_stat_list(cli: SwiftCli) -> None:
    (cli.cwd / "a.txt").write_bytes(b"hello")
    cli("upload", "--object-name", "docs/a.txt", "c", "a.txt")
    cli("post", "-m", "Color:blue", "c")
    cli("post", "-m", "Lang:en", "-H", "Content-Disposition:inline", "c", "docs/a.txt")
    container = _stat(cli("stat", "c"))
    assert (container["Meta Color"], container["Objects"]) == ("blue", "1")
    obj = _stat(cli("stat", "c", "docs/a.txt"))
    assert (obj["Meta Lang"], obj["Content Length"]) == ("en", "5")
    assert obj["Content-Disposition"] == "inline"
    cli("post", "d")
    cli("copy", "--destination", "/d/b.txt", "-m", "Extra:1", "c", "docs/a.txt")
    copied = _stat(cli("stat", "d", "b.txt"))
    assert (copied["Meta Lang"], copied["Meta Extra"]) == ("en", "1")
    assert cli("list", "c", "--prefix", "docs/", "-d", "/").split() == ["docs/a.txt"]
    assert cli("list", "c", "-d", "/").split() == ["docs/"]
    assert cli("list").split() == ["c", "d"]
    account = _stat(cli("stat"))
    assert account["Containers"] == "2"
    cli("delete", "--all")
    assert cli("list").split() == []


def test_cli_reseller_admin(cli: SwiftCli) -> None:
    cli("post", "mine")
    storage_url = cli("auth").split("OS_STORAGE_URL=")[1].split()[0]
    user, key = reseller(cli.target)
    admin = {"user": user, "key": key}
    listed = cli("--os-storage-url", storage_url, "list", **admin)
    assert listed.split() == ["mine"]
    cli("--os-storage-url", storage_url, "post", "-m", "By:admin", "mine", **admin)
    assert _stat(cli("stat", "mine"))["Meta By"] == "admin"
