"""The fault matrix: every operation x every fault of the fake x both transports.

Data first: ``OPERATIONS`` (what to run and how to check the result), ``FAULTS`` (how to arm
the fake) and ``EXPECTED`` (the exact outcome of each pair). ``run_cell`` runs one cell and
describes what happened in the same words as ``EXPECTED``:

* ``ok`` -- the operation returned and its result is right (bytes compared with the server's
  store by MD5, listings, metadata, ...); ``ok (retried 2)`` when the fake saw two more
  attempts of the operation's request than a clean run, ``re-auth`` when a new token was
  fetched on the way.
* ``<ErrorClass> | absent`` / ``| stored`` -- the operation raised that typed error; for an
  upload, nothing is under the name (``absent``) or the complete object is (``stored``: the
  server had processed an attempt before its answer was lost). A partial object shows as
  ``| PARTIAL`` and a changed store after a failed non-upload as ``| CHANGED``; neither is
  ever expected.
* ``n/a`` -- the fault cannot touch the operation (no request or reply body to cut); no test.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django_selectel.storages import SelectelStorage
from selectel_objects import Container, ObjectStorage, RetryPolicy, Timeout

from tests.fakeswift import RequestRecord
from tests.fakeswift.faults import PathFilter
from tests.reliability._support import FaultTarget, View, assert_no_secret_in_error, view_of

CONTAINER = "media"
SOURCE = "dir/source.bin"  # seeded before every cell
TARGET = "dir/target.bin"  # where uploads and copies go
SEGMENTS = f"{CONTAINER}_segments"  # where large uploads put their segments
SEGMENT_SIZE = 4096  # 16 KiB -> 4 segments
#: 16 KiB that are not periodic, so a shifted or spliced body cannot hash the same.
DATA = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(512))
DATA_MD5 = hashlib.md5(DATA).hexdigest()
RANGE = (1000, 9191)  # inclusive
CHUNK = 4096
RETRIES = 3
#: Normal cells get a generous read timeout (a loaded CI machine must not time out); the
#: timeout and trickle cells get a short one.
#: A real Swift on a loaded machine can take longer than 0.3 s to answer a PUT on its own.
_SHORT_READ = 1.0 if os.environ.get("SWIFT_TARGET") == "real" else 0.3
NORMAL_TIMEOUT = Timeout(connect=2.0, read=5.0)
SHORT_TIMEOUT = Timeout(connect=2.0, read=_SHORT_READ)
#: A stall well past the short read timeout; a trickle slower in total, never between pieces.
STALL = 5 * _SHORT_READ
TRICKLE_INTERVAL = _SHORT_READ / 7.5


@dataclass
class Cell:
    """What one cell works with."""

    fake: FaultTarget
    transport: str
    dead_storage_url: str
    make_django: Callable[[dict[str, Any]], SelectelStorage]
    timeout: Timeout = NORMAL_TIMEOUT
    refused: bool = False
    sleeps: list[float] = field(default_factory=list)
    storage: ObjectStorage | None = None
    django: SelectelStorage | None = None

    @property
    def view(self) -> View:
        return view_of(self.fake)

    @property
    def container(self) -> Container:
        assert self.storage is not None
        return self.storage.container(CONTAINER)

    def connect(self, op: Operation) -> None:
        """Build the client (token fetched: a later 401 is a real mid-operation expiry)."""
        fake = self.fake
        storage_url = self.dead_storage_url if self.refused else None
        if op.django:
            timeout = self.timeout
            options: dict[str, Any] = {
                "user": fake.v1_user,
                "key": fake.v1_key,
                "auth_url": fake.auth_v1_url,
                "container": CONTAINER,
                "transport": self.transport,
                "retries": RETRIES,
                "retry_backoff": 0.001,
                "timeout": (timeout.connect, timeout.read),
            }
            if storage_url:
                options["storage_url"] = storage_url
            options.update(op.django_options)
            self.django = self.make_django(options)
            self.django.client.credential.get_token()
            return
        self.storage = ObjectStorage.swift_v1(
            auth_url=fake.auth_v1_url,
            user=fake.v1_user,
            key=fake.v1_key,
            storage_url=storage_url,
            transport=self.transport,
            timeout=self.timeout,
            retry=RetryPolicy(
                total=RETRIES, backoff=0.001, max_backoff=0.01, sleep=self.sleeps.append
            ),
        )
        self.storage.credential.get_token()

    def close(self) -> None:
        if self.storage is not None:
            self.storage.close()


def _chunks() -> Iterator[bytes]:
    for at in range(0, len(DATA), CHUNK):
        yield DATA[at : at + CHUNK]


# -- operations -------------------------------------------------------------------------------


_IN_SEGMENTS = re.compile(f"/{SEGMENTS}/")


def _stored(cell: Cell, name: str = TARGET) -> str | None:
    return cell.view.md5(CONTAINER, name)


def _check_target(cell: Cell, _result: object) -> None:
    assert _stored(cell) == DATA_MD5, "the uploaded object is not the data sent"


def _check_large(cell: Cell, result: object) -> None:
    assert cell.view.is_slo(CONTAINER, TARGET), "not stored as a static large object"
    assert _stored(cell) == DATA_MD5, "the large object's segments are not the data sent"
    segments = cell.view.names(SEGMENTS)
    assert len(segments) == len(DATA) // SEGMENT_SIZE, f"stray segments: {segments}"


def _check_bytes(expected: bytes) -> Callable[[Cell, object], None]:
    def check(_cell: Cell, result: object) -> None:
        assert isinstance(result, bytes)
        assert hashlib.md5(result).hexdigest() == hashlib.md5(expected).hexdigest()

    return check


def _check_head(_cell: Cell, result: object) -> None:
    assert getattr(result, "etag", None) == DATA_MD5
    assert getattr(result, "content_length", None) == len(DATA)


def _check_listing(_cell: Cell, result: object) -> None:
    assert result == [SOURCE, "dir/z-last.txt"]


def _check_deleted(cell: Cell, _result: object) -> None:
    assert not cell.view.exists(CONTAINER, SOURCE)


def _check_metadata(cell: Cell, _result: object) -> None:
    assert cell.view.metadata(CONTAINER, SOURCE) == {"color": "blue"}


def _check_django_saved(cell: Cell, result: object) -> None:
    assert result == TARGET, f"saved under {result!r}, not under the name asked for"
    _check_target(cell, result)
    names = cell.view.names(CONTAINER)
    assert names == [SOURCE, TARGET, "dir/z-last.txt"], f"extra objects: {names}"


def _check_django_saved_large(cell: Cell, result: object) -> None:
    assert result == TARGET, f"saved under {result!r}, not under the name asked for"
    _check_large(cell, result)


def _django_open(cell: Cell) -> bytes:
    assert cell.django is not None
    with cell.django.open(SOURCE) as handle:
        data = handle.read()
    assert isinstance(data, bytes)
    return data


def _django_save(cell: Cell) -> str:
    assert cell.django is not None
    return cell.django.save(TARGET, ContentFile(DATA))


def _django_delete(cell: Cell) -> None:
    assert cell.django is not None
    cell.django.delete(SOURCE)


@dataclass(frozen=True)
class Operation:
    """One operation of the matrix.

    ``method``/``kind``/``path`` select the request the faults are armed on (the first
    matching one, or the first ones for a fault that fires several times).
    """

    name: str
    method: str
    kind: str
    run: Callable[[Cell], object]
    check: Callable[[Cell, object], None]
    upload: bool = False
    reply_body: bool = False
    #: The reply body is a whole object whose ETag the client can check (not a range, not a
    #: listing): a corrupted byte is detectable.
    checksummed: bool = False
    django: bool = False
    path: PathFilter = None
    django_options: dict[str, Any] = field(default_factory=dict)


OPERATIONS: list[Operation] = [
    Operation(
        "put small (bytes)",
        "PUT",
        "object",
        lambda c: c.container.put_object(TARGET, DATA),
        _check_target,
        upload=True,
    ),
    Operation(
        "put streamed (seekable file)",
        "PUT",
        "object",
        lambda c: c.container.put_object(TARGET, io.BytesIO(DATA)),
        _check_target,
        upload=True,
    ),
    Operation(
        "put streamed (iterator, chunked)",
        "PUT",
        "object",
        lambda c: c.container.put_object(TARGET, _chunks()),
        _check_target,
        upload=True,
    ),
    Operation(
        "put create-only (if_none_match)",
        "PUT",
        "object",
        lambda c: c.container.put_object(TARGET, DATA, if_none_match=True),
        _check_target,
        upload=True,
    ),
    Operation(
        "put SLO (file), fault on a segment",
        "PUT",
        "object",
        lambda c: c.container.upload_large(TARGET, io.BytesIO(DATA), segment_size=SEGMENT_SIZE),
        _check_large,
        upload=True,
        path=_IN_SEGMENTS,
    ),
    Operation(
        "put SLO (iterator), fault on a segment",
        "PUT",
        "object",
        lambda c: c.container.upload_large(TARGET, _chunks(), segment_size=SEGMENT_SIZE),
        _check_large,
        upload=True,
        path=_IN_SEGMENTS,
    ),
    Operation(
        "put SLO (file), fault on the manifest",
        "PUT",
        "object",
        lambda c: c.container.upload_large(TARGET, io.BytesIO(DATA), segment_size=SEGMENT_SIZE),
        _check_large,
        upload=True,
        path=f"/{CONTAINER}/{TARGET}",
    ),
    Operation(
        "get",
        "GET",
        "object",
        lambda c: c.container.get_object_bytes(SOURCE),
        _check_bytes(DATA),
        reply_body=True,
        checksummed=True,
    ),
    Operation(
        "range get",
        "GET",
        "object",
        lambda c: c.container.get_object_bytes(SOURCE, range=RANGE),
        _check_bytes(DATA[RANGE[0] : RANGE[1] + 1]),
        reply_body=True,
    ),
    Operation("head", "HEAD", "object", lambda c: c.container.head_object(SOURCE), _check_head),
    Operation(
        "list",
        "GET",
        "container",
        lambda c: [entry.name for entry in c.container.list_objects(prefix="dir/")],
        _check_listing,
        reply_body=True,
    ),
    Operation(
        "delete", "DELETE", "object", lambda c: c.container.delete_object(SOURCE), _check_deleted
    ),
    Operation(
        "copy",
        "COPY",
        "object",
        lambda c: c.container.copy_object(SOURCE, CONTAINER, TARGET),
        _check_target,
    ),
    Operation(
        "post metadata",
        "POST",
        "object",
        lambda c: c.container.post_object_metadata(SOURCE, {"color": "blue"}),
        _check_metadata,
    ),
    Operation(
        "django save", "PUT", "object", _django_save, _check_django_saved, upload=True, django=True
    ),
    Operation(
        "django save (SLO)",
        "PUT",
        "object",
        _django_save,
        _check_django_saved_large,
        upload=True,
        django=True,
        path=_IN_SEGMENTS,
        django_options={"large_file_threshold": 8192, "segment_size": SEGMENT_SIZE},
    ),
    Operation(
        "django open+read",
        "GET",
        "object",
        _django_open,
        _check_bytes(DATA),
        reply_body=True,
        checksummed=True,
        django=True,
    ),
    Operation("django delete", "DELETE", "object", _django_delete, _check_deleted, django=True),
]
OPERATION_BY_NAME = {op.name: op for op in OPERATIONS}


# -- faults -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """How to arm the fake (or the client) for the operation's next request."""

    name: str
    arm: Callable[[Cell, Operation], None]
    applies: Callable[[Operation], bool] = lambda _op: True
    timeout: Timeout = NORMAL_TIMEOUT
    refused: bool = False


