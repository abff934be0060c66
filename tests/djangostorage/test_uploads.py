"""Direct uploads that bypass Django: FormPost forms, TempURL PUTs, sendmefile links."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django_selectel.storages import SelectelStorage

from tests.djangostorage.helpers import Wire
from tests.fakeswift import FakeSwift


@pytest.fixture
def storage(options: dict[str, Any]) -> SelectelStorage:
    """A storage whose account has the TempURL key the storage signs with."""
    storage = SelectelStorage(**options, temp_url_key="tuk", location="media")
    storage.client.set_account_metadata(temp_url_key="tuk")
    return storage


def test_formpost_form_uploads_from_a_browser(wire: Wire, storage: SelectelStorage) -> None:
    before = wire.count()
    form = storage.upload_form("incoming", max_file_size=1024, max_file_count=2)
    assert wire.count() == before
    assert list(form.fields)[-1] == "signature"
    reply = requests.post(
        form.action,
        data=dict(form.fields),
        files=[("f1", ("a.txt", b"first")), ("f2", ("b.txt", b"second"))],
        timeout=10,
    )
    assert reply.status_code == 201, reply.text
    assert storage.listdir("incoming") == ([], ["a.txt", "b.txt"])
    assert storage.open("incoming/b.txt").read() == b"second"


def test_formpost_limits_are_enforced_by_swift(storage: SelectelStorage) -> None:
    form = storage.upload_form("incoming", max_file_size=3)
    reply = requests.post(
        form.action, data=dict(form.fields), files={"f": ("big.txt", b"too big")}, timeout=10
    )
    assert reply.status_code == 400
    assert not storage.exists("incoming/big.txt")


def test_temp_url_put_uploads_to_exactly_one_name(storage: SelectelStorage) -> None:
    url = storage.signed_url("avatars/42.png", method="PUT", expires_in=60)
    assert requests.put(url, data=b"\x89PNG...", timeout=10).status_code == 201
    assert storage.open("avatars/42.png").read() == b"\x89PNG..."
    other = url.replace("42.png", "43.png")
    assert requests.put(other, data=b"x", timeout=10).status_code == 401


def test_signed_download_with_a_file_name(storage: SelectelStorage) -> None:
    storage.save("reports/q1.csv", b"a,b\n")
    url = storage.signed_url("reports/q1.csv", filename="Q1 report.csv")
    reply = requests.get(url, timeout=10)
    assert reply.content == b"a,b\n"
    assert "attachment" in reply.headers["Content-Disposition"]


@pytest.mark.fake_only("sendmefile links are a Selectel extension that Swift lacks")
def test_sendmefile_link_takes_one_anonymous_upload(
    fake_swift: FakeSwift, storage: SelectelStorage, container: str
) -> None:
    fake_swift.v1_style = "selectel"
    link = storage.sendmefile_link("drop/upload.bin", max_size=100, expire=3600)
    assert link == f"{fake_swift.storage_url()}/{container}/media/drop/upload.bin"
    stored = fake_swift.store.get_object(container, "media/drop/upload.bin")
    assert stored is not None and stored.content_type == "x-storage/sendmefile+inplace"
    assert stored.metadata["sendmefile-max-size"] == "100"
    reply = requests.put(link, data=b"from a phone", headers={"X-Filename": "p.bin"}, timeout=10)
    assert reply.status_code == 201, reply.text
    assert storage.open("drop/upload.bin").read() == b"from a phone"


def test_upload_helpers_need_the_temp_url_key(options: dict[str, Any]) -> None:
    storage = SelectelStorage(**options)
    with pytest.raises(ImproperlyConfigured, match="temp_url_key"):
        storage.upload_form(max_file_size=1)
    with pytest.raises(ImproperlyConfigured, match="temp_url_key"):
        storage.signed_url("x", method="PUT")


@pytest.mark.fake_only("sendmefile links are a Selectel extension that Swift lacks")
def test_sendmefile_link_passes_every_option(
    fake_swift: FakeSwift, storage: SelectelStorage, container: str
) -> None:
    storage.sendmefile_link(
        "drop/opts", disable_web=True, ignore_filename=True, default_expire=7200, delete_at=10**10
    )
    stored = fake_swift.store.get_object(container, "media/drop/opts")
    assert stored is not None
    assert stored.metadata["sendmefile-disable-web"] == "yes"
    assert stored.metadata["sendmefile-ignore-filename"] == "yes"
    assert stored.metadata["sendmefile-default-expire"] == "7200"
    assert stored.metadata["sendmefile-delete-at"] == str(10**10)
