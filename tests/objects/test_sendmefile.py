"""Selectel legacy sendmefile links: link creation headers and upload-side helpers."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import urllib3
from selectel_objects._features.sendmefile import (
    SENDMEFILE_MAX_SIZE,
    SENDMEFILE_SECRET_HEADERS,
    SENDMEFILE_VARIANTS,
    build_sendmefile_link,
)

from tests.objects._sendmefile_upload import add_password_query, secret_signature, upload_headers
from tests.objects._signed_http import PlainSwift

PASSWORD = "Pa$$wörd-123"
PASSWORD_SHA1 = hashlib.sha1(PASSWORD.encode()).hexdigest()


@pytest.mark.parametrize(
    ("variant", "content_type"),
    [
        ("plain", "x-storage/sendmefile"),
        ("inplace", "x-storage/sendmefile+inplace"),
        ("timepostfix", "x-storage/sendmefile+timepostfix"),
        ("autopostfix", "x-storage/sendmefile+autopostfix"),
        ("folderday", "x-storage/sendmefile+folderday"),
        ("folderhour", "x-storage/sendmefile+folderhour"),
        ("folderuniq", "x-storage/sendmefile+folderuniq"),
    ],
)
def test_each_variant_has_its_content_type(variant: Any, content_type: str) -> None:
    headers, body = build_sendmefile_link(variant=variant)
    assert headers == {"Content-Type": content_type}
    assert body == b""


def test_the_variant_list_is_complete() -> None:
    assert len(SENDMEFILE_VARIANTS) == 7


def test_every_option_becomes_its_meta_header() -> None:
    headers, body = build_sendmefile_link(
        variant="inplace",
        disable_web=True,
        max_size=SENDMEFILE_MAX_SIZE,
        allow_overwrite=False,
        default_expire=3600,
        expire=86400,
        delete_at=1_900_000_000,
        ignore_filename=True,
        password=PASSWORD,
        help_text="Загрузите договор (PDF)",
    )
    assert headers == {
        "Content-Type": "x-storage/sendmefile+inplace",
        "X-Object-Meta-Sendmefile-Disable-Web": "yes",
        "X-Object-Meta-Sendmefile-Max-Size": str(5 * 1024**3),
        "X-Object-Meta-Sendmefile-Allow-Overwrite": "no",
        "X-Object-Meta-Sendmefile-Default-Expire": "3600",
        "X-Object-Meta-Sendmefile-Expire": "86400",
        "X-Object-Meta-Sendmefile-Delete-At": "1900000000",
        "X-Object-Meta-Sendmefile-Ignore-Filename": "yes",
        "X-Object-Meta-Sendmefile-Secret": PASSWORD_SHA1,
    }
    assert body == "Загрузите договор (PDF)".encode()
    assert "X-Object-Meta-Sendmefile-Secret" in SENDMEFILE_SECRET_HEADERS


def test_the_password_itself_is_never_sent() -> None:
    headers, body = build_sendmefile_link(password=PASSWORD.encode(), help_text="x")
    assert headers["X-Object-Meta-Sendmefile-Secret"] == PASSWORD_SHA1
    assert all(PASSWORD not in value for value in headers.values())
    assert PASSWORD.encode() not in body


def test_help_text_limit_counts_characters_not_bytes() -> None:
    _, body = build_sendmefile_link(help_text="ж" * 4096)
    assert len(body) == 8192
    with pytest.raises(ValueError, match="4097 characters"):
        build_sendmefile_link(help_text="ж" * 4097)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"variant": "bogus"}, "variant must be one of"),
        ({"variant": "+inplace"}, "variant must be one of"),
        ({"max_size": 0}, "max_size must be between 1 and"),
        ({"max_size": SENDMEFILE_MAX_SIZE + 1}, "max_size must be between"),
        ({"max_size": "100"}, "max_size must be an int"),
        ({"default_expire": 3599}, "default_expire must be >= 3600"),
        ({"expire": 60}, "expire must be >= 3600"),
        ({"expire": True}, "expire must be an int"),
        ({"delete_at": 0}, "delete_at must be >= 1"),
        ({"disable_web": "yes"}, "disable_web must be True or False"),
        ({"allow_overwrite": 1}, "allow_overwrite must be True or False"),
        ({"ignore_filename": None, "password": ""}, "password must be a non-empty"),
        ({"password": b"\xff\xfe"}, "UTF-8"),
        ({"help_text": b"bytes"}, "help_text must be a str"),
    ],
)
def test_bad_link_options_raise_value_error(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_sendmefile_link(**kwargs)


def test_upload_headers_without_password() -> None:
    assert upload_headers("report.pdf", session_id=42, tz_offset=240) == {
        "X-Filename": "report.pdf",
        "X-Sendmefile-Session-Id": "42",
        "X-Sendmefile-TZ-Offset": "+240",
    }
    assert upload_headers() == {}


@pytest.mark.parametrize(
    ("tz_offset", "expected"), [(-180, "-180"), (0, "+0"), ("+240", "+240"), ("-0400", "-0400")]
)
def test_tz_offset_forms(tz_offset: int | str, expected: str) -> None:
    assert upload_headers(tz_offset=tz_offset)["X-Sendmefile-TZ-Offset"] == expected


def test_non_ascii_filenames_are_percent_encoded_for_the_header() -> None:
    value = upload_headers("отчёт 1.pdf")["X-Filename"]
    assert value == "%D0%BE%D1%82%D1%87%D1%91%D1%82 1.pdf"
    value.encode("latin-1")  # a header value must be Latin-1


def test_password_upload_signs_user_agent_and_expires() -> None:
    user_agent = "MyUploader/1.0"
    headers = upload_headers(
        "a.txt", password=PASSWORD, user_agent=user_agent, expires=1_900_000_000
    )
    mac = hmac.new(
        PASSWORD_SHA1.encode(), f"{user_agent}\n1900000000".encode(), hashlib.sha1
    ).hexdigest()
    assert headers == {
        "X-Filename": "a.txt",
        "User-Agent": user_agent,
        "X-Sendmefile-Secret-Sig": f"1900000000.{mac}",
    }
    assert all(PASSWORD not in value and PASSWORD_SHA1 not in value for value in headers.values())


def test_only_the_first_300_user_agent_characters_are_signed() -> None:
    base = "U" * 300
    first = secret_signature(password=PASSWORD, user_agent=base + "tail-1", expires=5000)
    second = secret_signature(password=PASSWORD, user_agent=base + "tail-2", expires=5000)
    shorter = secret_signature(password=PASSWORD, user_agent=base[:-1], expires=5000)
    assert first == second != shorter


def test_signature_changes_with_password_and_expiry() -> None:
    one = secret_signature(password="a", user_agent="ua", expires=5000)
    assert one != secret_signature(password="b", user_agent="ua", expires=5000)
    assert one != secret_signature(password="a", user_agent="ua", expires=5001)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"password": PASSWORD}, "needs user_agent and expires"),
        ({"password": PASSWORD, "user_agent": "ua"}, "needs user_agent and expires"),
        ({"user_agent": "ua"}, "only used with a password"),
        ({"expires": 5}, "only used with a password"),
        ({"password": PASSWORD, "user_agent": "", "expires": 5}, "user_agent must be"),
        ({"password": PASSWORD, "user_agent": "a\nb", "expires": 5}, "CR, LF"),
        ({"password": PASSWORD, "user_agent": "ua", "expires": 0}, "expires must be >= 1"),
        ({"session_id": -1}, "session_id must be >= 0"),
        ({"tz_offset": "UTC+3"}, "tz_offset text"),
        ({"tz_offset": 15 * 60}, "tz_offset must be between"),
        ({"filename": ""}, "filename must be a non-empty"),
        ({"filename": "a\r\nX-Evil: 1"}, "control characters"),
    ],
)
def test_bad_upload_arguments_raise_value_error(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        upload_headers(**kwargs)
    assert PASSWORD not in str(info.value)
    assert PASSWORD_SHA1 not in str(info.value)


@pytest.mark.parametrize(
    ("url", "separator"),
    [("https://1.selcdn.ru/c/link", "?"), ("https://1.selcdn.ru/c/link?lang=en", "&")],
)
def test_password_query_alternative(url: str, separator: str) -> None:
    result = add_password_query(url, "a&b=c ж")
    assert result.startswith(url + separator + "_ssuk=")
    assert parse_qs(urlsplit(result).query)["_ssuk"] == ["a&b=c ж"]


def test_password_query_rejects_fragments_and_empty_passwords() -> None:
    with pytest.raises(ValueError, match="fragment"):
        add_password_query("https://x/c/l#f", PASSWORD)
    with pytest.raises(ValueError, match="password"):
        add_password_query("https://x/c/l", "")


# -- against the fake Swift's legacy sendmefile, over HTTP with bare urllib3 -------------------


@pytest.fixture
def http() -> Iterator[urllib3.PoolManager]:
    with urllib3.PoolManager(retries=False, timeout=5.0) as pool:
        yield pool


@pytest.fixture
def plain(fake_swift: Any, http: urllib3.PoolManager) -> PlainSwift:
    session = PlainSwift(fake_swift, http)
    session.put("/inbox")
    return session


def _create_link(plain: PlainSwift, name: str, **options: Any) -> str:
    headers, body = build_sendmefile_link(**options)
    reply = plain.request("PUT", "/inbox/" + name, body=body, headers=headers)
    assert reply.status == 201, reply.data
    return f"{plain.storage_url}/inbox/{name}"


def test_fake_accepts_an_upload_signed_with_the_password(
    fake_swift: Any, plain: PlainSwift, http: urllib3.PoolManager
) -> None:
    link = _create_link(plain, "contract.pdf", variant="inplace", password=PASSWORD, max_size=100)
    expires = int(fake_swift.clock.time()) + 300
    headers = upload_headers(
        "мой договор.pdf", password=PASSWORD, user_agent="Uploader/2", expires=expires
    )
    reply = http.request("PUT", link, body=b"%PDF-1.7", headers=headers)  # no token
    assert reply.status == 201
    assert reply.headers["X-Uploaded-As"] == "contract.pdf"
    stored = fake_swift.store.get_object("inbox", "contract.pdf")
    assert stored.data == b"%PDF-1.7"
    assert stored.metadata["origin-filename"] == "мой договор.pdf"
    # Swift sends the metadata's UTF-8 bytes; urllib3 hands header values over as Latin-1.
    head = plain.request("HEAD", "/inbox/contract.pdf")
    assert head.status == 200
    sent = head.headers["X-Object-Meta-Origin-Filename"]
    assert sent.encode("latin-1") == "мой договор.pdf".encode()


def test_fake_refuses_wrong_or_expired_signatures(
    fake_swift: Any, plain: PlainSwift, http: urllib3.PoolManager
) -> None:
    link = _create_link(plain, "drop", variant="inplace", password=PASSWORD)
    expires = int(fake_swift.clock.time()) + 60
    wrong = upload_headers("a.txt", password="guess", user_agent="ua", expires=expires)
    assert http.request("PUT", link, body=b"x", headers=wrong).status == 403
    good = upload_headers("a.txt", password=PASSWORD, user_agent="ua", expires=expires)
    other_agent = {**good, "User-Agent": "another-agent"}
    assert http.request("PUT", link, body=b"x", headers=other_agent).status == 403
    fake_swift.clock.advance(120)
    assert http.request("PUT", link, body=b"x", headers=good).status == 403


def test_fake_accepts_the_password_query(
    fake_swift: Any, plain: PlainSwift, http: urllib3.PoolManager
) -> None:
    link = _create_link(plain, "box/", variant="folderuniq", password="p&ss word")
    url = add_password_query(link, "p&ss word")
    reply = http.request("PUT", url, body=b"data", headers=upload_headers("note.txt"))
    assert reply.status == 201
    stored_as = reply.headers["X-Uploaded-As"]
    assert stored_as.startswith("box/") and stored_as.endswith("/note.txt")
    assert plain.get("/inbox/" + stored_as) == b"data"
