"""``python3 scripts/demo.py``: every step prints its details on its own line, in order.

The demo is the project's first impression: it runs here end to end against the fake Swift
(its default), in a subprocess exactly as a user starts it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The demo installs nothing here (the project env has it all) but does some 60 requests.
pytestmark = pytest.mark.timeout(300)


def run_demo(**selectel: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SELECTEL_")}
    env.update(selectel)
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def demo_output() -> str:
    return run_demo()


def done_lines(output: str) -> dict[str, str]:
    lines = {}
    for line in output.splitlines():
        match = re.fullmatch(r"\s+done\s+([^:]+): (.*)", line)
        if match:
            lines[match.group(1)] = match.group(2)
    return lines


def test_each_step_prints_its_details_in_order(demo_output: str) -> None:
    done = done_lines(demo_output)
    assert all(done.values()), f"steps without details: {[k for k, v in done.items() if not v]}"
    report = demo_output.split("\n\n")[-2].splitlines()[2:]  # the table, after its header
    assert [row.split("  ")[0] for row in report] == list(done)


def test_the_public_url_is_fetched_anonymously(demo_output: str) -> None:
    public = done_lines(demo_output)["public URL (no request to build it)"]
    assert re.search(r"/media/pictures/logo\.png -> anonymous GET 200, \d+ bytes$", public)


def test_the_signed_url_works_and_a_tampered_one_does_not(demo_output: str) -> None:
    signed = done_lines(demo_output)["signed URL (no request to build it)"]
    assert "?temp_url_sig=..." in signed  # the signature itself is not printed
    assert re.search(r"-> GET 200, \d+ bytes; tampered signature -> 401$", signed)


def test_the_demo_ends_with_a_passing_selectel_check(demo_output: str) -> None:
    assert done_lines(demo_output)["manage.py selectel_check"] == "All 1 storage(s) work."
