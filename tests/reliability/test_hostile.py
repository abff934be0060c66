"""Hostile names and settings: each one a clear, typed error before any request.

Every case runs against a freshly reset fake and ends by asserting that not a single request
reached it (so no half-done upload, no auth request with a bad setting, no listing of the
wrong thing). Names that are odd but valid for Swift (dot segments, control characters,
percent signs, ...) must instead round-trip exactly; they are in ``TRICKY_VALID_NAMES``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files.base import ContentFile
from django_selectel.storages import SelectelStorage
from selectel_auth import (
    AuthConfigError,
    AuthTransportError,
    HttpReply,
    KeystoneCredential,
    StaticCredential,
    SwiftV1Credential,
    credential_from_env,
)
from selectel_objects import (
    Container,
    InvalidNameError,
    ObjectEntry,
    ObjectStorage,
    RetryPolicy,
    Urllib3Transport,
)

from tests.fakeswift import FakeSwift
from tests.reliability._support import TRANSPORTS, fast_retry, v1_storage

pytestmark = pytest.mark.fake_only

# -- object names ---------------------------------------------------------------------------

INVALID_OBJECT_NAMES: dict[str, Any] = {
    "empty": "",
    "NUL inside": "a\x00b",
    "NUL only": "\x00",
    "NUL at the end": "photo.jpg\x00.php",
    "lone high surrogate": "a\ud800b",
    "lone low surrogate": "\udc80",
    "undecodable file name byte (surrogateescape)": os.fsdecode(b"caf\xe9.txt"),
    "1025 ASCII bytes": "x" * 1025,
    "1026 UTF-8 bytes (513 x e-acute)": "\u00e9" * 513,
    "1025 bytes ending in a 4-byte emoji": "x" * 1021 + "\U0001f600",
}
WRONG_TYPE_NAMES: dict[str, Any] = {
    "bytes": b"name",
    "None": None,
    "int": 42,
    "Path": Path("dir/name"),
    "list": ["dir", "name"],
}
INVALID_CONTAINER_NAMES: dict[str, Any] = {
    "empty": "",
    "slash inside": "media/private",
    "slash only": "/",
    "dot": ".",
    "dot dot": "..",
    "NUL": "me\x00dia",
    "257 bytes": "c" * 257,
    "lone surrogate": "media\udfff",
}

#: Every Container method that takes an object name, called with ``name``.
NAME_OPERATIONS: dict[str, Callable[[Container, Any], object]] = {
    "put_object": lambda c, n: c.put_object(n, b"data"),
    "put_object (stream)": lambda c, n: c.put_object(n, iter([b"data"])),
    "upload_large": lambda c, n: c.upload_large(n, io.BytesIO(b"data"), segment_size=2),
    "get_object_bytes": lambda c, n: c.get_object_bytes(n),
    "open_object": lambda c, n: c.open_object(n),
    "head_object": lambda c, n: c.head_object(n),
    "object_exists": lambda c, n: c.object_exists(n),
    "delete_object": lambda c, n: c.delete_object(n, missing_ok=True),
    "copy_object (source)": lambda c, n: c.copy_object(n, "media", "dest"),
    "copy_object (destination)": lambda c, n: c.copy_object("src", "media", n),
    "post_object_metadata": lambda c, n: c.post_object_metadata(n, {"k": "v"}),
    "update_object_metadata": lambda c, n: c.update_object_metadata(n, {"k": "v"}),
    "public_url": lambda c, n: c.public_url(n),
    "temp_url": lambda c, n: c.temp_url(n, key="k" * 32, expires_in=60),
}


@pytest.fixture(params=TRANSPORTS)
def storage(request: pytest.FixtureRequest, fake_swift: FakeSwift) -> ObjectStorage:
    built = v1_storage(fake_swift, request.param)
    request.addfinalizer(built.close)
    return built


@pytest.mark.parametrize("operation", sorted(NAME_OPERATIONS))
@pytest.mark.parametrize("label", sorted(INVALID_OBJECT_NAMES))
def test_invalid_object_names_fail_before_any_request(
    fake_swift: FakeSwift, storage: ObjectStorage, label: str, operation: str
) -> None:
    with pytest.raises(InvalidNameError) as caught:
        NAME_OPERATIONS[operation](storage.container("media"), INVALID_OBJECT_NAMES[label])
    assert isinstance(caught.value, ValueError)
    assert "object name" in str(caught.value)
    assert fake_swift.count() == 0


# copy_object(dest_name=None) means "the same name": None is no wrong type there.
_WRONG_TYPE_CASES = [
    (label, operation)
    for label in sorted(WRONG_TYPE_NAMES)
    for operation in sorted(NAME_OPERATIONS)
    if not (label == "None" and operation == "copy_object (destination)")
]


@pytest.mark.parametrize(("label", "operation"), _WRONG_TYPE_CASES)
def test_names_of_the_wrong_type_fail_before_any_request(
    fake_swift: FakeSwift, storage: ObjectStorage, label: str, operation: str
) -> None:
    with pytest.raises(TypeError) as caught:
        NAME_OPERATIONS[operation](storage.container("media"), WRONG_TYPE_NAMES[label])
    assert fake_swift.count() == 0
    assert "must be str" in str(caught.value)


@pytest.mark.parametrize("label", sorted({**INVALID_CONTAINER_NAMES, **WRONG_TYPE_NAMES}))
def test_invalid_container_names_fail_before_any_request(
    fake_swift: FakeSwift, storage: ObjectStorage, label: str
) -> None:
    name = {**INVALID_CONTAINER_NAMES, **WRONG_TYPE_NAMES}[label]
    expected = TypeError if label in WRONG_TYPE_NAMES else InvalidNameError
    with pytest.raises(expected):
        storage.container(name)
    with pytest.raises(expected):
        storage.container("media").copy_object("src", name, "dest")
    assert fake_swift.count() == 0


#: Odd but valid Swift names: they must be stored and listed under exactly this name.
TRICKY_VALID_NAMES = {
    "dot": ".",
    "dot dot": "..",
    "dot segments": "a/./b/../c",
    "parent escape": "../../etc/passwd",
    "absolute": "/etc/passwd",
    "double slash": "a//b",
    "trailing slash": "folder/",
    "spaces": " lead and trail ",
    "percent-encoded look-alikes": "%2e%2e/%2F%00",
    "query and fragment": "a?b=c#d",
    "plus and ampersand": "a+b&c=d;e",
    "newline and CRLF header injection": "a\r\nX-Injected: 1",
    "tab, ESC and DEL": "\t\x1b[31m\x7f",
    "C1 control": "\x85\x9b",
    "RTL override": "\u202etxt.exe",
    "emoji and CJK": "\U0001f600/\u6587\u4ef6",
    "backslashes": "..\\..\\windows",
    "exactly 1024 bytes": "x" * 1020 + "\U0001f600",
}


@pytest.mark.parametrize("label", sorted(TRICKY_VALID_NAMES))
def test_tricky_valid_names_round_trip_exactly(
    fake_swift: FakeSwift, storage: ObjectStorage, label: str
) -> None:
    name = TRICKY_VALID_NAMES[label]
    data = f"content of {label}".encode()
    media = storage.container("media")
    media.create()
    storage.container("copies").create()
    media.put_object(name, data)
    stored = fake_swift.store.get_object("media", name)
    assert stored is not None and stored.data == data, "stored under another name"
    assert fake_swift.store.object_names("media") == [name]
    assert media.get_object_bytes(name) == data
    assert media.head_object(name).content_length == len(data)
    listed = [e.name for e in media.list_objects() if isinstance(e, ObjectEntry)]
    assert listed == [name]
    media.copy_object(name, "copies", label)
    copied = fake_swift.store.get_object("copies", label)
    assert copied is not None and copied.data == data
    media.delete_object(name)
    assert fake_swift.store.object_names("media") == []


# -- Django names ---------------------------------------------------------------------------

HOSTILE_DJANGO_NAMES: dict[str, Any] = {
    "dot dot": "..",
    "parent escape": "../secret.txt",
    "deep parent escape": "a/b/../../../etc/passwd",
    "absolute": "/etc/passwd",
    "backslash escape": "..\\..\\windows\\win.ini",
    "NUL": "a\x00b.txt",
    "newline": "a\nb.txt",
    "carriage return": "a\rX-Injected: 1",
    "ESC sequence": "\x1b[31mred.txt",
    "DEL": "a\x7f.txt",
    "lone surrogate": "a\ud800.txt",
    "1025 bytes": "x" * 1025,
    "empty": "",
    "slash only": "/",
}

DJANGO_NAME_OPERATIONS: dict[str, Callable[[SelectelStorage, Any], object]] = {
    "save": lambda s, n: s.save(n, ContentFile(b"data")),
    "open": lambda s, n: s.open(n),
    "exists": lambda s, n: s.exists(n),
    "delete": lambda s, n: s.delete(n),
    "size": lambda s, n: s.size(n),
    "url": lambda s, n: s.url(n),
}


def _django_options(fake: FakeSwift, transport: str, **extra: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "user": fake.v1_user,
        "key": fake.v1_key,
        "auth_url": fake.auth_v1_url,
        "storage_url": fake.storage_url(),
        "container": "media",
        "transport": transport,
    }
    options.update(extra)
    return options


# exists("") asks about the storage root, which exists (see below).
_DJANGO_NAME_CASES = [
    (label, operation)
    for label in sorted(HOSTILE_DJANGO_NAMES)
    for operation in sorted(DJANGO_NAME_OPERATIONS)
    if not (operation == "exists" and label == "empty")
]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("label", "operation"), _DJANGO_NAME_CASES)
def test_hostile_django_names_fail_before_any_request(
    fake_swift: FakeSwift,
    django_storage: Callable[[dict[str, Any]], SelectelStorage],
    transport: str,
    label: str,
    operation: str,
) -> None:
    name = HOSTILE_DJANGO_NAMES[label]
    storage = django_storage(_django_options(fake_swift, transport))
    with pytest.raises((SuspiciousFileOperation, ValueError)):
        DJANGO_NAME_OPERATIONS[operation](storage, name)
    assert fake_swift.count() == 0


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_django_root_exists_without_a_request(
    fake_swift: FakeSwift,
    django_storage: Callable[[dict[str, Any]], SelectelStorage],
    transport: str,
) -> None:
    storage = django_storage(_django_options(fake_swift, transport))
    assert storage.exists("") is True
    assert fake_swift.count() == 0
    with pytest.raises(SuspiciousFileOperation):
        storage.listdir("../")
    with pytest.raises(SuspiciousFileOperation):
        storage.listdir("/abs")
    assert fake_swift.count() == 0


# -- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadSetting:
    """A hostile configuration: building it (or its first use) must raise ``error``."""

    build: Callable[[FakeSwift, str], object]
    error: type[BaseException] | tuple[type[BaseException], ...]
    match: str | None = None


def _dj(**extra: Any) -> Callable[[FakeSwift, str], object]:
    """A Django storage with ``extra`` options (``None`` removes one), then one exists()."""

    def build(fake: FakeSwift, transport: str) -> object:
        options = _django_options(fake, transport)
        for key, value in extra.items():
            if value is None:
                options.pop(key, None)
            else:
                options[key] = value
        return SelectelStorage(**options).exists("probe.txt")

    return build


def _no_credentials(fake: FakeSwift, transport: str) -> object:
    storage = SelectelStorage(container="media", transport=transport, auth_url=fake.auth_v1_url)
    return storage.exists("probe.txt")


def _dsn(dsn: str) -> Callable[[FakeSwift, str], object]:
    # The fake's URLs, so that a DSN wrongly accepted reaches the fake and is counted.
    def build(fake: FakeSwift, transport: str) -> object:
        storage = SelectelStorage(
            dsn, transport=transport, auth_url=fake.auth_v1_url, storage_url=fake.storage_url()
        )
        return storage.exists("probe")

    return build


def _keystone(**extra: Any) -> Callable[[FakeSwift, str], object]:
    def build(fake: FakeSwift, transport: str) -> object:
        options: dict[str, Any] = {
            "username": fake.v3.name,
            "password": fake.v3.password,
            "account_id": fake.v3.account_id,
            "project_id": fake.v3.project_id,
            "auth_url": fake.auth_v3_url,
        }
        options.update(extra)
        return KeystoneCredential(**{k: v for k, v in options.items() if v is not None})

    return build


def _v1(**extra: Any) -> Callable[[FakeSwift, str], object]:
    def build(fake: FakeSwift, transport: str) -> object:
        options: dict[str, Any] = {"user": fake.v1_user, "key": fake.v1_key}
        options["auth_url"] = fake.auth_v1_url
        options.update(extra)
        return SwiftV1Credential(**options).get_token()

    return build


def _env(environ: dict[str, str]) -> Callable[[FakeSwift, str], object]:
    return lambda fake, transport: credential_from_env(environ).get_token()


def _objects(**extra: Any) -> Callable[[FakeSwift, str], object]:
    def build(fake: FakeSwift, transport: str) -> object:
        options: dict[str, Any] = {"transport": transport, "retry": fast_retry()}
        options.update(extra)
        with ObjectStorage(fake.v1_credential(), **options) as storage:
            return storage.container("media").exists()

    return build


def _container_call(call: Callable[[Container], object]) -> Callable[[FakeSwift, str], object]:
    def build(fake: FakeSwift, transport: str) -> object:
        with v1_storage(fake, transport) as storage:
            return call(storage.container("media"))

    return build


class _TextFile(io.StringIO):
    pass


def _sender(method: str, url: str, headers: Any, body: bytes | None, timeout: float) -> HttpReply:
    raise AssertionError("a sender that must never be called")


BAD_SETTINGS: dict[str, BadSetting] = {
    # django-selectel: every way of configuring it
    "django: no credentials at all": BadSetting(_no_credentials, ImproperlyConfigured),
    "django: user without key": BadSetting(_dj(key=None), ImproperlyConfigured),
    "django: empty key": BadSetting(_dj(key=""), ImproperlyConfigured),
    "django: empty user": BadSetting(_dj(user=""), ImproperlyConfigured),
    "django: Keystone without account_id": BadSetting(
        _dj(user=None, key=None, username="svc", password="Hunter2-Hunter2", auth_version="3"),
        ImproperlyConfigured,
    ),
    "django: typo in an option name": BadSetting(_dj(pasword="x"), ImproperlyConfigured),
    "django: unknown transport": BadSetting(_dj(transport="curl"), ImproperlyConfigured),
    "django: auth_url not http(s)": BadSetting(
        _dj(auth_url="file:///etc/passwd"), ImproperlyConfigured
    ),
    "django: auth_url not a URL": BadSetting(_dj(auth_url="auth.selcdn.ru"), ImproperlyConfigured),
    "django: container with a slash": BadSetting(_dj(container="a/b"), ImproperlyConfigured),
    "django: empty container": BadSetting(_dj(container=""), ImproperlyConfigured),
    "django: location escaping upwards": BadSetting(_dj(location="../up"), ImproperlyConfigured),
    "django: timeout of the wrong type": BadSetting(_dj(timeout="fast"), ImproperlyConfigured),
    "django: negative timeout": BadSetting(_dj(timeout=-1), ImproperlyConfigured),
    "django: retries of the wrong type": BadSetting(_dj(retries="three"), ImproperlyConfigured),
    "django: negative retries": BadSetting(_dj(retries=-1), ImproperlyConfigured),
    "django: object_parameters sets Content-Length": BadSetting(
        _dj(object_parameters={"Content-Length": "5"}), ImproperlyConfigured
    ),
    "django: object_parameters sets X-Auth-Token": BadSetting(
        _dj(object_parameters={"X-Auth-Token": "stolen"}), ImproperlyConfigured
    ),
    "django: object_parameters not a dict": BadSetting(
        _dj(object_parameters="Cache-Control: no-cache"), ImproperlyConfigured
    ),
    "django: TempURL digest md5": BadSetting(_dj(temp_url_digest="md5"), ImproperlyConfigured),
    "django: url_expires 0": BadSetting(_dj(url_expires=0), ImproperlyConfigured),
    "django: segment_size 0": BadSetting(_dj(segment_size=0), ImproperlyConfigured),
    "django: threshold above 5 GiB": BadSetting(
        _dj(large_file_threshold=10 * 1024**3), ImproperlyConfigured
    ),
    "django: use_gz not a boolean": BadSetting(_dj(use_gz="maybe"), ImproperlyConfigured),
    "django: auth_version 2": BadSetting(_dj(auth_version="2"), ImproperlyConfigured),
    "django: static token without storage_url": BadSetting(
        _dj(user=None, key=None, storage_url=None, token="AUTH_tk-static-token-0123"),
        ImproperlyConfigured,
    ),
    "django: unknown SELECTEL_STORAGES schema": BadSetting(
        lambda fake, transport: SelectelStorage("no-such-schema", transport=transport),
        ImproperlyConfigured,
    ),
    "django: unknown STORAGES alias": BadSetting(
        lambda fake, transport: SelectelStorage(alias="no-such-alias"), ImproperlyConfigured
    ),
    "django: DSN with an unencoded '#'": BadSetting(
        _dsn("selectel://user:pa#ss@media"), ImproperlyConfigured
    ),
    "django: DSN of another scheme": BadSetting(
        _dsn("https://user:password@media"), ImproperlyConfigured
    ),
    "django: DSN path with a slash": BadSetting(
        _dsn("selectel://user:password@cdn.example/media/private"), ImproperlyConfigured
    ),
    "django: DSN without container": BadSetting(
        _dsn("selectel://user:password@"), ImproperlyConfigured
    ),
    "django: DSN and dsn= both": BadSetting(
        lambda fake, transport: SelectelStorage(
            "selectel://u:p@media", dsn="selectel://u:p@other", transport=transport
        ),
        ImproperlyConfigured,
    ),
    # selectel-auth
    "auth: Keystone empty username": BadSetting(_keystone(username=""), AuthConfigError),
    "auth: Keystone empty password": BadSetting(_keystone(password=""), AuthConfigError),
    "auth: Keystone without a project": BadSetting(_keystone(project_id=None), AuthConfigError),
    "auth: Keystone project id and name": BadSetting(_keystone(project_name="p"), AuthConfigError),
    "auth: Keystone without account_id": BadSetting(_keystone(account_id=None), AuthConfigError),
    "auth: timeout 0": BadSetting(_keystone(timeout=0), AuthConfigError),
    "auth: negative retries": BadSetting(_keystone(retries=-1), AuthConfigError),
    "auth: negative backoff": BadSetting(_keystone(backoff=-1.0), AuthConfigError),
    "auth: negative refresh_margin": BadSetting(_keystone(refresh_margin=-5), AuthConfigError),
    "auth: CA bundle that does not exist": BadSetting(
        _keystone(verify="/nonexistent/ca.pem"), AuthConfigError, "CA bundle"
    ),
    "auth: own sender and verify": BadSetting(
        _keystone(sender=_sender, verify=False), AuthConfigError
    ),
    "auth: v1 empty user": BadSetting(_v1(user=""), AuthConfigError),
    "auth: v1 empty key": BadSetting(_v1(key=""), AuthConfigError),
    "auth: v1 auth_url file://": BadSetting(
        _v1(auth_url="file:///etc/passwd", retries=0), (AuthConfigError, AuthTransportError)
    ),
    "auth: static empty token": BadSetting(
        lambda fake, transport: StaticCredential("", fake.storage_url()), AuthConfigError
    ),
    "auth: static storage_url not a URL": BadSetting(
        lambda fake, transport: StaticCredential("AUTH_tk-static-0123", "storage"),
        AuthConfigError,
    ),
    "auth: env empty": BadSetting(_env({}), AuthConfigError),
    "auth: env token and password": BadSetting(
        _env(
            {
                "SELECTEL_TOKEN": "AUTH_tk-static-0123",
                "SELECTEL_PASSWORD": "Hunter2-Hunter2",
                "SELECTEL_STORAGE_URL": "http://127.0.0.1:9/v1/AUTH_x",
            }
        ),
        AuthConfigError,
    ),
    "auth: env token without storage URL": BadSetting(
        _env({"SELECTEL_TOKEN": "AUTH_tk-static-0123"}), AuthConfigError
    ),
    "auth: env auth version 2": BadSetting(
        _env(
            {
                "SELECTEL_AUTH_VERSION": "2",
                "SELECTEL_USERNAME": "u",
                "SELECTEL_PASSWORD": "Hunter2-Hunter2",
            }
        ),
        AuthConfigError,
    ),
    # selectel-objects
    "objects: credential of the wrong type": BadSetting(
        lambda fake, transport: ObjectStorage("token", transport=transport),  # type: ignore[arg-type]
        TypeError,
    ),
    "objects: unknown transport": BadSetting(_objects(transport="curl"), ValueError),
    "objects: transport instance and ca_bundle": BadSetting(
        _objects(transport=Urllib3Transport(), ca_bundle="/tmp/ca.pem"), ValueError
    ),
    "objects: negative retry total": BadSetting(
        lambda fake, transport: RetryPolicy(total=-1), ValueError
    ),
    "objects: negative backoff": BadSetting(
        lambda fake, transport: RetryPolicy(backoff=-0.5), ValueError
    ),
    "objects: page_size 0": BadSetting(
        _container_call(lambda c: c.list_objects(page_size=0)), ValueError
    ),
    "objects: page_size above 10000": BadSetting(
        _container_call(lambda c: c.list_objects(page_size=10_001)), ValueError
    ),
    "objects: range end before start": BadSetting(
        _container_call(lambda c: c.open_object("a", range=(5, 2))), ValueError
    ),
    "objects: negative range start": BadSetting(
        _container_call(lambda c: c.open_object("a", range=(-1, 2))), ValueError
    ),
    "objects: empty suffix range": BadSetting(
        _container_call(lambda c: c.open_object("a", range=(None, 0))), ValueError
    ),
    "objects: upload of an int": BadSetting(
        _container_call(lambda c: c.put_object("a", 12345)),  # type: ignore[arg-type]
        TypeError,
    ),
    "objects: upload of a text file": BadSetting(
        _container_call(lambda c: c.put_object("a", cast(Any, _TextFile("text")))), TypeError
    ),
    "objects: negative content_length": BadSetting(
        _container_call(lambda c: c.put_object("a", iter([b"x"]), content_length=-1)),
        ValueError,
    ),
    "objects: content_length not the bytes' length": BadSetting(
        _container_call(lambda c: c.put_object("a", b"abc", content_length=5)), ValueError
    ),
    "objects: content_length beyond the file": BadSetting(
        _container_call(lambda c: c.put_object("a", io.BytesIO(b"abc"), content_length=5)),
        ValueError,
    ),
    "objects: upload_large segment_size 0": BadSetting(
        _container_call(lambda c: c.upload_large("a", io.BytesIO(b"abc"), segment_size=0)),
        ValueError,
    ),
}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("label", sorted(BAD_SETTINGS))
def test_hostile_settings_fail_before_any_request(
    fake_swift: FakeSwift,
    django_storage: Callable[[dict[str, Any]], SelectelStorage],
    transport: str,
    label: str,
) -> None:
    case = BAD_SETTINGS[label]
    with pytest.raises(case.error, match=case.match) as caught:
        case.build(fake_swift, transport)
    message = str(caught.value)
    assert len(message) > 10, "the error must say what is wrong"
    for secret in (fake_swift.v1_key, fake_swift.v3.password, "Hunter2-Hunter2", "pa#ss"):
        assert secret not in message, "the error message shows a secret"
    assert fake_swift.count() == 0


def test_there_are_at_least_fifty_named_hostile_inputs() -> None:
    named = (
        len(INVALID_OBJECT_NAMES)
        + len(WRONG_TYPE_NAMES)
        + len(INVALID_CONTAINER_NAMES)
        + len(HOSTILE_DJANGO_NAMES)
        + len(BAD_SETTINGS)
    )
    assert named >= 50, named


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_dsn_with_odd_characters_is_decoded_and_kept_secret(
    fake_swift: FakeSwift,
    transport: str,
    register_secret: Callable[[str], None],
) -> None:
    # user "test:tester" and a key full of URL syntax, percent-encoded as a DSN must be.
    key = "p@ss/w?rd#%:;&="
    register_secret(key)
    fake_swift.add_v1_user("test:odd", key, "AUTH_test")
    fake_swift.store.create_container("media")
    dsn = "selectel://test%3Aodd:p%40ss%2Fw%3Frd%23%25%3A%3B%26%3D@media"
    storage = SelectelStorage(dsn, auth_url=fake_swift.auth_v1_url, transport=transport)
    assert storage.config.user == "test:odd"
    assert storage.config.key == key
    assert key not in repr(storage) + repr(storage.config) + repr(storage.deconstruct())
    name = storage.save("odd.txt", ContentFile(b"decoded right"))
    assert fake_swift.store.get_object("media", name) is not None
