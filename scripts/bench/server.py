"""A deliberately fast, minimal Swift-speaking HTTP/1.1 server for benchmarks only.

The fake Swift of the test suite is faithful but slow (werkzeug buffers whole bodies), so a
benchmark against it would measure the server. This one speaks just enough Swift for the
benchmarks (v1 auth, object PUT/GET/HEAD/DELETE, container listings) with keep-alive and
streamed bodies, and spends as little CPU as it can. Run it in its own process:

    python -m scripts.bench.server --port 0 [--objects 100000]

It prints ``READY <port>`` once listening. Large objects are spooled to a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import hashlib
import json
import os
import tempfile
import uuid
from pathlib import Path
from typing import BinaryIO
from urllib.parse import parse_qs, unquote, urlsplit

ACCOUNT = "AUTH_bench"
TOKEN = "AUTH_tk" + "0" * 32
MEMORY_LIMIT = 1 << 20  # bodies above this go to disk
CHUNK = 1 << 20


class Store:
    def __init__(self, spool: Path) -> None:
        self.spool = spool
        # (container, name) -> (etag, size, bytes | Path)
        self.objects: dict[tuple[str, str], tuple[str, int, bytes | Path]] = {}
        self.listing: dict[str, list[str]] = {}

    def seed_listing(self, container: str, count: int) -> None:
        names = sorted(f"dir{i % 100:03d}/object-{i:07d}.txt" for i in range(count))
        self.listing[container] = names


async def read_body(reader: asyncio.StreamReader, headers: dict[str, str], sink: object) -> None:
    write = sink.write  # type: ignore[attr-defined]
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                return
            remaining = size
            while remaining:
                data = await reader.read(min(remaining, CHUNK))
                if not data:
                    raise ConnectionError("client went away")
                write(data)
                remaining -= len(data)
            await reader.readline()
    remaining = int(headers.get("content-length", "0"))
    while remaining:
        data = await reader.read(min(remaining, CHUNK))
        if not data:
            raise ConnectionError("client went away")
        write(data)
        remaining -= len(data)


class _Sink:
    def __init__(self, spool: Path) -> None:
        self.md5 = hashlib.md5()
        self.size = 0
        self.buffer: bytearray | None = bytearray()
        self.path: Path | None = None
        self.fh: BinaryIO | None = None
        self.spool = spool

    def write(self, data: bytes) -> None:
        self.md5.update(data)
        self.size += len(data)
        if self.buffer is not None:
            self.buffer += data
            if len(self.buffer) > MEMORY_LIMIT:
                self.path = self.spool / uuid.uuid4().hex
                self.fh = self.path.open("wb")
                self.fh.write(self.buffer)
                self.buffer = None
        elif self.fh is not None:
            self.fh.write(data)

    def finish(self) -> bytes | Path:
        if self.buffer is not None:
            return bytes(self.buffer)
        assert self.fh is not None and self.path is not None
        self.fh.close()
        return self.path


def head(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def handle(store: Store, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            method, target, _ = line.decode("latin-1").split(" ", 2)
            headers: dict[str, str] = {}
            while (h := await reader.readline()) not in (b"\r\n", b"\n", b""):
                k, _, v = h.decode("latin-1").partition(":")
                headers[k.strip().lower()] = v.strip()
            await respond(store, method, target, headers, reader, writer)
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        pass
    finally:
        writer.close()


async def respond(
    store: Store,
    method: str,
    target: str,
    headers: dict[str, str],
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
    url = urlsplit(target)
    parts = url.path.split("/", 4)
    common = {"X-Trans-Id": "tx-bench", "Connection": "keep-alive"}
    if url.path == "/auth/v1.0":
        port = writer.get_extra_info("sockname")[1]
        common |= {
            "X-Auth-Token": TOKEN,
            "X-Storage-Token": TOKEN,
            "X-Storage-Url": f"http://127.0.0.1:{port}/v1/{ACCOUNT}",
            "X-Auth-Token-Expires": "86400",
            "Content-Length": "0",
        }
        writer.write(head("200 OK", common))
        return
    if headers.get("x-auth-token") != TOKEN:
        writer.write(head("401 Unauthorized", common | {"Content-Length": "0"}))
        return
    container = unquote(parts[3]) if len(parts) > 3 else ""
    name = unquote(parts[4]) if len(parts) > 4 else ""
    if not name:
        query = parse_qs(url.query)
        names = store.listing.get(container, [])
        limit = min(int(query.get("limit", ["10000"])[0]), 10000)
        marker = query.get("marker", [""])[0]
        start = bisect.bisect_right(names, marker) if marker else 0
        page = [
            {
                "name": n,
                "hash": "d41d8cd98f00b204e9800998ecf8427e",
                "bytes": 0,
                "content_type": "text/plain",
                "last_modified": "2026-01-01T00:00:00.000000",
            }
            for n in names[start : start + limit]
        ]
        body = json.dumps(page).encode()
        writer.write(
            head(
                "200 OK",
                common
                | {
                    "Content-Type": "application/json; charset=utf-8",
                    "Content-Length": str(len(body)),
                },
            )
            + body
        )
        await writer.drain()
        return
    key = (container, name)
    if method == "PUT":
        sink = _Sink(store.spool)
        await read_body(reader, headers, sink)
        etag = sink.md5.hexdigest()
        if "etag" in headers and headers["etag"].strip('"') != etag:
            writer.write(head("422 Unprocessable Entity", common | {"Content-Length": "0"}))
            return
        old = store.objects.get(key)
        if old and isinstance(old[2], Path):
            old[2].unlink(missing_ok=True)
        store.objects[key] = (etag, sink.size, sink.finish())
        writer.write(
            head(
                "201 Created",
                common
                | {
                    "Etag": etag,
                    "Content-Length": "0",
                    "Last-Modified": "Thu, 01 Jan 2026 00:00:00 GMT",
                },
            )
        )
        return
    found = store.objects.get(key)
    if found is None:
        writer.write(head("404 Not Found", common | {"Content-Length": "0"}))
        return
    etag, size, data = found
    if method == "DELETE":
        del store.objects[key]
        if isinstance(data, Path):
            data.unlink(missing_ok=True)
        writer.write(head("204 No Content", common | {"Content-Length": "0"}))
        return
    meta = common | {
        "Etag": etag,
        "Content-Length": str(size),
        "Content-Type": "application/octet-stream",
        "Last-Modified": "Thu, 01 Jan 2026 00:00:00 GMT",
        "X-Timestamp": "1767225600.00000",
        "Accept-Ranges": "bytes",
    }
    writer.write(head("200 OK", meta))
    if method == "HEAD":
        return
    if isinstance(data, bytes):
        writer.write(data)
    else:
        with data.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                writer.write(chunk)
                await writer.drain()
    await writer.drain()


async def serve(port: int, objects: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-spool-") as spool:
        store = Store(Path(spool))
        store.seed_listing("listing", objects)
        server = await asyncio.start_server(
            lambda r, w: handle(store, r, w), "127.0.0.1", port, limit=1 << 22
        )
        print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)
        async with server:
            await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--objects", type=int, default=100_000, help="names in container 'listing'")
    args = parser.parse_args()
    os.nice(0)
    asyncio.run(serve(args.port, args.objects))


if __name__ == "__main__":
    main()
