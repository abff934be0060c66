"""FormPost signing and the streaming multipart/form-data encoder (pure functions)."""

from __future__ import annotations

import base64
import hmac
import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import urllib3
from selectel_objects._features.formpost import FormPostForm, sign_form_post

from tests.objects._multipart import FormFile, encode_multipart
from tests.objects._signed_http import PlainSwift

KEY = "form-key-ключ"
EXPIRES = 1_900_000_000
PATH = "/v1/AUTH_test/uploads/incoming/"


def _expected_sig(body: str, digest: str = "sha256", key: str = KEY) -> str:
    return hmac.new(key.encode(), body.encode(), digest).hexdigest()


def _parse(body: bytes, boundary: str) -> list[tuple[bytes, bytes]]:
    """Split a multipart body into (headers, content) pairs, checking the framing exactly."""
    delimiter = b"--" + boundary.encode()
    assert body.startswith(delimiter + b"\r\n")
    assert body.endswith(b"\r\n" + delimiter + b"--\r\n")
    inner = body[len(delimiter) + 2 : -(len(delimiter) + 6)]
    parts = []
    for part in inner.split(b"\r\n" + delimiter + b"\r\n"):
        headers, separator, content = part.partition(b"\r\n\r\n")
        assert separator
        parts.append((headers, content))
    return parts


def test_fields_come_in_swift_order_and_sign_path_redirect_size_count_expires() -> None:
    form = sign_form_post(
        url_or_path=PATH,
        key=KEY,
        expires=EXPIRES,
        max_file_size=1048576,
        max_file_count=3,
        redirect="https://example.com/done?x=1",
        x_delete_after=86400,
    )
    assert list(form.fields) == [
        "redirect",
        "max_file_size",
        "max_file_count",
        "expires",
        "signature",
        "x_delete_after",
    ]
    body = f"{PATH}\nhttps://example.com/done?x=1\n1048576\n3\n{EXPIRES}"
    assert form.fields["signature"] == _expected_sig(body)
    assert form.fields["expires"] == str(EXPIRES)
    assert form.action == PATH


def test_without_redirect_the_field_is_omitted_and_signed_as_empty() -> None:
    form = sign_form_post(url_or_path=PATH, key=KEY, expires=EXPIRES, max_file_size=10)
    assert "redirect" not in form.fields
    assert next(iter(form.fields)) == "max_file_size"
    assert form.fields["signature"] == _expected_sig(f"{PATH}\n\n10\n1\n{EXPIRES}")


@pytest.mark.parametrize("digest", ["sha1", "sha256"])
def test_hex_digests(digest: str) -> None:
    form = sign_form_post(
        url_or_path=PATH, key=KEY, expires=EXPIRES, max_file_size=10, digest=digest
    )
    assert form.fields["signature"] == _expected_sig(f"{PATH}\n\n10\n1\n{EXPIRES}", digest)


def test_sha512_uses_the_prefixed_base64_form() -> None:
    form = sign_form_post(
        url_or_path=PATH, key=KEY, expires=EXPIRES, max_file_size=10, digest="sha512"
    )
    algo, _, encoded = form.fields["signature"].partition(":")
    assert algo == "sha512"
    raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    assert raw.hex() == _expected_sig(f"{PATH}\n\n10\n1\n{EXPIRES}", "sha512")


def test_the_signed_path_is_decoded_and_the_action_is_encoded_once() -> None:
    wire = "https://swift.example.com/v1/AUTH_test/%D0%B7%D0%B0%D0%B3%D1%80/a%20b/"
    form = sign_form_post(url_or_path=wire, key=KEY, expires=EXPIRES, max_file_size=5)
    assert form.action == wire
    decoded = "/v1/AUTH_test/загр/a b/"
    assert form.fields["signature"] == _expected_sig(f"{decoded}\n\n5\n1\n{EXPIRES}")


@pytest.mark.parametrize("path", ["/v1/AUTH_test/uploads", "/v1/AUTH_test/uploads/"])
def test_container_root_is_allowed(path: str) -> None:
    form = sign_form_post(url_or_path=path, key=KEY, expires=EXPIRES, max_file_size=5)
    assert form.action == path


def test_fields_are_read_only() -> None:
    form = sign_form_post(url_or_path=PATH, key=KEY, expires=EXPIRES, max_file_size=5)
    with pytest.raises(TypeError):
        form.fields["signature"] = "forged"  # type: ignore[index]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url_or_path": "/v1/AUTH_test"}, "/v1/<account>/<container>"),
        ({"url_or_path": "/v1/AUTH_test/"}, "/v1/<account>/<container>"),
        ({"url_or_path": "/auth/v1.0/x/y"}, "/v1/<account>/<container>"),
        ({"max_file_size": 0}, "max_file_size"),
        ({"max_file_size": True}, "max_file_size"),
        ({"max_file_count": 0}, "max_file_count"),
        ({"expires": 0}, "expires"),
        ({"digest": "md5"}, "digest"),
        ({"redirect": "https://example.com/a-"}, "must not end with '-'"),
        ({"redirect": "https://example.com/\r\nX: y"}, "CR, LF"),
        ({"redirect": "https://example.com/" + "a" * 4096}, "longer than 4096"),
        ({"x_delete_at": 1, "x_delete_after": 1}, "not both"),
        ({"x_delete_after": 0}, "x_delete_after"),
        ({"key": b""}, "key must not be empty"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "url_or_path": PATH,
        "key": KEY,
        "expires": EXPIRES,
        "max_file_size": 10,
    }
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message) as info:
        sign_form_post(**arguments)  # type: ignore[arg-type]
    assert KEY not in str(info.value)


