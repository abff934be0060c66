"""The generator on a tiny description: what it renders, and how it reports mistakes."""

from __future__ import annotations

import importlib
import pickle
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest
from selectel_objects import Headers, NotFoundError, ObjectStorageError, ServerError

from scripts import generate_objects as gen

TINY = """
[errors]
default = "ObjectStorageError"
server = "ServerError"
[errors.status]
"404" = "NotFoundError"

[models.Thing]
doc = "A thing."
source = "headers"
fields = [
  { name = "size", header = "Content-Length", type = "int" },
  { name = "etag", header = "ETag", type = "etag" },
  { name = "changed", header = "Last-Modified", type = "http_date" },
  { name = "big", header = "X-Static-Large-Object", type = "bool" },
  { name = "kind", header = "X-Thing-Meta-Kind", type = "str" },
  { name = "metadata", prefix = "X-Thing-Meta-", type = "meta" },
  { name = "key", header = "X-Thing-Meta-Key", type = "str", secret = true },
  { name = "request_id", header = ["X-Openstack-Request-Id", "X-Trans-Id"], type = "str" },
]

[models.Dir]
doc = "A directory."
source = "json"
when_key = "subdir"
fields = [{ name = "name", key = "subdir", type = "str", required = true }]

[models.Item]
doc = "An item."
source = "json"
fields = [
  { name = "name", key = "name", type = "str", required = true },
  { name = "size", key = "bytes", type = "int" },
  { name = "when", key = "last_modified", type = "iso_date" },
]

[operations.head_thing]
doc = "Look at a thing."
method = "HEAD"
path = "/{container}/{object_name}"
success = [200]
response = { model = "Thing" }
params = [
  { name = "since", header = "If-Modified-Since", type = "http_date" },
  { name = "only_new", header = "If-None-Match", type = "flag", value = "*" },
  { name = "limit", query = "limit", type = "int" },
  { name = "metadata", type = "meta", prefix = "X-Thing-Meta-", remove_prefix = "X-Rm-Meta-" },
]

[operations.list_things]
doc = "List things."
method = "GET"
path = "/{container}"
fixed_query = { format = "json", "bulk-ish" = "" }
fixed_headers = { Accept = "application/json" }
success = [200, 204]
response = { list = ["Dir", "Item"] }

[operations.get_doc]
doc = "The document."
method = "GET"
base = "root"
path = "/info"
success = [200]
response = { json = true }
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[ModuleType]:
    """The tiny description generated into an importable package ``tinygen``."""
    description = tmp_path / "tiny.toml"
    description.write_text(TINY)
    assert gen.main(["--description", str(description), "--output", str(tmp_path / "tinygen")]) == 0
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("tinygen.operations")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "tinygen" or m.startswith("tinygen.")]:
            del sys.modules[name]


def test_build_request_encodes_path_query_and_headers(tiny: Any) -> None:
    request = tiny.build_head_thing_request(
        "my box",
        "a b/../ü?.txt",
        tiny.HeadThingOptions(
            since=datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
            only_new=True,
            limit=5,
            metadata={"Color": "blå", "Old": None},
            headers={"if-none-match": "override"},
        ),
    )
    assert request.method == "HEAD"
    assert request.url == "/my%20box/a%20b/%2E%2E/%C3%BC%3F.txt?limit=5"
    assert request.at("http://h/v1/AUTH_a/") == (
        "http://h/v1/AUTH_a/my%20box/a%20b/%2E%2E/%C3%BC%3F.txt?limit=5"
    )
    assert request.headers["If-Modified-Since"] == "Tue, 02 Jan 2024 03:04:05 GMT"
    assert request.headers["If-None-Match"] == "override"
    assert request.headers["X-Thing-Meta-Color"] == "blå".encode().decode("latin-1")
    assert request.headers["X-Rm-Meta-Old"] == "x"
    assert request.expected == frozenset({200})
    assert request.operation == "head_thing"


def test_unset_options_send_nothing(tiny: Any) -> None:
    request = tiny.build_head_thing_request("c", "o")
    assert request.url == "/c/o"
    assert request.at("http://h/v1/A") == "http://h/v1/A/c/o"
    assert dict(request.headers) == {}


def test_fixed_query_and_headers_and_root_base(tiny: Any) -> None:
    listing = tiny.build_list_things_request("c")
    assert listing.at("http://h/v1/A") == "http://h/v1/A/c?format=json&bulk-ish"
    assert listing.headers["accept"] == "application/json"
    assert tiny.build_get_doc_request().at("https://h:8/v1/A") == "https://h:8/info"


def test_options_are_typed_frozen_and_shared_by_default(tiny: Any) -> None:
    options = tiny.HeadThingOptions(limit=3)
    with pytest.raises(AttributeError):
        options.limit = 4
    with pytest.raises(TypeError):
        tiny.HeadThingOptions(3)  # keyword-only
    assert tiny.build_head_thing_request("c", "o", options).url == "/c/o?limit=3"


def test_required_fields_are_typed_required() -> None:
    source = gen.render(gen.load(gen.DESCRIPTION), "x.toml")["models.py"]
    assert "    name: str\n" in source
    assert "    name: str | None" not in source


def test_parse_headers_into_the_model(tiny: Any) -> None:
    thing = tiny.parse_head_thing_response(
        Headers(
            {
                "content-length": "12",
                "Etag": '"abc"',
                "Last-Modified": "Tue, 02 Jan 2024 03:04:05 GMT",
                "X-Static-Large-Object": "True",
                "X-Thing-Meta-Kind": "box",
                "X-Thing-Meta-Key": "sekrit-value",
                "X-Thing-Meta-Color": "blå".encode().decode("latin-1"),
                "X-Trans-Id": "tx1",
            }
        )
    )
    assert thing.size == 12
    assert thing.etag == "abc"
    assert thing.changed == datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert thing.big is True
    assert thing.kind == "box"
    # Fields mapped on their own are not repeated in the metadata dict.
    assert thing.metadata == {"color": "blå"}
    assert thing.request_id == "tx1"
    assert "sekrit-value" not in repr(thing)


def test_missing_headers_are_none_and_bad_numbers_are_lenient(tiny: Any) -> None:
    thing = tiny.parse_head_thing_response(Headers({"Content-Length": "many"}))
    assert thing.size is None
    assert thing.big is False
    assert thing.metadata == {}


def test_parse_listing_dispatches_on_the_when_key(tiny: Any) -> None:
    body = (
        b'[{"subdir": "a/"},'
        b' {"name": "b", "bytes": 3, "last_modified": "2013-05-27T13:16:49.007590"}]'
    )
    items = tiny.parse_list_things_response(body)
    assert [type(i).__name__ for i in items] == ["Dir", "Item"]
    assert items[0].name == "a/"
    assert items[1].size == 3
    assert items[1].when == datetime(2013, 5, 27, 13, 16, 49, 7590, tzinfo=timezone.utc)
    assert tiny.parse_list_things_response(b"") == []


def test_listed_items_equal_built_ones_and_parse_dates_once(tiny: Any) -> None:
    body = b'[{"name": "b", "bytes": 3, "last_modified": "2013-05-27T13:16:49"}, {"name": "c"}]'
    first, bare = tiny.parse_list_things_response(body)
    when = datetime(2013, 5, 27, 13, 16, 49, tzinfo=timezone.utc)
    assert "when" not in vars(first)  # the text waits until someone reads the date
    assert first == tiny.Item(name="b", size=3, when=when)
    assert vars(first)["when"] == when
    assert bare.when is None
    assert hash(first) == hash(tiny.Item(name="b", size=3, when=when))
    assert pickle.loads(pickle.dumps(tiny.parse_list_things_response(body)[0])).when == when
    assert attrs.evolve(first, size=4).size == 4
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        first.size = 5
    with pytest.raises(AttributeError):
        _ = first.missing


@pytest.mark.parametrize("body", [b"{not json", b'{"a": 1}', b'[{"bytes": 1}]', b"[1, 2]"], ids=str)
def test_a_malformed_listing_is_a_typed_error(tiny: Any, body: bytes) -> None:
    with pytest.raises(ObjectStorageError, match="Swift sent"):
        tiny.parse_list_things_response(body)


def test_errors_table(tmp_path: Path, tiny: Any) -> None:
    errors = importlib.import_module("tinygen.errors")
    assert errors.error_class(404) is NotFoundError
    assert errors.error_class(503) is ServerError
    assert errors.error_class(400) is ObjectStorageError


def test_every_problem_of_a_bad_description_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        """
[errors]
default = "ObjectStorageError"
server = "ServerError"
[errors.status]
"4x4" = "NotFoundError"

[models.thing]
source = "headers"
doc = "x"
fields = [{ name = "size", type = "integer" }, { name = "n", type = "int" }]

[operations.Bad-Op]
doc = "x"
method = "FETCH"
path = "/{bucket}"
success = [200]
response = { model = "Nope" }
params = [{ name = "headers", header = "X", query = "y", type = "str" }]
"""
    )
    with pytest.raises(gen.DescriptionError) as caught:
        gen.load(bad)
    problems = "\n".join(caught.value.problems)
    for expected in [
        "'4x4'",
        "CapWords",
        "type 'integer'",
        "models.thing.n: needs header",
        "lower_case identifier",
        "method 'FETCH'",
        "{bucket}",
        "unknown model 'Nope'",
        "not a usable parameter name",
        "exactly one of header",
    ]:
        assert expected in problems
    assert gen.main(["--description", str(bad), "--output", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()