def _on(op: Operation) -> dict[str, Any]:
    return {"method": op.method, "kind": op.kind, "path": op.path}


def _nothing(_cell: Cell, _op: Operation) -> None:
    return None


def _expire(cell: Cell, _op: Operation) -> None:
    cell.fake.expire_tokens()


FAULTS: list[Fault] = [
    Fault("none", _nothing),
    Fault("connection refused", _nothing, refused=True),
    Fault(
        "reset before reply",
        lambda c, op: c.fake.reset_next("before_reply", **_on(op)),
    ),
    Fault(
        "reset mid-body (download)",
        lambda c, op: c.fake.reset_next("mid_body", **_on(op)),
        applies=lambda op: op.reply_body,
    ),
    Fault(
        "reset mid-body (upload)",
        lambda c, op: c.fake.reset_next("during_upload", after_bytes=2 * CHUNK, **_on(op)),
        applies=lambda op: op.upload,
    ),
    Fault("503 twice", lambda c, op: c.fake.fail_next(503, times=2, **_on(op))),
    Fault("429 Retry-After", lambda c, op: c.fake.fail_next(429, retry_after=0.05, **_on(op))),
    Fault("401 expired token", _expire),
    Fault(
        "read timeout",
        lambda c, op: c.fake.delay_next(STALL, **_on(op)),
        timeout=SHORT_TIMEOUT,
    ),
    Fault(
        "422 checksum mismatch",
        lambda c, op: c.fake.fail_next(422, **_on(op)),
        applies=lambda op: op.upload,
    ),
    Fault(
        "truncated download",
        lambda c, op: c.fake.truncate_next(**_on(op)),
        applies=lambda op: op.reply_body,
    ),
    Fault(
        # Slower in total than the read timeout, never between two pieces.
        "slow trickle",
        lambda c, op: c.fake.trickle_next(chunk_size=1024, interval=TRICKLE_INTERVAL, **_on(op)),
        applies=lambda op: op.reply_body,
        timeout=SHORT_TIMEOUT,
    ),
    Fault(
        "corrupted download",
        lambda c, op: c.fake.corrupt_next(**_on(op)),
        applies=lambda op: op.checksummed,
    ),
    Fault(
        # A lying hop: Swift stored (or served) the right bytes, the answer's ETag is wrong.
        "wrong ETag",
        lambda c, op: c.fake.wrong_etag_next(**_on(op)),
        applies=lambda op: op.upload or op.checksummed,
    ),
]
FAULT_BY_NAME = {fault.name: fault for fault in FAULTS}


