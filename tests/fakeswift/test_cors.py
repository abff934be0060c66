"""CORS parity with real Swift: preflight ``OPTIONS`` and the headers of actual requests.

Like test_parity.py these go over raw ``http.client`` to the ``swift`` target, so they run
against the fake and, with ``SWIFT_TARGET=real``, against a real Swift (its proxy defaults:
``strict_cors_mode``, no operator origins).
"""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from tests.fakeswift.cors import SIMPLE_EXPOSE
from tests.fakeswift.test_parity import HELLO, STOCK_401, Raw, Target

ORIGIN = "https://app.example"
OTHER = "https://evil.example"
OBJECT_METHODS = {"OPTIONS", "DELETE", "GET", "PUT", "POST", "HEAD", "COPY"}


@pytest.fixture
def cors_box(swift: Target) -> Raw:
    """Container ``c`` allowing two origins, with ``hello.txt`` in it."""
    raw = Raw(swift)
    assert raw.put("c").status == 201
    rules = {
        "X-Container-Meta-Access-Control-Allow-Origin": f"{ORIGIN} https://two.example",
        "X-Container-Meta-Access-Control-Max-Age": "600",
        "X-Container-Meta-Access-Control-Expose-Headers": "X-Custom-Thing",
    }
    assert raw.request("POST", "c", rules, b"").status == 204
    assert raw.put("c/hello.txt", HELLO, X_Object_Meta_Color="blue").status == 201
    return raw


def _methods(value: str) -> set[str]:
    return {item.strip() for item in value.split(",")}


def test_preflight_allowed(cors_box: Raw) -> None:
    got = cors_box.request(
        "OPTIONS",
        "c/new.bin",
        {
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        },
        auth=False,
    )
    assert got.status == 200
    assert got["Access-Control-Allow-Origin"] == ORIGIN
    assert got["Vary"] == "Origin, Access-Control-Request-Headers"
    assert _methods(got["Access-Control-Allow-Methods"]) == OBJECT_METHODS
    assert _methods(got["Allow"]) == OBJECT_METHODS
    assert got["Access-Control-Allow-Headers"] == "content-type"
    assert got["Access-Control-Max-Age"] == "600"
    assert got.body == b""
    assert got.get("Content-Type") is None  # Swift replaces the reply's whole header set


def test_preflight_refusals(cors_box: Raw) -> None:
    def preflight(path: str, origin: str, method: str) -> int:
        headers = {"Origin": origin, "Access-Control-Request-Method": method}
        got = cors_box.request("OPTIONS", path, headers, auth=False)
        if got.status == 401:
            assert got.body == STOCK_401
            assert got.get("Access-Control-Allow-Origin") is None
            assert got.get("Www-Authenticate") is None
        return got.status

    assert preflight("c/hello.txt", OTHER, "GET") == 401
    assert preflight("c/hello.txt", ORIGIN, "PATCH") == 401
    assert preflight("missing/hello.txt", ORIGIN, "GET") == 401
    assert preflight("c", "https://two.example", "GET") == 200
    # Without Origin it is no preflight: the plain Allow answer.
    plain = cors_box.request("OPTIONS", "c/hello.txt", auth=False)
    assert plain.status == 200
    assert plain.get("Access-Control-Allow-Origin") is None


def test_actual_request_headers(cors_box: Raw) -> None:
    got = cors_box.request("GET", "c/hello.txt", {"Origin": ORIGIN})
    assert got.status == 200
    assert got["Access-Control-Allow-Origin"] == ORIGIN
    assert got["Vary"] == "Origin"
    exposed = _methods(got["Access-Control-Expose-Headers"])
    assert exposed == SIMPLE_EXPOSE | {"x-object-meta-color", "x-custom-thing"}
    missing = cors_box.request("GET", "c/nope", {"Origin": ORIGIN})
    assert (missing.status, missing["Access-Control-Allow-Origin"]) == (404, ORIGIN)
    foreign = cors_box.request("GET", "c/hello.txt", {"Origin": OTHER})
    assert foreign.status == 200
    assert foreign.get("Access-Control-Allow-Origin") is None
    assert foreign.get("Access-Control-Expose-Headers") is None
    plain = cors_box.request("GET", "c/hello.txt")
    assert plain.get("Access-Control-Allow-Origin") is None


def test_star_origin(cors_box: Raw) -> None:
    rules = {"X-Container-Meta-Access-Control-Allow-Origin": "*"}
    assert cors_box.request("POST", "c", rules, b"").status == 204
    headers = {"Origin": OTHER, "Access-Control-Request-Method": "GET"}
    pre = cors_box.request("OPTIONS", "c/hello.txt", headers, auth=False)
    assert (pre.status, pre["Access-Control-Allow-Origin"]) == (200, "*")
    assert pre.get("Vary") is None
    got = cors_box.request("HEAD", "c/hello.txt", {"Origin": OTHER})
    assert got["Access-Control-Allow-Origin"] == "*"
    assert got.get("Vary") is None


def test_tempurl_put_from_a_browser(cors_box: Raw) -> None:
    """What a direct browser upload does: preflight, then PUT to a TempURL."""
    assert cors_box.request("POST", "", {"X-Account-Meta-Temp-URL-Key": "k3y"}, b"").status == 204
    expires = int(time.time()) + 600
    path = f"{cors_box.account_path}/c/up.bin"
    sig = hmac.new(b"k3y", f"PUT\n{expires}\n{path}".encode(), hashlib.sha256).hexdigest()
    query = f"c/up.bin?temp_url_sig={sig}&temp_url_expires={expires}"
    pre = cors_box.request(
        "OPTIONS",
        query,
        {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"},
        auth=False,
    )
    assert (pre.status, pre["Access-Control-Allow-Origin"]) == (200, ORIGIN)
    put = cors_box.request("PUT", query, {"Origin": ORIGIN}, b"data", auth=False)
    assert (put.status, put["Access-Control-Allow-Origin"]) == (201, ORIGIN)
    assert "etag" in _methods(put["Access-Control-Expose-Headers"])
    bad = cors_box.request(
        "PUT",
        f"c/up.bin?temp_url_sig={'0' * 64}&temp_url_expires={expires}",
        {"Origin": ORIGIN},
        b"data",
        auth=False,
    )
    assert bad.status == 401
    assert bad.get("Access-Control-Allow-Origin") is None  # refused before the proxy
