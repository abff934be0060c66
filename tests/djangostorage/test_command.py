"""``manage.py selectel_check``: end-to-end proof of a configuration, non-zero exit on failure."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.test.utils import override_settings
from django_selectel.storages import SelectelStorage

from tests.djangostorage.helpers import Direct, Wire, override_storages

SELECTEL = "django_selectel.storages.SelectelStorage"
MEMORY = "django.core.files.storage.InMemoryStorage"


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("selectel_check", *args, stdout=out, no_color=True)
    return out.getvalue()


def _make_public(options: dict[str, Any], container: str) -> None:
    SelectelStorage(**options).client.container(container).set_metadata(read_acl=".r:*")


def _set_account_key(options: dict[str, Any], key: str) -> None:
    SelectelStorage(**options).client.set_account_metadata(temp_url_key=key)


def _fails(storages: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> list[str]:
    """Run the command as manage.py does; it must exit 1. The FAIL lines it printed."""
    storages = {"staticfiles": {"BACKEND": MEMORY}, **storages}
    with override_storages(STORAGES=storages), pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "selectel_check", "--no-color"])
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    return [line.strip() for line in out.splitlines() if line.strip().startswith("FAIL")]


def test_a_working_storage_passes_every_step(
    direct: Direct, media_settings: dict[str, Any], container: str
) -> None:
    _make_public(media_settings["default"]["OPTIONS"], container)
    output = _run()
    assert "OK   authentication: legacy v1 at http://127.0.0.1" in output
    assert f"OK   container: '{container}'" in output
    assert "OK   write, read, delete: probe" in output
    assert "OK   public URL: anonymous HEAD http://127.0.0.1" in output
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


def test_missing_container_fails_unless_auto_created(
    options: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    missing = {**options, "container": f"not-there-{uuid.uuid4().hex[:8]}"}
    [line] = _fails({"media": {"BACKEND": SELECTEL, "OPTIONS": missing}}, capsys)
    assert "does not exist; fix:" in line and "auto_create_container" in line
    created = {**missing, "auto_create_container": True}
    with override_storages(STORAGES={"media": {"BACKEND": SELECTEL, "OPTIONS": created}}):
        output = _run("media")
    assert "does not exist yet; the probe creates it" in output
    assert "OK   public URL" in output  # created with the read ACL of a public storage
    assert "All 1 storage(s) work." in output


def test_a_public_storage_on_a_container_without_a_read_acl_fails_with_the_fix(
    options: dict[str, Any], container: str, direct: Direct, capsys: pytest.CaptureFixture[str]
) -> None:
    storages = {"default": {"BACKEND": SELECTEL, "OPTIONS": options}}
    [line] = _fails(storages, capsys)
    assert line.startswith("FAIL public URL: an anonymous HEAD of url() answered 401")
    assert f"container '{container}' is not public; fix:" in line
    assert "'.r:*'" in line and "STORAGES['default']['OPTIONS']['public'] = False" in line
    assert direct.names(container) == []  # the probe is gone all the same


def test_a_private_storage_with_a_wrong_key_fails_naming_the_setting(
    options: dict[str, Any], container: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _set_account_key(options, "the-right-key")
    wrong = {**options, "public": False, "temp_url_key": "a-wrong-key"}
    [line] = _fails({"default": {"BACKEND": SELECTEL, "OPTIONS": wrong}}, capsys)
    assert line.startswith("FAIL signed URL: a fresh TempURL answered 401")
    assert "the temp_url_key from STORAGES['default']['OPTIONS'] is not the Temp-URL-Key" in line
    assert "fix:" in line
    assert "SELECTEL_" not in line and "environment" not in line
    assert "a-wrong-key" not in line and "the-right-key" not in line


def test_a_wrong_key_from_an_old_schema_is_named_as_such(
    options: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    _set_account_key(options, "the-right-key")
    schema = {
        "USERNAME": options["user"],
        "PASSWORD": options["key"],
        "CONTAINER": options["container"],
        "AUTH_URL": options["auth_url"],
        "STORAGE_URL": options["storage_url"],
        "TEMP_URL_KEY": "a-wrong-key",
        "PUBLIC": False,
    }
    storages = {"default": {"BACKEND": SELECTEL, "OPTIONS": {"storage": "media"}}}
    with override_settings(SELECTEL_STORAGES={"media": schema}):
        [line] = _fails(storages, capsys)
    assert "the temp_url_key from settings.SELECTEL_STORAGES['media']" in line


def test_a_private_storage_with_the_right_key_signs_downloads_and_uploads(
    options: dict[str, Any], container: str, direct: Direct
) -> None:
    _set_account_key(options, "the-right-key")
    private = {**options, "public": False, "temp_url_key": "the-right-key"}
    with override_storages(STORAGES={"default": {"BACKEND": SELECTEL, "OPTIONS": private}}):
        output = _run()
    assert "OK   signed URL: GET of a fresh TempURL -> 200" in output
    assert "OK   signed upload: signed PUT -> 201, signed DELETE -> 204" in output
    assert "All 1 storage(s) work." in output
    assert direct.names(container) == []


def test_a_signed_upload_with_a_wrong_key_fails_on_a_public_storage(
    options: dict[str, Any], container: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _make_public(options, container)
    _set_account_key(options, "the-right-key")
    public = {**options, "temp_url_key": "a-wrong-key"}
    [line] = _fails({"default": {"BACKEND": SELECTEL, "OPTIONS": public}}, capsys)
    assert line.startswith("FAIL signed upload: a signed PUT answered 401")
    assert "STORAGES['default']['OPTIONS']" in line and "fix:" in line


def test_missing_credentials_are_reported(wire: Wire) -> None:
    storages = {"default": {"BACKEND": SELECTEL, "OPTIONS": {"container": "c"}}}
    out = io.StringIO()
    with override_storages(STORAGES=storages), pytest.raises(CommandError):
        call_command("selectel_check", stdout=out, no_color=True)
    assert "FAIL configuration: no credentials" in out.getvalue()
    assert wire.count() == 0


def test_api_storage_probes_the_container_given(options: dict[str, Any], container: str) -> None:
    _make_public(options, container)
    api = {k: v for k, v in options.items() if k != "container"}
    storages = {"legacy": {"BACKEND": "django_selectel.storages.ApiStorage", "OPTIONS": api}}
    with override_storages(STORAGES=storages):
        assert "skipped" in _run()
        output = _run("--container", container)
    assert f"'{container}'" in output and "All 1 storage(s) work." in output


def test_without_selectel_storages_there_is_nothing_to_check() -> None:
    with pytest.raises(CommandError, match="No STORAGES entry"):
        _run()