# -- expected outcomes ------------------------------------------------------------------------

_OK = "ok"
_R1 = "ok (retried 1)"
_R2 = "ok (retried 2)"
_AUTH = "ok (retried 1, re-auth)"
_REFUSED_UPLOAD = "ConnectError | absent"
_NOT_REWINDABLE = "NotRewindableError | absent"
_NOT_REWINDABLE_STORED = "NotRewindableError | stored"

_REWINDABLE_UPLOAD = {
    "none": _OK,
    "connection refused": _REFUSED_UPLOAD,
    "reset before reply": _R1,
    "reset mid-body (upload)": _R1,
    "503 twice": _R2,
    "429 Retry-After": _R1,
    "401 expired token": _AUTH,
    "read timeout": _R1,
    "422 checksum mismatch": _R1,
    # Swift checked the body against the MD5 sent (or the client asks it before deleting).
    "wrong ETag": _OK,
}
_DOWNLOAD = {
    "none": _OK,
    "connection refused": "ConnectError",
    "reset before reply": _R1,
    "reset mid-body (download)": _R1,
    "503 twice": _R2,
    "429 Retry-After": _R1,
    "401 expired token": _AUTH,
    "read timeout": _R1,
    "truncated download": _R1,
    "slow trickle": _OK,
}
# The whole object's bytes are checked against its ETag at the end, after the caller may have
# read them: the mismatch is a typed error (the client cannot tell a bad byte from a bad ETag).
_CHECKSUMMED = {
    **_DOWNLOAD,
    "corrupted download": "ChecksumMismatchError",
    "wrong ETag": "ChecksumMismatchError",
}
_NO_BODY = {
    "none": _OK,
    "connection refused": "ConnectError",
    "reset before reply": _R1,
    "503 twice": _R2,
    "429 Retry-After": _R1,
    "401 expired token": _AUTH,
    "read timeout": _R1,
}

