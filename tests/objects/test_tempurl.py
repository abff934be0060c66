"""TempURL signing: cross-checked against python-swiftclient and against the HMAC by hand."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import urllib3
from selectel_objects._features.tempurl import sign_temp_url
from selectel_objects.errors import InvalidNameError
from swiftclient.utils import generate_temp_url

from tests.objects._legacy_tempurl import sign_legacy_temp_url
from tests.objects._signed_http import PlainSwift

KEY = "s3cr3t-tempurl-key"
EXPIRES = 1_900_000_000  # 2030-03-17T17:46:40Z
PATH = "/v1/AUTH_test/media/photos/cat.jpg"


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def _sig(url: str) -> str:
    return _query(url)["temp_url_sig"][0]


def _reference(path: str, method: str = "GET", key: str | bytes = KEY, **kw: object) -> str:
    return str(generate_temp_url(path, EXPIRES, key, method, absolute=True, **kw))


@pytest.mark.parametrize("digest", ["sha1", "sha256", "sha512"])
@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "POST", "DELETE"])
def test_signature_matches_swiftclient(digest: str, method: str) -> None:
    ours = sign_temp_url(method=method, url_or_path=PATH, key=KEY, expires=EXPIRES, digest=digest)
    ref = _reference(PATH, method, digest=digest)
    assert _sig(ours) == _sig(ref)
    assert _query(ours)["temp_url_expires"] == [str(EXPIRES)]
    assert urlsplit(ours).path == PATH


def test_sha512_uses_the_prefixed_base64_form() -> None:
    url = sign_temp_url(method="GET", url_or_path=PATH, key=KEY, expires=EXPIRES, digest="sha512")
    sig = _sig(url)
    assert sig.startswith("sha512:")
    assert "=" not in sig and "+" not in sig and "/" not in sig  # url-safe, unpadded


def test_signed_string_is_method_expires_path() -> None:
    url = sign_temp_url(method="PUT", url_or_path=PATH, key=KEY, expires=EXPIRES)
    expected = hmac.new(KEY.encode(), f"PUT\n{EXPIRES}\n{PATH}".encode(), hashlib.sha256)
    assert _sig(url) == expected.hexdigest()


@pytest.mark.parametrize("digest", ["sha1", "sha256"])
def test_base64_signature_flag_encodes_the_same_mac(digest: str) -> None:
    hex_url = sign_temp_url(method="GET", url_or_path=PATH, key=KEY, expires=EXPIRES, digest=digest)
    b64_url = sign_temp_url(
        method="GET",
        url_or_path=PATH,
        key=KEY,
        expires=EXPIRES,
        digest=digest,
        base64_signature=True,
    )
    algo, _, encoded = _sig(b64_url).partition(":")
    assert algo == digest
    raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    assert raw.hex() == _sig(hex_url)


@pytest.mark.parametrize("digest", ["sha1", "sha256", "sha512"])
@pytest.mark.parametrize("prefix_path", ["/v1/AUTH_test/media/photos/", "/v1/AUTH_test/media/"])
def test_prefix_signature_matches_swiftclient(digest: str, prefix_path: str) -> None:
    ours = sign_temp_url(
        method="GET", url_or_path=prefix_path, key=KEY, expires=EXPIRES, digest=digest, prefix=True
    )
    ref = _reference(prefix_path, digest=digest, prefix=True)
    assert _sig(ours) == _sig(ref)
    assert _query(ours)["temp_url_prefix"] == [prefix_path.split("/", 4)[4]]


def test_prefix_signs_prefix_colon_path() -> None:
    url = sign_temp_url(
        method="GET", url_or_path="/v1/a/c/pre", key=KEY, expires=EXPIRES, prefix=True
    )
    expected = hmac.new(KEY.encode(), f"GET\n{EXPIRES}\nprefix:/v1/a/c/pre".encode(), "sha256")
    assert _sig(url) == expected.hexdigest()


def test_iso8601_expiry_matches_swiftclient() -> None:
    ours = sign_temp_url(method="GET", url_or_path=PATH, key=KEY, expires=EXPIRES, iso8601=True)
    ref = _reference(PATH, iso8601=True)
    assert _query(ours)["temp_url_expires"] == ["2030-03-17T17:46:40Z"]
    assert _query(ours)["temp_url_expires"] == _query(ref)["temp_url_expires"]
    assert _sig(ours) == _sig(ref)  # the signature still covers Unix seconds


@pytest.mark.parametrize("ip_range", ["127.0.0.1", "10.0.0.0/8", "2001:db8::/32"])
@pytest.mark.parametrize("digest", ["sha1", "sha256", "sha512"])
def test_ip_range_matches_swiftclient(ip_range: str, digest: str) -> None:
    ours = sign_temp_url(
        method="GET", url_or_path=PATH, key=KEY, expires=EXPIRES, ip_range=ip_range, digest=digest
    )
    ref = _reference(PATH, ip_range=ip_range, digest=digest)
    assert _sig(ours) == _sig(ref)
    assert _query(ours)["temp_url_ip_range"] == [ip_range]


def test_ip_range_with_prefix_matches_swiftclient() -> None:
    path = "/v1/AUTH_test/media/pre"
    ours = sign_temp_url(
        method="PUT",
        url_or_path=path,
        key=KEY,
        expires=EXPIRES,
        prefix=True,
        ip_range="10.1.0.0/16",
    )
    ref = _reference(path, "PUT", prefix=True, ip_range="10.1.0.0/16")
    assert _sig(ours) == _sig(ref)


def test_non_ascii_name_signs_the_decoded_path_and_quotes_the_url() -> None:
    decoded = "/v1/AUTH_test/медиа/папка/кот 1%.jpg"
    wire = quote(decoded)
    ours = sign_temp_url(method="GET", url_or_path=wire, key=KEY, expires=EXPIRES)
    assert _sig(ours) == _sig(_reference(decoded))
    assert urlsplit(ours).path == wire


def test_unicode_and_bytes_keys_agree_with_swiftclient() -> None:
    key = "ключ-😀"
    from_str = sign_temp_url(method="GET", url_or_path=PATH, key=key, expires=EXPIRES)
    from_bytes = sign_temp_url(method="GET", url_or_path=PATH, key=key.encode(), expires=EXPIRES)
    assert _sig(from_str) == _sig(from_bytes) == _sig(_reference(PATH, key=key))


def test_absolute_url_keeps_scheme_host_and_port() -> None:
    url = sign_temp_url(
        method="GET",
        url_or_path="https://swift.ru-1.storage.selcloud.ru:8443" + PATH,
        key=KEY,
        expires=EXPIRES,
    )
    assert url.startswith("https://swift.ru-1.storage.selcloud.ru:8443" + PATH + "?temp_url_sig=")
    assert _sig(url) == _sig(_reference(PATH))


def test_lower_case_method_is_accepted_and_signed_upper_case() -> None:
    lower = sign_temp_url(method="get", url_or_path=PATH, key=KEY, expires=EXPIRES)
    assert _sig(lower) == _sig(_reference(PATH, "GET"))


def test_filename_and_inline_are_appended() -> None:
    url = sign_temp_url(
        method="GET",
        url_or_path=PATH,
        key=KEY,
        expires=EXPIRES,
        filename="отчёт & план.pdf",
        inline=True,
    )
    query = _query(url)
    assert query["filename"] == ["отчёт & план.pdf"]
    assert query["inline"] == [""]
    assert url.endswith("&inline")
    assert _sig(url) == _sig(_reference(PATH))  # not part of the signature


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "PATCH"}, "method must be one of"),
        ({"method": None}, "method must be one of"),
        ({"expires": 0}, "positive"),
        ({"expires": -5}, "positive"),
        ({"expires": True}, "must be an int"),
        ({"expires": 1.5}, "must be an int"),
        ({"expires": "1900000000"}, "must be an int"),
        ({"expires": 10**12}, "positive absolute Unix time"),
        ({"digest": "md5"}, "digest must be one of"),
        ({"url_or_path": "/v1/AUTH_test/media"}, "/v1/<account>/<container>/<object>"),
        ({"url_or_path": "/v1/AUTH_test/media/"}, "has no object name"),
        ({"url_or_path": "/v1/AUTH_test/media//"}, "has no object name"),
        ({"url_or_path": "/v2/AUTH_test/media/o"}, "/v1/<account>"),
        ({"url_or_path": "/v1//media/o"}, "/v1/<account>"),
        ({"url_or_path": "v1/AUTH_test/media/o"}, "starting with '/'"),
        ({"url_or_path": "ftp://host/v1/a/c/o"}, r"http\(s\) URL"),
        ({"url_or_path": PATH + "?x=1"}, "query"),
        ({"url_or_path": PATH + "#frag"}, "query or fragment"),
        ({"url_or_path": "/v1/a/c/кот.jpg"}, "percent-encoded"),
        ({"url_or_path": "/v1/a/c/a b"}, "percent-encoded"),
        ({"url_or_path": "/v1/a/c/100%"}, "percent-encoded"),
        ({"url_or_path": "/v1/a/c/%ff"}, "UTF-8"),
        ({"key": ""}, "key must not be empty"),
        ({"key": 123}, "key must be str or bytes"),
        ({"ip_range": "10.0.0.1/8"}, "ip_range"),
        ({"ip_range": "not-an-ip"}, "ip_range"),
        ({"filename": ""}, "filename"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "method": "GET",
        "url_or_path": PATH,
        "key": KEY,
        "expires": EXPIRES,
    }
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message) as info:
        sign_temp_url(**arguments)  # type: ignore[arg-type]
    assert KEY not in str(info.value)


def test_prefix_mode_accepts_an_empty_prefix_but_needs_a_container() -> None:
    sign_temp_url(method="GET", url_or_path="/v1/a/c/", key=KEY, expires=EXPIRES, prefix=True)
    with pytest.raises(ValueError, match="<prefix>"):
        sign_temp_url(method="GET", url_or_path="/v1/a/c", key=KEY, expires=EXPIRES, prefix=True)


def test_the_key_never_appears_in_the_url() -> None:
    url = sign_temp_url(method="GET", url_or_path=PATH, key=KEY, expires=EXPIRES)
    assert KEY not in url


def test_legacy_link_is_sha1_hex_over_the_domain_relative_path() -> None:
    url = sign_legacy_temp_url(
        url="https://12345.selcdn.ru/media/dir/file%20one.txt",
        key=KEY,
        expires=EXPIRES,
        filename="one.txt",
    )
    expected = hmac.new(
        KEY.encode(), f"GET\n{EXPIRES}\n/media/dir/file one.txt".encode(), hashlib.sha1
    ).hexdigest()
    assert url == (
        "https://12345.selcdn.ru/media/dir/file%20one.txt"
        f"?temp_url_sig={expected}&temp_url_expires={EXPIRES}&filename=one.txt"
    )


def test_legacy_link_on_a_custom_domain_omits_the_container() -> None:
    url = sign_legacy_temp_url(url="https://cdn.example.com/file.txt", key=KEY, expires=EXPIRES)
    expected = hmac.new(KEY.encode(), f"GET\n{EXPIRES}\n/file.txt".encode(), hashlib.sha1)
    assert _sig(url) == expected.hexdigest()
    assert len(_sig(url)) == 40


@pytest.mark.parametrize("url", ["https://cdn.example.com/", "https://cdn.example.com"])
def test_legacy_link_needs_an_object(url: str) -> None:
    with pytest.raises(ValueError, match=r"must name an object|starting with '/'"):
        sign_legacy_temp_url(url=url, key=KEY, expires=EXPIRES)


def test_expires_in_the_past_is_signed_as_given() -> None:
    # Pure function: the caller decides the time; an already-expired URL is still well-formed.
    past = int(time.time()) - 60
    url = sign_temp_url(method="GET", url_or_path=PATH, key=KEY, expires=past)
    assert _query(url)["temp_url_expires"] == [str(past)]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/v1/AUTH_test/%2E%2E/o", "path step"),
        ("/v1/AUTH_test/c/" + "x" * 1025, "at most 1024"),
        ("/v1/AUTH_test/c/a%00b", "NUL"),
    ],
)
def test_names_swift_cannot_store_raise_invalid_name_error(path: str, message: str) -> None:
    with pytest.raises(InvalidNameError, match=message):
        sign_temp_url(method="GET", url_or_path=path, key=KEY, expires=EXPIRES)


# -- against the fake Swift, over HTTP with bare urllib3 ---------------------------------------


@pytest.fixture
def http() -> Iterator[urllib3.PoolManager]:
    with urllib3.PoolManager(retries=False, timeout=5.0) as pool:
        yield pool


@pytest.fixture
def plain(fake_swift: Any, http: urllib3.PoolManager) -> PlainSwift:
    """Account key set, container ``media`` with ``photos/кот.jpg`` and ``other.txt``."""
    session = PlainSwift(fake_swift, http)
    session.set_account_key(KEY)
    session.put("/media")
    session.put("/media/" + quote("photos/кот.jpg"), b"meow")
    session.put("/media/other.txt", b"other")
    return session


def _soon(fake_swift: Any, seconds: int = 300) -> int:
    return int(fake_swift.clock.time()) + seconds


@pytest.mark.parametrize("digest", ["sha1", "sha256", "sha512"])
def test_fake_accepts_a_signed_get(
    fake_swift: Any, plain: PlainSwift, http: urllib3.PoolManager, digest: str
) -> None:
    url = sign_temp_url(
        method="GET",
        url_or_path=plain.storage_url + "/media/" + quote("photos/кот.jpg"),
        key=KEY,
        expires=_soon(fake_swift),
        digest=digest,
    )
    reply = http.request("GET", url)  # no token
    assert (reply.status, reply.data) == (200, b"meow")


def test_fake_accepts_base64_iso8601_and_filename(
    fake_swift: Any, plain: PlainSwift, http: urllib3.PoolManager
) -> None:
    url = sign_temp_url(
        method="GET",
        url_or_path=plain.storage_url + "/media/other.txt",
        key=KEY,
        expires=_soon(fake_swift),
        base64_signature=True,
        iso8601=True,
        filename="report.txt",
    )
    reply = http.request("GET", url)
    assert (reply.status, reply.data) == (200, b"other")
    assert reply.headers["Content-Disposition"].startswith('attachment; filename="report.txt"')


def test_a_get_signature_also_allows_head(
    fake_swift: Any, plain: PlainSwift, http: urllib3.PoolManager
) -> None:
    url = sign_temp_url(
        method="GET",
        url_or_path=plain.storage_url + "/media/other.txt",
        key=KEY,
        expires=_soon(fake_swift),
    )
    assert http.request("HEAD", url).status == 200
    assert http.request("DELETE", url).status == 401


def test_fake_accepts_a_signed_put(
    fake_swift: Any, plain: PlainSwift, http: urllib3.PoolManager
) -> None:
    path = "/media/" + quote("incoming/отчёт 1.txt")
    url = sign_temp_url(
        method="PUT", url_or_path=plain.storage_url + path, key=KEY, expires=_soon(fake_swift)
    )
    reply = http.request("PUT", url, body=b"uploaded via tempurl")
    assert reply.status == 201
    assert plain.get(path) == b"uploaded via tempurl"
    assert http.request("GET", url).status == 401  # a PUT signature does not allow GET


def test_fake_accepts_a_container_key(
    fake_swift: Any, plain: PlainSwift, http: urllib3.PoolManager
) -> None:
    plain.put("/private", headers={"X-Container-Meta-Temp-URL-Key": "container-key"})
    plain.put("/private/a.txt", b"a")
    url = sign_temp_url(
        method="GET",
        url_or_path=plain.storage_url + "/private/a.txt",
        key="container-key",
        expires=_soon(fake_swift),
    )
    assert http.request("GET", url).status == 200


def test_fake_accepts_a_prefix_signature_only_under_the_prefix(
    fake_swift: Any, plain: PlainSwift, http: urllib3.PoolManager
) -> None:
    url = sign_temp_url(
        method="GET",
        url_or_path=plain.storage_url + "/media/photos/",
        key=KEY,
        expires=_soon(fake_swift),
        prefix=True,
    )
    query = urlsplit(url).query
    inside = f"{plain.storage_url}/media/{quote('photos/кот.jpg')}?{query}"
    outside = f"{plain.storage_url}/media/other.txt?{query}"
    assert (http.request("GET", inside).status, http.request("GET", inside).data) == (200, b"meow")
    assert http.request("GET", outside).status == 401


def test_fake_accepts_a_prefix_put(
    fake_swift: Any, plain: PlainSwift, http: urllib3.PoolManager
) -> None:
    url = sign_temp_url(
        method="PUT",
        url_or_path=plain.storage_url + "/media/drop/",
        key=KEY,
        expires=_soon(fake_swift),
        prefix=True,
    )
    query = urlsplit(url).query
    reply = http.request("PUT", f"{plain.storage_url}/media/drop/x.bin?{query}", body=b"xx")
    assert reply.status == 201
    assert plain.get("/media/drop/x.bin") == b"xx"


def _tamper(url: str) -> str:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    sig = query["temp_url_sig"][0]
    forged = sig[:-1] + ("0" if sig[-1] != "0" else "1")
    return url.replace(f"temp_url_sig={sig}", f"temp_url_sig={forged}")


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_fake_refuses_tampered_urls(
    fake_swift: Any, plain: PlainSwift, http: urllib3.PoolManager, method: str
) -> None:
    expires = _soon(fake_swift)
    url = sign_temp_url(
        method=method, url_or_path=plain.storage_url + "/media/other.txt", key=KEY, expires=expires
    )
    body = b"forged" if method == "PUT" else None
    forged = [
        _tamper(url),
        url.replace(f"temp_url_expires={expires}", f"temp_url_expires={expires + 3600}"),
        url.replace("/media/other.txt", "/media/" + quote("photos/кот.jpg")),
        sign_temp_url(
            method=method,
            url_or_path=plain.storage_url + "/media/other.txt",
            key=KEY + "-wrong",
            expires=expires,
        ),
    ]
    assert len(set(forged)) == 4 and url not in forged
    assert [http.request(method, bad, body=body).status for bad in forged] == [401] * 4
    assert plain.get("/media/other.txt") == b"other"  # nothing was overwritten


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_fake_refuses_expired_urls(
    fake_swift: Any, plain: PlainSwift, http: urllib3.PoolManager, method: str
) -> None:
    url = sign_temp_url(
        method=method,
        url_or_path=plain.storage_url + "/media/other.txt",
        key=KEY,
        expires=_soon(fake_swift, 60),
    )
    fake_swift.clock.advance(120)
    assert http.request(method, url, body=b"x" if method == "PUT" else None).status == 401
    assert plain.get("/media/other.txt") == b"other"


def test_the_callers_encoding_of_the_path_is_kept() -> None:
    # %2E protects a dot segment from being collapsed by HTTP libraries; Swift signs it decoded.
    wire = "/v1/AUTH_test/media/dir/%2E%2E/x%61"
    url = sign_temp_url(method="GET", url_or_path=wire, key=KEY, expires=EXPIRES)
    assert urlsplit(url).path == wire
    assert _sig(url) == _sig(_reference("/v1/AUTH_test/media/dir/../xa"))