def test_multipart_body_puts_fields_first_then_files() -> None:
    form = sign_form_post(url_or_path=PATH, key=KEY, expires=EXPIRES, max_file_size=100)
    payload = bytes(range(256)) + b"\r\n--not-a-boundary\r\n"
    body = encode_multipart(
        form.fields,
        [
            FormFile("a.bin", payload),
            FormFile("отчёт.txt", b"hello", content_type="text/plain; charset=utf-8"),
        ],
        boundary="XyZ",
    )
    assert body.content_type == "multipart/form-data; boundary=XyZ"
    raw = b"".join(body)
    assert body.content_length == len(raw)
    parts = _parse(raw, "XyZ")
    names = [headers.split(b'name="', 1)[1].split(b'"', 1)[0] for headers, _ in parts]
    assert names == [name.encode() for name in form.fields] + [b"file1", b"file2"]
    for (headers, content), (name, value) in zip(parts, form.fields.items(), strict=False):
        assert headers == f'Content-Disposition: form-data; name="{name}"'.encode()
        assert content == value.encode()
    file_headers, file_content = parts[-2]
    assert file_headers == (
        b'Content-Disposition: form-data; name="file1"; filename="a.bin"\r\n'
        b"Content-Type: application/octet-stream"
    )
    assert file_content == payload
    assert parts[-1][0].startswith(
        'Content-Disposition: form-data; name="file2"; filename="отчёт.txt"'.encode()
    )
    assert parts[-1][1] == b"hello"


def test_multipart_streams_file_objects_in_bounded_chunks() -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    body = encode_multipart(
        {"a": "1"}, [FormFile("big.bin", io.BytesIO(data), size=len(data))], boundary="B"
    )
    chunks = list(body)
    assert max(len(chunk) for chunk in chunks) <= 64 * 1024
    raw = b"".join(chunks)
    assert body.content_length == len(raw)
    assert _parse(raw, "B")[-1][1] == data


def test_multipart_accepts_iterables_and_unknown_sizes() -> None:
    def gen() -> Iterator[bytes]:
        yield b"ab"
        yield b""
        yield b"cd"

    body = encode_multipart([("k", "v")], [FormFile("f", gen(), field_name="upload")])
    assert body.content_length is None
    raw = b"".join(body)
    parts = _parse(raw, body.boundary)
    assert parts[-1][1] == b"abcd"
    assert b'name="upload"; filename="f"' in parts[-1][0]


def test_random_boundaries_differ() -> None:
    first = encode_multipart({}, [FormFile("f", b"x")])
    second = encode_multipart({}, [FormFile("f", b"x")])
    assert first.boundary != second.boundary


def test_bytes_bodies_can_be_iterated_twice() -> None:
    body = encode_multipart({"a": "b"}, [FormFile("f", b"data")])
    assert b"".join(body) == b"".join(body)


@pytest.mark.parametrize(
    ("size", "message"), [(3, "longer than its declared size"), (10, "ended after 4 of 10")]
)
def test_a_stream_that_does_not_match_its_size_fails_instead_of_truncating(
    size: int, message: str
) -> None:
    body = encode_multipart({}, [FormFile("f", io.BytesIO(b"data"), size=size)])
    with pytest.raises(ValueError, match=message):
        b"".join(body)


@pytest.mark.parametrize(
    ("files", "fields", "message"),
    [
        ([FormFile("", b"x")], {}, "non-empty filename"),
        ([FormFile('a"b', b"x")], {}, "quotes"),
        ([FormFile("a\r\nb", b"x")], {}, "CR, LF"),
        ([FormFile("a", b"x", content_type="text/plain\r\nX-Evil: 1")], {}, "content type"),
        ([FormFile("a", b"x", size=-1)], {}, "size"),
        ([b"not a FormFile"], {}, "FormFile"),
        ([], {'bad"name': "v"}, "field name"),
        ([], {"name": 1}, "must be a str"),
    ],
)
def test_encode_rejects_what_cannot_be_framed(
    files: list[FormFile], fields: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        encode_multipart(fields, files)


def test_non_bytes_chunks_are_rejected_while_streaming() -> None:
    body = encode_multipart({}, [FormFile("f", ["text"])])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="must be bytes"):
        b"".join(body)


