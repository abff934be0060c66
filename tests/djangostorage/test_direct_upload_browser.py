"""Direct browser uploads end to end in a real headless Chromium (Debian's, driven by playwright).

The site (``browser_site``, its own process) serves the admin and a plain form on another
origin than the Swift (the fake, or a real one with ``SWIFT_TARGET=real``); the browser
uploads straight to Swift through the container's CORS rules; the test reads the object back.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selectel_objects import NotFoundError, ObjectStorage

from tests.djangostorage.helpers import Swift

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TEMP_URL_KEY = "direct-upload-test-key"
MAX_UPLOAD = 256 * 1024


class Site:
    """The browser_site process and where it listens."""

    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process = process
        self.url = f"http://127.0.0.1:{port}"


@pytest.fixture
def site(target: Swift, container: str, options: dict[str, Any], tmp_path: Path) -> Iterator[Site]:
    with ObjectStorage(target.v1_credential()) as client:
        client.set_account_metadata({}, temp_url_key=TEMP_URL_KEY)
    config = {
        "db": str(tmp_path / "site.sqlite3"),
        "storage": {**options, "temp_url_key": TEMP_URL_KEY},
        "max_upload": MAX_UPLOAD,
    }
    env = {**os.environ, "BROWSER_SITE": json.dumps(config), "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = (tmp_path / "site.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.djangostorage.browser_site"],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("PORT "):
            process.wait(timeout=10)
            pytest.fail(f"the site did not start: {(tmp_path / 'site.log').read_text()[-3000:]}")
        yield Site(process, int(line.split()[1]))
    finally:
        process.kill()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real headless Chromium with an empty profile, one per module (it starts slowly)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `apt-get install chromium chromium-driver` "
            "(python3 scripts/test.py installs them)",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
        )
        context.set_default_timeout(30_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page: no cookies from the previous test (each test has its own site)."""
    browser.clear_cookies()
    tab = browser.new_page()
    try:
        yield tab
    finally:
        tab.close()


def _file(tmp_path: Path, name: str, size: int) -> tuple[Path, str]:
    data = os.urandom(size)
    path = tmp_path / name
    path.write_bytes(data)
    return path, hashlib.md5(data).hexdigest()


def _stored_md5(target: Swift, container: str, name: str) -> str:
    with ObjectStorage(target.v1_credential()) as client:
        return hashlib.md5(client.container(container).get_object_bytes(name)).hexdigest()


def _names(target: Swift, container: str) -> list[str]:
    with ObjectStorage(target.v1_credential()) as client:
        return [str(entry.name) for entry in client.container(container).list_objects()]


