"""Tokens and keys never show up in logs, reprs or error messages."""

from __future__ import annotations

import logging

import pytest
from selectel_auth import StaticCredential
from selectel_objects import (
    AuthorizationError,
    Headers,
    HttpRequest,
    NotFoundError,
    ObjectStorage,
)

from tests.fakeswift.app import FakeSwift

TOKEN = "AUTH_tk-super-secret-token-value-123456"


def test_debug_logs_and_errors_carry_no_token(
    fake_swift: FakeSwift, transport_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with ObjectStorage(
        StaticCredential(TOKEN, fake_swift.storage_url()), transport=transport_name
    ) as storage:
        with pytest.raises(AuthorizationError) as caught:
            storage.container("c").create()
        assert TOKEN not in str(caught.value)
        assert TOKEN not in repr(caught.value)
        assert TOKEN not in repr(storage)
    assert caplog.records, "the client logs its requests at DEBUG"
    assert any("401" in r.getMessage() for r in caplog.records)
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


def test_keys_stay_out_of_logs(storage: ObjectStorage, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    storage.set_account_metadata(temp_url_key="tempurl-key-secret-987")
    box = storage.container("c")
    box.create()
    with pytest.raises(NotFoundError) as caught:
        box.head_object("missing")
    assert caught.value.request_id
    assert "404" in str(caught.value) and caught.value.request_id in str(caught.value)
    text = "\n".join(r.getMessage() for r in caplog.records) + str(storage.account_info())
    assert "tempurl-key-secret-987" not in text
    assert "v1_key" not in text and "testing" not in text.replace("tests", "")


def test_request_and_header_reprs_mask_credentials() -> None:
    headers = Headers({"X-Auth-Token": TOKEN, "X-Account-Meta-Temp-URL-Key": "k", "A": "b"})
    request = HttpRequest(method="GET", url="https://x/v1/A", headers=headers, body=b"body")
    assert TOKEN not in repr(request)
    assert "'k'" not in repr(headers)
    assert "'b'" in repr(headers)
    assert "body" not in repr(request)
