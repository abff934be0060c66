"""Fixtures of the reliability suite, and the fault matrix table in the terminal summary."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import django
import pytest
from django.conf import settings

from tests.djangostorage import settings as test_settings

# The same Django settings as tests/djangostorage (whichever folder is collected first).
if not settings.configured:
    settings.configure(**{k: getattr(test_settings, k) for k in dir(test_settings) if k.isupper()})
    django.setup()

from django_selectel._clients import clear_clients
from django_selectel.storages import SelectelStorage

from tests.reliability import _matrix


@pytest.fixture
def django_storage() -> Iterator[Callable[[dict[str, Any]], SelectelStorage]]:
    """``django_storage(options)``: a SelectelStorage built from STORAGES-style options.

    Shared clients are dropped before and after, so no token outlives the fake's reset.
    """
    clear_clients()
    yield lambda options: SelectelStorage(**options)
    clear_clients()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    table = _matrix.render_table()
    if table:
        terminalreporter.section("fault matrix: operation x fault (urllib3 | requests)")
        for line in table:
            terminalreporter.write_line(line)
