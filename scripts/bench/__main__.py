"""Benchmarks of selectel-objects against raw urllib3 and python-swiftclient, in one run.

    python3 -m scripts.bench [--quick]
    python3 -m scripts.bench cli [--rounds N]   # the CLI vs swift and rclone: scripts/bench/cli.py

Starts the benchmark server (scripts/bench/server.py) in its own process, then measures:

1. client CPU per small PUT+GET+HEAD+DELETE cycle (1 KiB objects), for raw urllib3,
   selectel-objects on urllib3 and on requests, and python-swiftclient; ratios to raw urllib3;
2. peak RSS of a 1 GiB upload + download (each client in a fresh process), over the same
   process doing one tiny request (the baseline);
3. streaming throughput of that upload and download, as a ratio to raw urllib3. Two more rows
   show what checking costs: "raw+md5" is raw urllib3 hashing what it sends and receives (the
   least a client that verifies MD5s must do), "urllib3 nocheck" is selectel-objects reading
   with ``verify_checksum=False`` (its uploads are still hashed);
4. listing 100 000 objects, selectel-objects on both transports vs python-swiftclient
   (``full_listing=True``), ratio to python-swiftclient.

Every measurement runs in rounds that take each client in turn, and each client's best round
counts: the machine is shared, and a burst of someone else's work then hits every client
alike instead of whichever happened to be measured at the time.

Client CPU is process CPU time (the server runs elsewhere), so the numbers do not depend on how
fast the server is. Nothing here is a test: it prints numbers, it does not assert them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

ROOT = Path(__file__).resolve().parents[2]
SMALL = os.urandom(1024)
BLOCK = os.urandom(1 << 20)
MiB = 1 << 20


def start_server(objects: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "scripts.bench.server", "--port", "0", "--objects", str(objects)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("READY"):
        proc.kill()
        raise SystemExit(f"benchmark server did not start: {line!r}")
    return proc, f"http://127.0.0.1:{line.split()[1]}"


def auth(base: str) -> tuple[str, str]:
    import urllib3

    reply = urllib3.request(
        "GET", f"{base}/auth/v1.0", headers={"X-Auth-User": "b:b", "X-Auth-Key": "b"}
    )
    return reply.headers["X-Auth-Token"], reply.headers["X-Storage-Url"]


def pattern(size: int) -> Iterator[bytes]:
    """``size`` bytes of incompressible data without holding them in memory."""
    while size > 0:
        chunk = BLOCK if size >= len(BLOCK) else BLOCK[:size]
        size -= len(chunk)
        yield chunk


class PatternFile:
    """A seekable file of ``size`` pattern bytes: a large local file without the disk."""

    def __init__(self, size: int) -> None:
        self.size, self.pos = size, 0

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.pos if n < 0 else min(n, self.size - self.pos)
        offset = self.pos % len(BLOCK)
        out = (
            (BLOCK[offset:] + BLOCK)[:n] if offset + n > len(BLOCK) else BLOCK[offset : offset + n]
        )
        while len(out) < n:
            out += BLOCK[: n - len(out)]
        self.pos += len(out)
        return out

    def seek(self, pos: int, whence: int = 0) -> int:
        self.pos = pos if whence == 0 else (self.size + pos if whence == 2 else self.pos + pos)
        return self.pos

    def tell(self) -> int:
        return self.pos

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def __len__(self) -> int:
        return self.size


# --- clients under test: each returns (cycle, upload, download, list_all) callables -------------


class Raw:
    """Plain urllib3 with hand-written headers: the floor nobody can beat by much."""

    name = "raw urllib3"

    def __init__(self, base: str) -> None:
        import urllib3

        self.token, self.url = auth(base)
        self.pool = urllib3.PoolManager(maxsize=4)
        self.h = {"X-Auth-Token": self.token}

    def cycle(self, name: str) -> None:
        url = f"{self.url}/bench/{name}"
        etag = hashlib.md5(SMALL).hexdigest()
        self.pool.request("PUT", url, body=SMALL, headers=self.h | {"ETag": etag})
        got = self.pool.request("GET", url, headers=self.h).data
        assert got == SMALL
        self.pool.request("HEAD", url, headers=self.h)
        self.pool.request("DELETE", url, headers=self.h)

    def upload(self, name: str, size: int) -> None:
        r = self.pool.request(
            "PUT",
            f"{self.url}/bench/{name}",
            body=pattern(size),
            headers=self.h | {"Content-Length": str(size)},
            chunked=False,
        )
        assert r.status == 201, r.status

    def download(self, name: str) -> int:
        r = self.pool.request(
            "GET", f"{self.url}/bench/{name}", headers=self.h, preload_content=False
        )
        n = 0
        for chunk in r.stream(MiB):
            n += len(chunk)
        r.release_conn()
        return n


class RawMd5(Raw):
    """Raw urllib3 that hashes its bodies: the floor for a client that checks MD5s."""

    name = "raw urllib3 + md5"

    def upload(self, name: str, size: int) -> None:
        md5 = hashlib.md5()

        def hashed() -> Iterator[bytes]:
            for chunk in pattern(size):
                md5.update(chunk)
                yield chunk

        r = self.pool.request(
            "PUT",
            f"{self.url}/bench/{name}",
            body=hashed(),
            headers=self.h | {"Content-Length": str(size)},
            chunked=False,
        )
        assert r.status == 201 and r.headers["Etag"] == md5.hexdigest(), r.status

    def download(self, name: str) -> int:
        r = self.pool.request(
            "GET", f"{self.url}/bench/{name}", headers=self.h, preload_content=False
        )
        md5, n = hashlib.md5(), 0
        for chunk in r.stream(MiB):
            md5.update(chunk)
            n += len(chunk)
        r.release_conn()
        assert md5.hexdigest() == r.headers["Etag"]
        return n


class Swiftclient:
    name = "python-swiftclient"

    def __init__(self, base: str) -> None:
        from swiftclient.client import Connection

        token, url = auth(base)
        self.conn = Connection(preauthurl=url, preauthtoken=token, retries=0)

    def cycle(self, name: str) -> None:
        self.conn.put_object("bench", name, SMALL, etag=hashlib.md5(SMALL).hexdigest())
        _, got = self.conn.get_object("bench", name)
        assert got == SMALL
        self.conn.head_object("bench", name)
        self.conn.delete_object("bench", name)

    def upload(self, name: str, size: int) -> None:
        self.conn.put_object("bench", name, PatternFile(size), content_length=size)

    def download(self, name: str) -> int:
        _, body = self.conn.get_object("bench", name, resp_chunk_size=MiB)
        return sum(len(c) for c in body)

    def list_all(self) -> int:
        _, items = self.conn.get_container("listing", full_listing=True)
        return len(items)


class Ours:
    def __init__(self, base: str, transport: str, *, verify: bool = True) -> None:
        from selectel_auth import StaticCredential
        from selectel_objects import ObjectStorage

        self.name = f"selectel-objects ({transport})"
        token, url = auth(base)
        self.storage = ObjectStorage(StaticCredential(token, url), transport=transport)
        self.c = self.storage.container("bench")
        self.verify = verify

    def cycle(self, name: str) -> None:
        self.c.put_object(name, SMALL)
        assert self.c.get_object_bytes(name) == SMALL
        self.c.head_object(name)
        self.c.delete_object(name)

    def upload(self, name: str, size: int) -> None:
        # PatternFile has the file methods the client uses (read, seek, tell).
        body = cast(BinaryIO, PatternFile(size))
        self.c.put_object(name, body, content_type="application/octet-stream")

    def download(self, name: str) -> int:
        n = 0
        with self.c.open_object(name, verify_checksum=self.verify) as reader:
            while chunk := reader.read(MiB):
                n += len(chunk)
        return n

    def list_all(self) -> int:
        return sum(1 for _ in self.storage.container("listing").list_objects())


def make(kind: str, base: str) -> Any:
    if kind == "raw":
        return Raw(base)
    if kind == "raw+md5":
        return RawMd5(base)
    if kind == "swiftclient":
        return Swiftclient(base)
    transport, _, variant = kind.partition(" ")
    return Ours(base, transport, verify=variant != "nocheck")


KINDS = ["raw", "urllib3", "requests", "swiftclient"]
#: Rows of the transfer table that show what checking costs, shown with their base kind.
CHECK_ROWS = {"raw": "raw+md5", "urllib3": "urllib3 nocheck"}
LISTERS = ["urllib3", "requests", "swiftclient"]


#: Rounds of each measurement. The machine is shared: every round measures every client in
#: turn (so that a burst of someone else's work hits them alike), and each client's best
#: round counts.
CYCLE_ROUNDS = 5
TRANSFER_ROUNDS = 3
LISTING_ROUNDS = 3


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def measure_cycles(base: str, kinds: list[str], cycles: int) -> dict[str, float]:
    """Client CPU seconds per cycle, each client's best of :data:`CYCLE_ROUNDS` rounds."""
    clients = {kind: make(kind, base) for kind in kinds}
    for client in clients.values():
        for i in range(20):  # warm pools, imports, caches
            client.cycle(f"warm-{i}")
    best = dict.fromkeys(kinds, float("inf"))
    for _ in range(CYCLE_ROUNDS):
        for kind, client in clients.items():
            started = cpu()
            for i in range(cycles):
                client.cycle(f"obj-{i}")
            best[kind] = min(best[kind], (cpu() - started) / cycles)
    return best