EXPECTED: dict[str, dict[str, str]] = {
    "put small (bytes)": _REWINDABLE_UPLOAD,
    "put streamed (seekable file)": _REWINDABLE_UPLOAD,
    # A one-shot stream that needs a retry cannot be sent again: a typed error, and never a
    # silently empty or short object (the old packages stored 0 bytes here).
    "put streamed (iterator, chunked)": {
        "none": _OK,
        "connection refused": _REFUSED_UPLOAD,  # nothing was sent: retried, then refused
        "reset before reply": _NOT_REWINDABLE_STORED,  # the fake had stored it
        "reset mid-body (upload)": _NOT_REWINDABLE,
        "503 twice": _NOT_REWINDABLE,
        "429 Retry-After": _NOT_REWINDABLE,
        "401 expired token": _NOT_REWINDABLE,
        "read timeout": _NOT_REWINDABLE_STORED,  # the fake had stored it, then stalled
        "422 checksum mismatch": _NOT_REWINDABLE,
        # Swift is asked (HEAD) before anything is deleted: it stored the data right.
        "wrong ETag": _OK,
    },
    "put create-only (if_none_match)": _REWINDABLE_UPLOAD,
    # Segments are slices of the file or spooled pieces of the stream: each is rewindable.
    "put SLO (file), fault on a segment": _REWINDABLE_UPLOAD,
    "put SLO (iterator), fault on a segment": _REWINDABLE_UPLOAD,
    "put SLO (file), fault on the manifest": _REWINDABLE_UPLOAD,
    "get": _CHECKSUMMED,
    "range get": _DOWNLOAD,
    "head": _NO_BODY,
    "list": _DOWNLOAD,
    "delete": _NO_BODY,
    "copy": _NO_BODY,
    "post metadata": _NO_BODY,
    "django save": _REWINDABLE_UPLOAD,
    "django save (SLO)": _REWINDABLE_UPLOAD,
    "django open+read": _CHECKSUMMED,
    "django delete": _NO_BODY,
}

