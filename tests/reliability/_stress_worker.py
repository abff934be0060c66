"""A stress worker process: ``python -m tests.reliability._stress_worker '<json config>'``.

Runs a few threads of the stress workload on one ObjectStorage whose credential shares its
token through a FileTokenCache with the other workers, measures its own memory with
tracemalloc (the fake server lives in the parent, so only client memory counts here), and
prints one JSON line: operations done, failures, the expected end state and the memory peak.
"""

from __future__ import annotations

import json
import sys
import threading
import tracemalloc
from typing import Any

from selectel_auth import FileTokenCache
from selectel_objects import ObjectStorage, RetryPolicy

from tests.reliability._stress import BigObjects, Workload


def main(config: dict[str, Any]) -> dict[str, Any]:
    """Run the workload described by ``config``; the report the parent checks."""
    storage = ObjectStorage.swift_v1(
        auth_url=config["auth_url"],
        user=config["user"],
        key=config["key"],
        cache=FileTokenCache(config["cache_dir"]),
        transport=config["transport"],
        timeout=10.0,
        retry=RetryPolicy(total=8, backoff=0.002, max_backoff=0.02),
    )
    container = storage.container(config["container"])
    # Lazy imports and the first connection happen before measuring: the bound is about the
    # memory that moving data costs, not about loading modules.
    container.info()
    tracemalloc.start()
    loads = [
        Workload(
            container,
            prefix=f"{config['prefix']}/t{index}",
            seed=config["seed"] * 100 + index,
            ops=config["ops"],
            big=BigObjects(config["big_size"]),
        )
        for index in range(config["threads"])
    ]
    threads = [
        threading.Thread(target=load.run, name=f"stress-{i}", daemon=True)
        for i, load in enumerate(loads)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(config["join_timeout"])
    stuck = [thread.name for thread in threads if thread.is_alive()]
    storage.close()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    expected: dict[str, str | None] = {}
    done: dict[str, int] = {}
    for load in loads:
        expected.update(load.expected_md5())
        for name, count in load.done.items():
            done[name] = done.get(name, 0) + count
    return {
        "done": done,
        "failures": [f for load in loads for f in load.failures],
        "expected": expected,
        "peak": peak,
        "stuck": stuck,
    }


if __name__ == "__main__":
    report = main(json.loads(sys.argv[1]))
    sys.stdout.write(json.dumps(report) + "\n")
