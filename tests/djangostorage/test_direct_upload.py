"""Direct uploads without a browser: the signer's answers and the field's checks.

The browser end to end is in test_direct_upload_browser.py; here the PUT goes out with
``requests``, as a script or a mobile client would send it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages
from django.test import RequestFactory
from django_selectel.direct_upload import (
    DirectUploadField,
    check_cors,
    configure_cors,
    sign_upload,
)
from django_selectel.direct_upload.fields import read_ticket

from tests.djangostorage.helpers import override_storages

SELECTEL = "django_selectel.storages.SelectelStorage"
KEY = "direct-key"


@pytest.fixture
def media(options: dict[str, Any]) -> Iterator[None]:
    storages_setting = {
        "default": {
            "BACKEND": SELECTEL,
            "OPTIONS": {**options, "temp_url_key": KEY, "location": "media"},
        },
        "staticfiles": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    with override_storages(STORAGES=storages_setting):
        storages["default"].client.set_account_metadata(temp_url_key=KEY)  # type: ignore[attr-defined]
        yield


class UploadForm(forms.Form):
    doc = DirectUploadField(
        storage="default",
        upload_to="in/%Y/",
        max_size=1000,
        content_types=["text/*"],
        sign_url="/sign/",
    )


def _ticket(form: forms.Form, field: str = "doc") -> str:
    html = str(form[field])
    start = html.index(f'name="{field}-ticket" value="') + len(f'name="{field}-ticket" value="')
    return html[start : html.index('"', start)]


def _sign(**body: Any) -> tuple[int, dict[str, Any]]:
    request = RequestFactory().post("/sign/", json.dumps(body), content_type="application/json")
    response = sign_upload(request)
    return response.status_code, json.loads(response.content)


def _upload(ticket: str, data: bytes, filename: str = "notes.txt") -> str:
    status, signed = _sign(
        ticket=ticket, filename=filename, size=len(data), content_type="text/plain"
    )
    assert status == 200, signed
    put = requests.put(signed["url"], data=data, headers=signed["headers"], timeout=10)
    assert put.status_code == 201, put.text
    return str(signed["name"])


@pytest.mark.usefixtures("media")
def test_upload_then_submit_the_name() -> None:
    ticket = _ticket(UploadForm())
    policy = read_ticket(ticket)
    assert policy.prefix.startswith("in/20") and policy.prefix.endswith("/")
    name = _upload(ticket, b"hello", filename="../../My Notes.txt")
    assert name == f"{policy.prefix}My_Notes.txt"  # the server chose it: no way out
    form = UploadForm({"doc": name, "doc-ticket": ticket})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["doc"] == name
    with storages["default"].open(name) as handle:
        assert hashlib.md5(handle.read()).hexdigest() == hashlib.md5(b"hello").hexdigest()


@pytest.mark.usefixtures("media")
def test_signer_refusals() -> None:
    ticket = _ticket(UploadForm())
    assert _sign(ticket=ticket, filename="a.txt", size=1001, content_type="text/plain")[0] == 413
    assert _sign(ticket=ticket, filename="a.png", size=10, content_type="image/png")[0] == 415
    assert _sign(ticket=ticket, filename="a.txt", size=0, content_type="text/plain")[0] == 400
    assert _sign(ticket=ticket[:-2] + "xx", filename="a", size=1, content_type="")[0] == 403
    assert _sign(ticket=ticket, filename="..", size=1, content_type="text/plain")[0] == 400
    assert _sign(ticket=ticket, filename="a.txt", size="1", content_type="")[0] == 400
    request = RequestFactory().post("/sign/", b"{", content_type="application/json")
    assert sign_upload(request).status_code == 400
    assert sign_upload(RequestFactory().get("/sign/")).status_code == 405


@pytest.mark.usefixtures("media")
def test_field_refusals() -> None:
    ticket = _ticket(UploadForm())
    prefix = read_ticket(ticket).prefix
    other_ticket = _ticket(UploadForm())
    name = _upload(ticket, b"hello")

    def errors(data: dict[str, str]) -> list[str]:
        form = UploadForm(data)
        assert not form.is_valid()
        return [e.code or "" for e in form.errors.as_data()["doc"]]

    assert errors({"doc": name, "doc-ticket": other_ticket}) == ["foreign"]  # another form's
    assert errors({"doc": "media-elsewhere.txt", "doc-ticket": ticket}) == ["foreign"]
    assert errors({"doc": f"{prefix}sub/x.txt", "doc-ticket": ticket}) == ["foreign"]
    assert errors({"doc": name, "doc-ticket": "forged"}) == ["expired"]
    assert errors({"doc": f"{prefix}ghost.txt", "doc-ticket": ticket}) == ["missing"]
    assert errors({"doc": "", "doc-ticket": ticket}) == ["required"]
    # The signer checks the declared type; the field checks what was stored.
    status, signed = _sign(ticket=ticket, filename="b.txt", size=3, content_type="text/plain")
    assert status == 200
    put = requests.put(
        signed["url"], data=b"GIF", headers={"Content-Type": "image/gif"}, timeout=10
    )
    assert put.status_code == 201
    assert errors({"doc": signed["name"], "doc-ticket": ticket}) == ["type"]
    assert not storages["default"].exists(signed["name"])  # deleted with the refusal


@pytest.mark.usefixtures("media")
def test_a_ticket_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    ticket = _ticket(UploadForm())
    name = _upload(ticket, b"hello")
    expires = read_ticket(ticket).expires_at
    monkeypatch.setattr("django_selectel.direct_upload.fields.time.time", lambda: expires + 1)
    form = UploadForm({"doc": name, "doc-ticket": ticket})
    assert not form.is_valid()
    assert form.errors.as_data()["doc"][0].code == "expired"
    assert _sign(ticket=ticket, filename="a.txt", size=1, content_type="text/plain")[0] == 403


@pytest.mark.usefixtures("media")
def test_rerendered_form_keeps_its_upload() -> None:
    ticket = _ticket(UploadForm())
    name = _upload(ticket, b"hello")
    again = UploadForm({"doc": name, "doc-ticket": ticket})
    html = str(again["doc"])
    assert f'value="{name}"' in html
    assert f'value="{ticket}"' in html
    assert 'accept="text/*"' in html
    assert "django_selectel/direct_upload.js" in str(again.media)
    assert not again.is_multipart()  # the file never comes to Django


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="max_size"):
        DirectUploadField(max_size=0)
    with pytest.raises(ValueError, match="url_expires"):
        DirectUploadField(url_expires=10, form_expires=5)
    with pytest.raises(ImproperlyConfigured, match="STORAGES"):
        DirectUploadField(storage=storages.create_storage({"BACKEND": SELECTEL, "OPTIONS": {}}))


@pytest.mark.usefixtures("media")
def test_cors_rules_on_the_container() -> None:
    storage = storages["default"]
    origin = "https://app.example"
    assert check_cors(storage, origin)  # none yet
    configure_cors(storage, [origin, "https://two.example/"], max_age=120)
    assert check_cors(storage, origin) == []
    assert check_cors(storage, "https://two.example") == []
    assert "not https://evil.example" in check_cors(storage, "https://evil.example")[0]
    info = storage.client.container(storage.config.container).info()  # type: ignore[attr-defined]
    assert info.metadata["access-control-allow-origin"] == f"{origin} https://two.example"
    assert info.metadata["access-control-max-age"] == "120"
    with pytest.raises(ValueError, match="no origin"):
        configure_cors(storage, ["app.example/path"])


@pytest.mark.usefixtures("media")
def test_selectel_cors_command() -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="no CORS rules"):
        call_command("selectel_cors", "https://a.example", "--check")
    out = StringIO()
    call_command("selectel_cors", "https://a.example", "--max-age", "60", stdout=out)
    assert out.getvalue().strip() == "CORS allows https://a.example"
    call_command("selectel_cors", "https://a.example", "--check", stdout=StringIO())
    with pytest.raises(CommandError, match="is no origin"):
        call_command("selectel_cors", "ftp://a.example")
