"""The selectel-objects CLI against ``swift`` (python-swiftclient) and rclone, in one run.

    python3 -m scripts.bench cli [--rounds N] [--small N] [--large-mib N]

Same machine, same server, same run: a real OpenStack Swift started by scripts/realswift.py
in ``.tmp/bench-realswift`` (or the one ``SWIFT_AUTH_URL``/``SWIFT_USER``/``SWIFT_KEY`` name).
The data is 200 small files (1-8 KiB) and one 50 MiB file. Each tool, with its defaults, in
its own container, runs four steps, and the rounds take the tools in turn, each round starting
with the next tool (the best round of each step counts, as the machine is shared):

1. upload the folder;
2. download the container to an empty folder;
3. the unchanged re-run of a sync (ours: ``sync DIR swift://C/DIR``; swift:
   ``upload --changed``, which sends a HEAD per file; rclone: ``sync``);
4. delete the container with everything in it.

Wall times and the ratios to swift and to rclone are printed, and the requests our unchanged
sync re-run sent (from its ``-v`` log). rclone comes from Debian (``apt-get install rclone``)
when it is missing; without apt it is left out, and so is swift when swiftclient is missing.
Nothing here asserts: it prints numbers.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN_DIR = ROOT / ".tmp" / "bench-realswift"
STEPS = ("upload", "download", "sync rerun", "delete")
_REQUEST = re.compile(r"selectel_objects: (GET|PUT|HEAD|POST|DELETE|COPY) (\S+)")

Command = Callable[[str, Path], list[str]]


def _bin(name: str) -> str | None:
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else shutil.which(name)


def tools(env: dict[str, str]) -> dict[str, dict[str, Command]]:
    """Per tool, per step: the command line (given the container and the work dir)."""
    ours = [sys.executable, "-m", "selectel_objects.cli"]
    found: dict[str, dict[str, Command]] = {
        "selectel-objects": {
            "upload": lambda c, w: [*ours, "upload", c, "data", "-q"],
            "download": lambda c, w: [*ours, "download", c, "-D", f"down-{c}", "-q"],
            "sync rerun": lambda c, w: [*ours, "sync", "data", f"swift://{c}/data", "-q"],
            "delete": lambda c, w: [*ours, "delete", c, "-q"],
        }
    }
    swift = _bin("swift")
    if swift:
        found["swift"] = {
            "upload": lambda c, w: [swift, "-q", "upload", c, "data"],
            "download": lambda c, w: [swift, "-q", "download", c, "-D", f"down-{c}"],
            "sync rerun": lambda c, w: [swift, "-q", "upload", "--changed", c, "data"],
            "delete": lambda c, w: [swift, "-q", "delete", c],
        }
    rclone = _bin("rclone") or _install_rclone()
    if rclone:
        found["rclone"] = {
            "upload": lambda c, w: [rclone, "copy", "data", f"bench:{c}/data"],
            "download": lambda c, w: [rclone, "copy", f"bench:{c}", f"down-{c}"],
            "sync rerun": lambda c, w: [rclone, "sync", "data", f"bench:{c}/data"],
            "delete": lambda c, w: [rclone, "purge", f"bench:{c}"],
        }
    return found


def _install_rclone() -> str | None:
    if not shutil.which("apt-get") or os.geteuid() != 0:
        return None
    print("installing rclone from Debian ...", flush=True)
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "rclone"]):
        if subprocess.run(cmd, capture_output=True, check=False).returncode != 0:
            return None
    return shutil.which("rclone")


def tool_env(auth_url: str, user: str, key: str, work: Path) -> dict[str, str]:
    """The environment every tool reads its credentials from."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SELECTEL_", "OS_", "ST_"))}
    env.update(
        {
            "ST_AUTH": auth_url,
            "ST_USER": user,
            "ST_KEY": key,
            "XDG_CACHE_HOME": str(work / "cache"),
            "RCLONE_CONFIG": str(work / "rclone.conf"),
            "RCLONE_CONFIG_BENCH_TYPE": "swift",
            "RCLONE_CONFIG_BENCH_AUTH": auth_url,
            "RCLONE_CONFIG_BENCH_USER": user,
            "RCLONE_CONFIG_BENCH_KEY": key,
            "RCLONE_CONFIG_BENCH_AUTH_VERSION": "1",
        }
    )
    return env


