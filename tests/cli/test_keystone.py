"""Keystone v3 auth from SELECTEL_* and OS_* variables: --region, --interface, flags win."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import Cli
from tests.fakeswift.app import FakeSwift

Capsys = pytest.CaptureFixture[str]


def _selectel(fake: FakeSwift, cache: str) -> dict[str, str]:
    return {
        "SELECTEL_AUTH_URL": fake.auth_v3_url,
        "SELECTEL_USERNAME": fake.v3.name,
        "SELECTEL_PASSWORD": fake.v3.password,
        "SELECTEL_ACCOUNT_ID": fake.v3.account_id,
        "SELECTEL_PROJECT_ID": fake.v3.project_id,
        "SELECTEL_REGION": fake.v3.region,
        "XDG_CACHE_HOME": cache,
    }


def _os(fake: FakeSwift, cache: str) -> dict[str, str]:
    return {
        "OS_AUTH_URL": fake.auth_v3_url,
        "OS_IDENTITY_API_VERSION": "3",
        "OS_USERNAME": fake.v3.name,
        "OS_PASSWORD": fake.v3.password,
        "OS_USER_DOMAIN_NAME": fake.v3.account_id,
        "OS_PROJECT_NAME": fake.v3.project_name,
        "OS_PROJECT_DOMAIN_NAME": fake.v3.account_id,
        "OS_REGION_NAME": fake.v3.region,
        "XDG_CACHE_HOME": cache,
    }


def _storage_url(cli: Cli, capsys: Capsys, *flags: str) -> str:
    result = cli("stat", "--json", *flags, capsys=capsys)
    assert result.code == 0, result.err
    url: str = json.loads(result.out)["storage_url"]
    return url


@pytest.mark.parametrize("family", [_selectel, _os])
def test_v3_environment_and_interface(
    fake_swift: FakeSwift, cli: Cli, capsys: Capsys, family: object
) -> None:
    cli.env = family(fake_swift, cli.env["XDG_CACHE_HOME"])  # type: ignore[operator]
    project = fake_swift.v3.project_id
    assert _storage_url(cli, capsys) == fake_swift.storage_url(project)
    admin = _storage_url(cli, capsys, "--interface", "admin", "--no-cache")
    assert admin == fake_swift.storage_url(project, interface="admin")
    cli.env["OS_INTERFACE"] = "adminURL"  # the old OS_ENDPOINT_TYPE spelling works too
    cli.env["SELECTEL_REGION"] = cli.env["OS_REGION_NAME"] = "nowhere"
    missing = cli("stat", "--no-cache", capsys=capsys)
    assert missing.code == 3 and "region 'nowhere'" in missing.err
    assert fake_swift.v3.password not in missing.err


def test_flags_win_over_the_environment(fake_swift: FakeSwift, cli: Cli, capsys: Capsys) -> None:
    cli.env = _selectel(fake_swift, cli.env["XDG_CACHE_HOME"])
    cli.env["SELECTEL_REGION"] = "nowhere"
    url = _storage_url(cli, capsys, "--region", fake_swift.v3.region)
    assert url == fake_swift.storage_url(fake_swift.v3.project_id)


def test_interface_is_refused_for_legacy_auth(cli: Cli, capsys: Capsys) -> None:
    result = cli("list", "--interface", "internal", capsys=capsys)
    assert result.code == 2 and "Keystone (v3) auth only" in result.err


def test_incomplete_configuration_is_a_usage_error(cli: Cli, capsys: Capsys) -> None:
    cli.env = {"XDG_CACHE_HOME": cli.env["XDG_CACHE_HOME"], "SELECTEL_USERNAME": "u"}
    result = cli("list", capsys=capsys)
    assert result.code == 2 and "SELECTEL_PASSWORD is not set" in result.err