#: Cells where the packages are known to behave wrongly: (operation, fault) -> reason.
#: They run as strict xfails so that a fix shows up.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


def cells() -> list[tuple[str, str]]:
    """Every applicable (operation, fault) pair, in table order."""
    out = []
    for op in OPERATIONS:
        for fault in FAULTS:
            if fault.applies(op):
                assert fault.name in EXPECTED[op.name], (
                    f"no expectation for {op.name} x {fault.name}"
                )
                out.append((op.name, fault.name))
            else:
                assert fault.name not in EXPECTED[op.name], f"{op.name} x {fault.name} is n/a"
    return out


# -- running a cell ---------------------------------------------------------------------------


def seed(view: View) -> None:
    """The store every cell starts from (written directly: no request through faults)."""
    view.create_container(CONTAINER)
    view.put(CONTAINER, SOURCE, DATA, metadata={"origin": "seed"})
    view.put(CONTAINER, "dir/z-last.txt", b"last")


def run_cell(cell: Cell, op: Operation, fault: Fault) -> str:
    """Run ``op`` under ``fault`` and describe the outcome in the words of ``EXPECTED``."""
    fake = cell.fake
    seed(cell.view)
    source_before = cell.view.md5(CONTAINER, SOURCE)
    cell.connect(op)
    before = len(fake.requests)
    fault.arm(cell, op)
    try:
        result = op.run(cell)
    except Exception as exc:  # noqa: BLE001 - the outcome is what we describe
        assert_no_secret_in_error(exc, fake.secrets())
        return _describe_error(cell, op, exc, source_before)
    op.check(cell, result)
    details = []
    retried = _repeats(fake.requests[before:])
    if retried:
        details.append(f"retried {retried}")
    if any(r.kind == "auth" for r in fake.requests[before:]):
        details.append("re-auth")
    return f"ok ({', '.join(details)})" if details else "ok"