def test_the_file_data_is_not_in_the_repr() -> None:
    assert "SECRET-BYTES" not in repr(FormFile("f", b"SECRET-BYTES"))


def _signature(**overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "url_or_path": PATH,
        "key": KEY,
        "expires": EXPIRES,
        "max_file_size": 10,
    }
    arguments.update(overrides)
    return sign_form_post(**arguments).fields["signature"]


def test_signature_depends_on_every_signed_field_and_only_those() -> None:
    signatures = {
        _signature(),
        _signature(max_file_size=11),
        _signature(max_file_count=2),
        _signature(expires=EXPIRES + 1),
        _signature(redirect="https://r"),
        _signature(url_or_path=PATH + "x"),
        _signature(key=KEY + "x"),
    }
    assert len(signatures) == 7
    assert _signature(x_delete_at=EXPIRES) == _signature()
    assert _signature(x_delete_after=60) == _signature()


# -- against the fake Swift, over HTTP with bare urllib3 ---------------------------------------


@pytest.fixture
def http() -> Iterator[urllib3.PoolManager]:
    with urllib3.PoolManager(retries=False, timeout=5.0) as pool:
        yield pool


@pytest.fixture
def plain(fake_swift: Any, http: urllib3.PoolManager) -> PlainSwift:
    session = PlainSwift(fake_swift, http)
    session.set_account_key(KEY)
    session.put("/media")
    return session


def _post(http: urllib3.PoolManager, form: FormPostForm, files: list[FormFile]) -> Any:
    body = encode_multipart(form.fields, files)
    headers = {"Content-Type": body.content_type}
    if body.content_length is not None:
        headers["Content-Length"] = str(body.content_length)
    # The body goes out as a stream of chunks, as a server-side upload would send it.
    return http.request("POST", form.action, body=iter(body), headers=headers)


def _form(fake_swift: Any, plain: PlainSwift, **kw: Any) -> FormPostForm:
    arguments: dict[str, Any] = {
        "url_or_path": plain.storage_url + "/media/" + quote("входящие/"),
        "key": KEY,
        "expires": int(fake_swift.clock.time()) + 300,
        "max_file_size": 1024,
        "max_file_count": 2,
    }
    arguments.update(kw)
    return sign_form_post(**arguments)


@pytest.mark.parametrize("digest", ["sha1", "sha256", "sha512"])
def test_fake_accepts_a_signed_form(
    fake_swift: Any, plain: PlainSwift, http: urllib3.PoolManager, digest: str
) -> None:
    form = _form(fake_swift, plain, digest=digest)
    files = [
        FormFile("a.txt", b"first", content_type="text/plain"),
        FormFile("b.bin", io.BytesIO(b"\x00second\r\n"), size=9),
    ]
    reply = _post(http, form, files)
    assert reply.status == 201, reply.data
    assert plain.get("/media/" + quote("входящие/a.txt")) == b"first"
    assert plain.get("/media/" + quote("входящие/b.bin")) == b"\x00second\r\n"


def test_fake_redirects_with_the_status(
    fake_swift: Any, plain: PlainSwift, http: urllib3.PoolManager
) -> None:
    form = _form(fake_swift, plain, redirect="https://example.com/done?id=7")
    reply = _post(http, form, [FormFile("a.txt", b"x")])
    assert reply.status == 303
    assert reply.headers["Location"].startswith("https://example.com/done?id=7&status=201")


def test_fake_refuses_a_tampered_form(
    fake_swift: Any, plain: PlainSwift, http: urllib3.PoolManager
) -> None:
    form = _form(fake_swift, plain)
    raised = FormPostForm(action=form.action, fields={**form.fields, "max_file_size": "999999"})
    other_prefix = FormPostForm(
        action=plain.storage_url + "/media/elsewhere/", fields=dict(form.fields)
    )
    wrong_key = _form(fake_swift, plain, key=KEY + "-wrong")
    for bad in (raised, other_prefix, wrong_key):
        assert _post(http, bad, [FormFile("a.txt", b"x")]).status == 401
    for path in ("/media/" + quote("входящие/a.txt"), "/media/elsewhere/a.txt"):
        assert plain.request("GET", path).status == 404


def test_fake_refuses_an_expired_form(
    fake_swift: Any, plain: PlainSwift, http: urllib3.PoolManager
) -> None:
    form = _form(fake_swift, plain, expires=int(fake_swift.clock.time()) + 60)
    fake_swift.clock.advance(120)
    assert _post(http, form, [FormFile("a.txt", b"x")]).status == 401
    assert plain.request("GET", "/media/" + quote("входящие/a.txt")).status == 404


def test_fake_enforces_the_signed_limits(
    fake_swift: Any, plain: PlainSwift, http: urllib3.PoolManager
) -> None:
    form = _form(fake_swift, plain, max_file_size=4, max_file_count=1)
    assert _post(http, form, [FormFile("big.txt", b"12345")]).status == 400
    two = [FormFile("a.txt", b"1"), FormFile("b.txt", b"2")]
    assert _post(http, form, two).status == 400