def child_large(base: str, kind: str, size: int) -> dict[str, float]:
    """In a fresh process: baseline RSS, then upload + download ``size`` bytes."""
    client = make(kind, base)
    client.cycle("baseline")
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    client.upload("large", size)
    t1 = time.perf_counter()
    got = client.download("large")
    t2 = time.perf_counter()
    assert got == size, (got, size)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "rss_mib": peak - baseline,
        "up_mbps": size / MiB / (t1 - t0),
        "down_mbps": size / MiB / (t2 - t1),
    }


def child_listing(base: str, kind: str) -> dict[str, float]:
    client = make(kind, base)
    started, wall = cpu(), time.perf_counter()
    count = client.list_all()
    return {"count": count, "cpu_s": cpu() - started, "wall_s": time.perf_counter() - wall}


def rounds(what: str, base: str, kinds: list[str], count: int, *extra: str) -> dict[str, Any]:
    """``count`` rounds of ``what`` over every client, each client in a fresh process."""
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    for _ in range(count):
        for kind in kinds:
            runs[kind].append(in_child(what, base, kind, *extra))
    return runs


def in_child(what: str, base: str, kind: str, *extra: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "scripts.bench", "--child", what, base, kind, *extra],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    print(f"\n{title}")
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["cli"]:
        from scripts.bench.cli import main as cli_main

        return cli_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--clients", default=",".join(KINDS), help="comma-separated subset")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        what, base, kind, *extra = args.child
        if what == "large":
            print(json.dumps(child_large(base, kind, int(extra[0]))))
        else:
            print(json.dumps(child_listing(base, kind)))
        return 0

    cycles = 100 if args.quick else 500
    large = (64 if args.quick else 1024) * MiB
    objects = 20_000 if args.quick else 100_000
    server, base = start_server(objects)
    try:
        kinds = [k for k in KINDS if k in args.clients.split(",")]
        per_cycle = measure_cycles(base, kinds, cycles)
        raw = per_cycle["raw"]
        table(
            f"1. client CPU per small PUT+GET+HEAD+DELETE cycle ({cycles} cycles, "
            f"best of {CYCLE_ROUNDS} rounds)",
            ["client", "µs/cycle", "× raw urllib3"],
            [[k, f"{v * 1e6:.0f}", f"{v / raw:.2f}"] for k, v in per_cycle.items()],
        )
        rows = [r for k in kinds for r in ([k, CHECK_ROWS[k]] if k in CHECK_ROWS else [k])]
        runs = rounds("large", base, rows, TRANSFER_ROUNDS, str(large))
        big = {
            kind: {
                "rss_mib": max(r["rss_mib"] for r in v),  # the worst: memory is a bound
                "up_mbps": max(r["up_mbps"] for r in v),
                "down_mbps": max(r["down_mbps"] for r in v),
            }
            for kind, v in runs.items()
        }
        table(
            f"2-3. {large // MiB} MiB upload + download, each client in a fresh process "
            f"(best of {TRANSFER_ROUNDS} rounds; RSS: the highest)",
            ["client", "RSS over baseline MiB", "up MB/s", "down MB/s", "up ×raw", "down ×raw"],
            [
                [
                    k,
                    f"{v['rss_mib']:.1f}",
                    f"{v['up_mbps']:.0f}",
                    f"{v['down_mbps']:.0f}",
                    f"{v['up_mbps'] / big['raw']['up_mbps']:.2f}",
                    f"{v['down_mbps'] / big['raw']['down_mbps']:.2f}",
                ]
                for k, v in big.items()
            ],
        )
        listers = [kind for kind in kinds if kind in LISTERS]
        listing = {
            kind: min(v, key=lambda r: r["cpu_s"])
            for kind, v in rounds("listing", base, listers, LISTING_ROUNDS).items()
        }
        swift_cpu = listing["swiftclient"]["cpu_s"] if "swiftclient" in listing else None
        table(
            f"4. listing {objects} objects (best of {LISTING_ROUNDS} rounds)",
            ["client", "objects", "CPU s", "wall s", "CPU × swiftclient"],
            [
                [
                    k,
                    f"{v['count']:.0f}",
                    f"{v['cpu_s']:.2f}",
                    f"{v['wall_s']:.2f}",
                    f"{v['cpu_s'] / swift_cpu:.2f}" if swift_cpu else "-",
                ]
                for k, v in listing.items()
            ],
        )
    finally:
        server.terminate()
        server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
