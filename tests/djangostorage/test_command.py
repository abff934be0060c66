"""``manage.py selectel_check``: end-to-end proof of a configuration, non-zero exit on failure."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from tests.djangostorage.helpers import Direct, Wire, override_storages

SELECTEL = "django_selectel.storages.SelectelStorage"


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("selectel_check", *args, stdout=out, no_color=True)
    return out.getvalue()


def test_a_working_storage_passes_every_step(
    direct: Direct, media_settings: dict[str, Any], container: str
) -> None:
    output = _run()
    assert "OK   authentication: legacy v1 at http://127.0.0.1" in output
    assert f"OK   container: '{container}'" in output
    assert "OK   write, read, delete: probe" in output
    assert "All 1 storage(s) work." in output
    assert media_settings["default"]["OPTIONS"]["key"] not in output
    assert direct.names(container) == []  # the probe is gone


def test_wrong_password_exits_non_zero(
    options: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    storages = {
        "default": {"BACKEND": SELECTEL, "OPTIONS": {**options, "key": "wrong-key"}},
        "staticfiles": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    with override_storages(STORAGES=storages), pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "selectel_check", "--no-color"])
    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert "FAIL authentication: InvalidCredentialsError" in captured.out
    assert "1 of 1 storage(s) failed" in captured.err
    assert "wrong-key" not in captured.out + captured.err


def test_missing_container_fails_unless_auto_created(options: dict[str, Any]) -> None:
    missing = {**options, "container": "not-there"}
    absent = {"media": {"BACKEND": SELECTEL, "OPTIONS": missing}}
    with override_storages(STORAGES=absent), pytest.raises(CommandError):
        _run("media")
    created = {**missing, "auto_create_container": True}
    with override_storages(STORAGES={"media": {"BACKEND": SELECTEL, "OPTIONS": created}}):
        assert "All 1 storage(s) work." in _run("media")


def test_missing_credentials_are_reported(wire: Wire) -> None:
    storages = {"default": {"BACKEND": SELECTEL, "OPTIONS": {"container": "c"}}}
    out = io.StringIO()
    with override_storages(STORAGES=storages), pytest.raises(CommandError):
        call_command("selectel_check", stdout=out, no_color=True)
    assert "FAIL configuration: no credentials" in out.getvalue()
    assert wire.count() == 0


def test_api_storage_probes_the_container_given(options: dict[str, Any], container: str) -> None:
    api = {k: v for k, v in options.items() if k != "container"}
    storages = {"legacy": {"BACKEND": "django_selectel.storages.ApiStorage", "OPTIONS": api}}
    with override_storages(STORAGES=storages):
        assert "skipped" in _run()
        output = _run("--container", container)
    assert f"'{container}'" in output and "All 1 storage(s) work." in output


def test_without_selectel_storages_there_is_nothing_to_check() -> None:
    with pytest.raises(CommandError, match="No STORAGES entry"):
        _run()