def make_data(work: Path, small: int, large: int) -> None:
    """``small`` files of 1-8 KiB and one of ``large`` bytes under ``work/data``."""
    data = work / "data"
    data.mkdir(parents=True)
    for i in range(small):
        (data / f"file-{i:04d}.txt").write_bytes(os.urandom(1024 + (i * 37) % 7168))
    with (data / "large.bin").open("wb") as out:
        left = large
        while left:
            out.write(os.urandom(min(left, 1 << 20)))
            left -= min(left, 1 << 20)


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    """Wall seconds of ``cmd``; a failure stops the benchmark with its output."""
    began = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def sync_requests(env: dict[str, str], work: Path) -> dict[str, int]:
    """The requests of our unchanged sync re-run, by method, from its debug log."""
    cmd = [sys.executable, "-m", "selectel_objects.cli", "sync", "data", "swift://req/data"]
    subprocess.run([*cmd, "-q"], env=env, cwd=work, capture_output=True, check=True)
    done = subprocess.run(
        [*cmd, "-v"], env=env, cwd=work, capture_output=True, text=True, check=True
    )
    counts: dict[str, int] = {}
    for method, _url in _REQUEST.findall(done.stderr):
        counts[method] = counts.get(method, 0) + 1
    delete = [sys.executable, "-m", "selectel_objects.cli", "delete", "req", "-q"]
    subprocess.run(delete, env=env, cwd=work, capture_output=True, check=True)
    return counts


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--small", type=int, default=200, help="small files (default 200)")
    parser.add_argument("--large-mib", type=int, default=50, help="large file MiB (default 50)")
    args = parser.parse_args(argv)

    started = None
    if os.environ.get("SWIFT_AUTH_URL"):
        auth_url, user, key = (os.environ[k] for k in ("SWIFT_AUTH_URL", "SWIFT_USER", "SWIFT_KEY"))
    else:
        from scripts import realswift

        print("starting a real Swift ...", flush=True)
        instance = realswift.start(RUN_DIR)
        started = RUN_DIR
        auth_url = instance.auth_url
        user, key = instance.default_user.name, instance.default_user.key
    try:
        with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
            work = Path(tmp)
            make_data(work, args.small, args.large_mib << 20)
            env = tool_env(auth_url, user, key, work)
            found = tools(env)
            best = _measure(found, env, work, args.rounds)
            requests = sync_requests(env, work)
    finally:
        if started is not None:
            from scripts import realswift

            realswift.stop(started)
    _report(best, requests, args)
    return 0


def _measure(
    found: dict[str, dict[str, Command]], env: dict[str, str], work: Path, rounds: int
) -> dict[str, dict[str, float]]:
    best: dict[str, dict[str, float]] = {name: {} for name in found}
    names = list(found)
    for round_no in range(rounds):
        # Each round starts with another tool: whoever goes first meets a quieter server.
        for name in names[round_no % len(names) :] + names[: round_no % len(names)]:
            steps = found[name]
            container = f"bench{names.index(name)}"
            shutil.rmtree(work / f"down-{container}", ignore_errors=True)
            for step in STEPS:
                seconds = timed(steps[step](container, work), env, work)
                best[name][step] = min(seconds, best[name].get(step, float("inf")))
            print(f"round {round_no + 1}/{rounds}: {name} done", flush=True)
    return best


def _report(
    best: dict[str, dict[str, float]], requests: dict[str, int], args: argparse.Namespace
) -> None:
    names = list(best)
    header = ["step", *[f"{n} s" for n in names]]
    for other in names[1:]:
        header.append(f"× {other}")
    rows = []
    ours = best["selectel-objects"]
    for step in STEPS:
        row = [step, *[f"{best[n][step]:.2f}" for n in names]]
        row += [f"{ours[step] / best[o][step]:.2f}" for o in names[1:]]
        rows.append(row)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(
        f"\nCLI: {args.small} small files + one {args.large_mib} MiB file, "
        f"best of {args.rounds} rounds, wall time"
    )
    for row in [header, *rows]:
        print("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)))
    listed = ", ".join(f"{m} {n}" for m, n in sorted(requests.items())) or "none"
    print(f"selectel-objects unchanged sync re-run requests: {listed} (auth excluded)")