def _repeats(records: list[RequestRecord]) -> int:
    """Storage requests sent again: same method, path and query as an earlier one."""
    seen: set[tuple[str, str, tuple[tuple[str, str], ...]]] = set()
    repeats = 0
    for record in records:
        if record.kind == "auth":
            continue
        key = (record.method, record.path, tuple(sorted(record.query.items())))
        repeats += key in seen
        seen.add(key)
    return repeats


def _describe_error(cell: Cell, op: Operation, exc: Exception, source_before: str | None) -> str:
    name = type(exc).__name__
    view = cell.view
    if op.upload:
        target = view.md5(CONTAINER, TARGET)
        state = "absent" if target is None else "stored" if target == DATA_MD5 else "PARTIAL"
        others = [n for n in view.names(CONTAINER) if n not in (SOURCE, TARGET)]
        if target is None:  # a failed large upload takes its segments with it
            others += view.names(SEGMENTS)
        if others != ["dir/z-last.txt"]:
            state += f" | STRAY {others}"
        return f"{name} | {state}"
    unchanged = (
        view.md5(CONTAINER, SOURCE) == source_before
        and view.metadata(CONTAINER, SOURCE) == {"origin": "seed"}
        and not view.exists(CONTAINER, TARGET)
    )
    return name if unchanged else f"{name} | CHANGED"


# -- the report -------------------------------------------------------------------------------

#: (operation, fault) -> {transport: (outcome, expected)}, filled as cells run.
RESULTS: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}


def record(op: str, fault: str, transport: str, outcome: str, expected: str) -> None:
    """Remember a cell's outcome for the table in the terminal summary."""
    RESULTS.setdefault((op, fault), {})[transport] = (outcome, expected)


def render_table() -> list[str]:
    """The matrix as text lines (empty when no cell ran)."""
    if not RESULTS:
        return []
    transports = ("urllib3", "requests")
    op_width = max(len(op.name) for op in OPERATIONS)
    fault_width = max(len(f.name) for f in FAULTS)
    col = 34
    lines = [
        f"{'operation':<{op_width}}  {'fault':<{fault_width}}  "
        + "  ".join(f"{t:<{col}}" for t in transports)
    ]
    lines.append("-" * len(lines[0]))
    mismatches = 0
    for op in OPERATIONS:
        for fault in FAULTS:
            if not fault.applies(op):
                continue
            row = RESULTS.get((op.name, fault.name))
            if row is None:
                continue
            shown = []
            for transport in transports:
                outcome, expected = row.get(transport, ("-", "-"))
                if outcome not in (expected, "-"):
                    mismatches += 1
                    known = (op.name, fault.name) in KNOWN_BUGS
                    outcome = f"{outcome} ({'KNOWN BUG, ' if known else ''}want {expected})"
                shown.append(f"{outcome:<{col}}")
            lines.append(f"{op.name:<{op_width}}  {fault.name:<{fault_width}}  " + "  ".join(shown))
    not_applicable = sum(1 for op in OPERATIONS for f in FAULTS if not f.applies(op))
    lines.append(
        f"{len(RESULTS)} pairs shown, {mismatches} outcome(s) differ from the expectation "
        f"({len(KNOWN_BUGS)} pairs are known bugs, run as strict xfails), "
        f"{not_applicable} pairs n/a (no request/reply body for the fault to cut)"
    )
    return lines