def _login(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin-pass")
    page.click("input[type=submit]")
    page.wait_for_url(f"{site.url}/admin/")


def _pick(page: Any, selector: str, path: Path) -> str:
    """Pick ``path`` in the widget's picker and wait for the upload to end; the state."""
    page.set_input_files(selector, str(path))
    widget = page.locator("[data-selectel-upload]").filter(has=page.locator(selector))
    page.wait_for_function(
        "el => ['done', 'error'].includes(el.getAttribute('data-state'))",
        arg=widget.element_handle(),
    )
    return str(widget.get_attribute("data-state"))


def test_admin_upload_goes_straight_to_swift(
    page: Any, site: Site, target: Swift, container: str, tmp_path: Path
) -> None:
    path, md5 = _file(tmp_path, "report 2026.bin", 200 * 1024)
    _login(page, site)
    page.goto(f"{site.url}/admin/browser_site/document/add/")
    page.fill("#id_title", "report")
    assert _pick(page, "#id_file", path) == "done", page.inner_text("[data-selectel-status]")
    name = page.input_value("input[name=file]")
    assert name.startswith("docs/") and name.endswith("/report_2026.bin"), name
    assert page.get_attribute("progress[data-selectel-progress]", "value") == "100"
    page.click("input[name=_save]")
    page.wait_for_url(f"{site.url}/admin/browser_site/document/")
    assert "was added successfully" in page.content()
    assert _stored_md5(target, container, name) == md5
    page.click("text=report")
    assert page.inner_text(".selectel-upload-current a") == name


def test_admin_refuses_a_tampered_name(
    page: Any, site: Site, target: Swift, container: str, tmp_path: Path
) -> None:
    with ObjectStorage(target.v1_credential()) as client:
        client.container(container).put_object("docs/someone-else.txt", b"not yours")
    path, _md5 = _file(tmp_path, "mine.txt", 1000)
    _login(page, site)
    page.goto(f"{site.url}/admin/browser_site/document/add/")
    page.fill("#id_title", "tampered")
    assert _pick(page, "#id_file", path) == "done"
    page.eval_on_selector("input[name=file]", "el => { el.value = 'docs/someone-else.txt'; }")
    page.click("input[name=_save]")
    page.wait_for_selector(".errorlist")
    assert "This file was not uploaded through this form." in page.inner_text(".errorlist")
    page.goto(f"{site.url}/admin/browser_site/document/")
    assert "0 documents" in page.content()
    assert (
        _stored_md5(target, container, "docs/someone-else.txt")
        == hashlib.md5(b"not yours").hexdigest()
    )


def test_oversized_files_are_refused(
    page: Any, site: Site, target: Swift, container: str, tmp_path: Path
) -> None:
    big, _md5 = _file(tmp_path, "big.bin", MAX_UPLOAD + 1)
    _login(page, site)
    page.goto(f"{site.url}/admin/browser_site/document/add/")
    page.fill("#id_title", "big")
    # An honest page stops before uploading.
    assert _pick(page, "#id_file", big) == "error"
    assert "too large" in page.inner_text("[data-selectel-status]")
    # The signer refuses the declared size too.
    status = page.evaluate(
        """async (size) => {
            const ticket = document.querySelector('[data-selectel-ticket]').value;
            const csrf = document.querySelector('input[name=csrfmiddlewaretoken]').value;
            const r = await fetch('/selectel/direct-upload/sign/', {method: 'POST',
                headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf},
                body: JSON.stringify({ticket, filename: 'big.bin', size, content_type: ''})});
            return r.status;
        }""",
        MAX_UPLOAD + 1,
    )
    assert status == 413
    # A client that lies about the size uploads; the server refuses it on submit.
    name = page.evaluate(
        """async (size) => {
            const ticket = document.querySelector('[data-selectel-ticket]').value;
            const csrf = document.querySelector('input[name=csrfmiddlewaretoken]').value;
            const r = await fetch('/selectel/direct-upload/sign/', {method: 'POST',
                headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf},
                body: JSON.stringify({ticket, filename: 'big.bin', size: 10, content_type: ''})});
            const signed = await r.json();
            const put = await fetch(signed.url, {method: 'PUT', headers: signed.headers,
                body: new Uint8Array(size)});
            if (put.status !== 201) { throw new Error('PUT answered ' + put.status); }
            document.querySelector('input[name=file]').value = signed.name;
            return signed.name;
        }""",
        MAX_UPLOAD + 1,
    )
    assert name in _names(target, container)
    page.click("input[name=_save]")
    page.wait_for_selector(".errorlist")
    assert "The file is too large" in page.inner_text(".errorlist")
    assert name not in _names(target, container)  # deleted: it lay in this form's folder


def test_plain_form_and_a_widget_added_later(
    page: Any, site: Site, target: Swift, container: str, tmp_path: Path
) -> None:
    path, md5 = _file(tmp_path, "notes.txt", 5000)
    page.goto(f"{site.url}/plain/")
    assert _pick(page, "#id_attachment", path) == "done"
    name = page.input_value("input[name=attachment]")
    page.click("button[type=submit]")
    page.wait_for_selector("#saved")
    assert page.inner_text("#saved") == f"saved: {name}"
    assert name.startswith("plain/")
    assert _stored_md5(target, container, name) == md5
    # As a front-end framework does: fetch the field's HTML and insert it; the script binds it.
    page.evaluate(
        """async () => {
            const html = await (await fetch('/plain/fragment/')).text();
            const later = document.getElementById('later');
            later.innerHTML = html.replace(/id_attachment/g, 'id_later');
        }"""
    )
    second, md5_second = _file(tmp_path, "later.txt", 3000)
    assert _pick(page, "#id_later", second) == "done"
    later_name = page.eval_on_selector("#later input[data-selectel-name]", "el => el.value")
    assert _stored_md5(target, container, later_name) == md5_second


def test_missing_object_is_refused(
    page: Any, site: Site, target: Swift, container: str, tmp_path: Path
) -> None:
    page.goto(f"{site.url}/plain/")
    prefix = page.evaluate(
        """() => JSON.parse(atob(document.querySelector('[data-selectel-ticket]').value
              .split(':')[0].replace(/-/g, '+').replace(/_/g, '/'))).p"""
    )
    page.eval_on_selector(
        "input[name=attachment]", "(el, name) => { el.value = name; }", f"{prefix}ghost.txt"
    )
    page.click("button[type=submit]")
    page.wait_for_selector(".errorlist")
    assert "was not found" in page.inner_text(".errorlist")
    with pytest.raises(NotFoundError), ObjectStorage(target.v1_credential()) as client:
        client.container(container).head_object(f"{prefix}ghost.txt")
