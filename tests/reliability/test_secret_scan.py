"""The suite-wide secret scan (tests/conftest.py) catches leaks and leaves honest tests alone.

A small test module is written to a temporary folder and run by a child pytest with this
repository's configuration and the scan loaded; the outcome of each of its tests is checked.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CHILD_TESTS = """
import logging

import pytest

from selectel_objects import ObjectStorage

log = logging.getLogger("leaky")


def test_password_in_a_debug_log(fake_swift):
    log.debug("connecting as %s with %s", fake_swift.v3.name, fake_swift.v3.password)


def test_v1_key_in_an_info_log_of_a_library(fake_swift):
    logging.getLogger("urllib3.connectionpool").info("key=%s", fake_swift.v1_key + "!")


def test_issued_token_printed(fake_swift):
    token = fake_swift.v1_credential().get_token()
    print("token:", token.token)


def test_issued_token_on_stderr_in_setup(printed_token):
    pass


def test_registered_secret_in_an_exception_log(register_secret):
    register_secret("registered-secret-1234")
    try:
        raise ValueError("boom: registered-secret-1234")
    except ValueError:
        log.exception("it failed")


def test_token_logged_at_teardown(token_logged_later):
    pass


@pytest.mark.secrets_in_output
def test_cli_prints_a_token_on_purpose(fake_swift):
    print(fake_swift.v1_credential().get_token().token)


def test_masked_reprs_are_fine(fake_swift):
    credential = fake_swift.v1_credential()
    token = credential.get_token()
    log.debug("credential %r token %r", credential, token)
    with ObjectStorage(credential) as storage:
        storage.container("media").create()
        log.debug("storage %r", storage)


def test_asserting_absence_is_fine(fake_swift, caplog):
    caplog.set_level(logging.DEBUG)
    token = fake_swift.v1_credential().get_token()
    assert token.token not in caplog.text
    assert fake_swift.v1_key not in caplog.text


def test_output_read_by_the_test_is_its_business(fake_swift, capsys):
    print(fake_swift.v3.password)
    assert capsys.readouterr().out.strip() == fake_swift.v3.password


def test_no_fake_no_fake_secrets():
    log.debug("testing is a word, not the key of a fake this test does not use")


def test_caplog_keeps_its_threshold(caplog):
    log.debug("quiet")
    log.warning("loud")
    assert [r.getMessage() for r in caplog.records] == ["loud"]


@pytest.fixture
def printed_token(fake_swift):
    import sys

    sys.stderr.write(fake_swift.v1_credential().get_token().token + "\\n")


@pytest.fixture
def token_logged_later(fake_swift):
    token = fake_swift.v1_credential().get_token()
    yield
    log.debug("cleaning up with %s", token.token)
"""

EXPECTED = {
    "test_password_in_a_debug_log": "FAILED",
    "test_v1_key_in_an_info_log_of_a_library": "FAILED",
    "test_issued_token_printed": "FAILED",
    "test_issued_token_on_stderr_in_setup": "ERROR",
    "test_registered_secret_in_an_exception_log": "FAILED",
    "test_token_logged_at_teardown": "ERROR",
    "test_cli_prints_a_token_on_purpose": "PASSED",
    "test_masked_reprs_are_fine": "PASSED",
    "test_asserting_absence_is_fine": "PASSED",
    "test_output_read_by_the_test_is_its_business": "PASSED",
    "test_no_fake_no_fake_secrets": "PASSED",
    "test_caplog_keeps_its_threshold": "PASSED",
}


def test_the_scan_fails_leaks_and_only_leaks(tmp_path: Path) -> None:
    module = tmp_path / "test_child_leaks.py"
    module.write_text(textwrap.dedent(CHILD_TESTS))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(module),
            "-c",
            str(REPO / "pyproject.toml"),
            "--rootdir",
            str(REPO),
            "-p",
            "tests.conftest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-rA",
            "--tb=line",
            "--show-capture=no",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    outcomes: dict[str, str] = {}
    for line in result.stdout.splitlines():
        found = re.match(r"(PASSED|FAILED|ERROR) \S*::(\w+)", line)
        # A test that passed its call but errored at teardown is listed twice.
        if found and outcomes.get(found.group(2)) != "ERROR":
            outcomes[found.group(2)] = found.group(1)
    assert outcomes == EXPECTED, result.stdout[-3000:]
    assert "a secret (password, key or token) leaked" in result.stdout
    assert "<SECRET>" in result.stdout
    # The report names where the secret was, never the secret itself.
    for secret in ("fakeswift-service-password", "registered-secret-1234", "AUTH_tk"):
        assert secret not in result.stdout
