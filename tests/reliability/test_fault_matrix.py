"""The fault matrix (see ``_matrix.py``): one test per operation x fault x transport.

Each cell starts from a freshly seeded fake, builds its client (token already fetched), arms
one fault on the operation's own request and compares the outcome with ``EXPECTED``. The
whole table is printed in the terminal summary.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django_selectel.storages import SelectelStorage

from tests.reliability import _matrix
from tests.reliability._support import TRANSPORTS, FaultTarget


@pytest.fixture(scope="module")
def dead_storage_url() -> Iterator[str]:
    """A storage URL on a port that is bound but not listening: connecting is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        yield f"http://127.0.0.1:{port}/v1/AUTH_test"


def _params() -> list[Any]:
    params = []
    for op_name, fault_name in _matrix.cells():
        for transport in TRANSPORTS:
            marks = []
            bug = _matrix.KNOWN_BUGS.get((op_name, fault_name))
            if bug is not None:
                marks.append(pytest.mark.xfail(strict=True, reason=f"BUG: {bug}"))
            params.append(
                pytest.param(
                    op_name,
                    fault_name,
                    transport,
                    marks=marks,
                    id=f"{op_name}|{fault_name}|{transport}",
                )
            )
    return params


@pytest.mark.parametrize(("op_name", "fault_name", "transport"), _params())
def test_cell(
    op_name: str,
    fault_name: str,
    transport: str,
    faulty_swift: FaultTarget,
    dead_storage_url: str,
    django_storage: Callable[[dict[str, Any]], SelectelStorage],
) -> None:
    op = _matrix.OPERATION_BY_NAME[op_name]
    fault = _matrix.FAULT_BY_NAME[fault_name]
    expected = _matrix.EXPECTED[op_name][fault_name]
    cell = _matrix.Cell(
        fake=faulty_swift,
        transport=transport,
        dead_storage_url=dead_storage_url,
        make_django=django_storage,
        timeout=fault.timeout,
        refused=fault.refused,
    )
    try:
        outcome = _matrix.run_cell(cell, op, fault)
    finally:
        cell.close()
    _matrix.record(op_name, fault_name, transport, outcome, expected)
    assert outcome == expected
    if fault.name == "429 Retry-After" and not op.django and outcome.startswith("ok"):
        assert cell.sleeps == [0.05], "the client waits what Retry-After says"
    if fault.refused and not op.django:
        # Each request is retried RETRIES times (a large upload's workers may each try one).
        waits = len(cell.sleeps)
        assert waits >= _matrix.RETRIES and waits % _matrix.RETRIES == 0, waits
