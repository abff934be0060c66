"""The in-memory state of the fake Swift: accounts, containers, objects, behind one lock."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

__all__ = [
    "Account",
    "Clock",
    "Container",
    "Store",
    "StoredObject",
    "format_last_modified",
    "format_listing_time",
    "meta_header_name",
    "utf8_key",
]

#: Object headers Swift stores and returns as they were sent (its default ``allowed_headers``).
ALLOWED_OBJECT_HEADERS = (
    "content-disposition",
    "content-encoding",
    "content-language",
    "cache-control",
    "expires",
    "x-robots-tag",
    "x-object-manifest",
)


class Clock:
    """Wall clock of the fake: real time plus an offset tests may move forward or back."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def time(self) -> float:
        """Seconds since the epoch as the fake sees them."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the fake's time forward (negative values move it back)."""
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        """Back to real time."""
        with self._lock:
            self._offset = 0.0


def utf8_key(name: str) -> bytes:
    """Sort key of Swift listings: the UTF-8 bytes of the name."""
    return name.encode("utf-8", "surrogateescape")


def meta_header_name(prefix: str, key: str) -> str:
    """``X-Object-Meta-`` + ``content-type`` -> ``X-Object-Meta-Content-Type`` (title case)."""
    return prefix + "-".join(part[:1].upper() + part[1:] for part in key.split("-"))


def format_last_modified(timestamp: float) -> str:
    """HTTP date of a Swift timestamp; Swift rounds up to the next whole second."""
    whole = int(timestamp) if timestamp == int(timestamp) else int(timestamp) + 1
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(whole))


def format_listing_time(timestamp: float) -> str:
    """``last_modified`` of listings: ISO 8601 with microseconds and no zone (UTC)."""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")


def format_x_timestamp(timestamp: float) -> str:
    """Swift's ``X-Timestamp`` form: seconds with five decimals."""
    return f"{timestamp:016.5f}"


@dataclass
class StoredObject:
    """One object version as the fake keeps it.

    ``data`` is what Swift stores: the content, or for a static large object the manifest JSON.
    ``metadata`` maps lower-case user keys (without ``X-Object-Meta-``) to values; ``headers``
    holds the stored system headers (lower-case names, see ``ALLOWED_OBJECT_HEADERS``). Values
    are text: the UTF-8 the client sent, decoded (bytes that are not UTF-8 kept as surrogate
    escapes), and sent back as the same bytes (``replies.header_text``/``wire_value``).
    """

    data: bytes
    etag: str
    content_type: str
    timestamp: float
    metadata: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    delete_at: int | None = None
    slo_segments: list[dict[str, object]] | None = None
    slo_etag: str | None = None
    slo_size: int | None = None

    @property
    def size(self) -> int:
        """Bytes a GET returns (the total for a static large object)."""
        return self.slo_size if self.slo_size is not None else len(self.data)

    @property
    def is_slo(self) -> bool:
        """True for a static large object manifest."""
        return self.slo_segments is not None

    @property
    def dlo_manifest(self) -> str | None:
        """``X-Object-Manifest`` of a dynamic large object, else None."""
        return self.headers.get("x-object-manifest")

    def expired(self, now: float) -> bool:
        """True once ``X-Delete-At`` has passed (Swift answers 404 from then on)."""
        return self.delete_at is not None and self.delete_at <= now

    @property
    def manifest_etag(self) -> str:
        """MD5 of the stored bytes (for an SLO: of the manifest JSON)."""
        return hashlib.md5(self.data).hexdigest()


@dataclass
class Container:
    """A container: metadata, ACLs and objects by name."""

    name: str
    timestamp: float
    metadata: dict[str, str] = field(default_factory=dict)
    read_acl: str | None = None
    write_acl: str | None = None
    objects: dict[str, StoredObject] = field(default_factory=dict)
    #: Time of the latest PUT or POST of the container (its ``Last-Modified``); None: creation.
    modified: float | None = None

    @property
    def object_count(self) -> int:
        """Objects in the container (expired ones too, until the expirer runs)."""
        return len(self.objects)

    @property
    def bytes_used(self) -> int:
        """Stored bytes (an SLO manifest counts as its manifest size, as in Swift)."""
        return sum(len(obj.data) for obj in self.objects.values())

    def sorted_names(self) -> list[str]:
        """Object names in Swift listing order."""
        return sorted(self.objects, key=utf8_key)

    @property
    def public(self) -> bool:
        """Selectel legacy ``X-Container-Meta-Type: public``."""
        return self.metadata.get("type", "").strip().lower() == "public"


@dataclass
class Account:
    """An account (tempauth ``AUTH_x`` or a Keystone project id) with its containers."""

    name: str
    timestamp: float
    metadata: dict[str, str] = field(default_factory=dict)
    containers: dict[str, Container] = field(default_factory=dict)
    #: Swift creates an account's database on its first write (account_autocreate); until
    #: then HEAD answers 200 with made-up timestamps.
    written: bool = False
    #: Per-policy counters appear once a container was created in the account.
    policy_used: bool = False
    #: ``X-Account-Access-Control`` (tempauth's account ACLs), compact JSON as Swift keeps it.
    access_control: str | None = None
    #: Deleted by a reseller admin: gone (410) and not to be created again.
    deleted: bool = False

    def mark_written(self, now: float, *, container: bool = False) -> None:
        """Record a write: the first one creates the account's database."""
        if not self.written:
            self.written = True
            self.timestamp = now
        if container:
            self.policy_used = True

    def sorted_names(self) -> list[str]:
        """Container names in Swift listing order."""
        return sorted(self.containers, key=utf8_key)


class Store:
    """All accounts of the fake behind one re-entrant lock.

    The request handlers hold ``lock`` for a whole operation, so every Swift call is atomic.
    The helper methods here are for tests that seed or inspect state directly; ``account=None``
    means ``default_account`` (the account of the v1 test user, ``AUTH_test``).
    """

    def __init__(self, clock: Clock, default_account: str = "AUTH_test") -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.default_account = default_account
        self.accounts: dict[str, Account] = {}
        self._last_timestamp = 0.0

    # -- bookkeeping -----------------------------------------------------------------------
    def reset(self) -> None:
        """Drop every account, container and object."""
        with self.lock:
            self.accounts.clear()
            # Timestamps restart from the (reset) clock: a test that moved the clock forward
            # must not leave the next test's objects in the future.
            self._last_timestamp = 0.0

    def next_timestamp(self) -> float:
        """A strictly increasing timestamp from the fake clock (Swift's X-Timestamp)."""
        with self.lock:
            now = round(self.clock.time(), 5)
            if now <= self._last_timestamp:
                now = round(self._last_timestamp + 0.00001, 5)
            self._last_timestamp = now
            return now

    # -- accounts --------------------------------------------------------------------------
    def ensure_account(self, name: str) -> Account:
        """The account called ``name``, created when missing."""
        with self.lock:
            acct = self.accounts.get(name)
            if acct is None:
                acct = Account(name=name, timestamp=self.next_timestamp())
                self.accounts[name] = acct
            return acct

    def account(self, name: str | None = None) -> Account:
        """The account ``name`` (default account when None); KeyError when missing."""
        with self.lock:
            return self.accounts[name or self.default_account]

    # -- containers ------------------------------------------------------------------------
    def create_container(
        self,
        container: str,
        *,
        account: str | None = None,
        metadata: Mapping[str, str] | None = None,
        read_acl: str | None = None,
        write_acl: str | None = None,
    ) -> Container:
        """Create (or return the existing) container; metadata keys are without prefix."""
        with self.lock:
            acct = self.ensure_account(account or self.default_account)
            cont = acct.containers.get(container)
            if cont is None:
                cont = Container(name=container, timestamp=self.next_timestamp())
                acct.mark_written(cont.timestamp, container=True)
                acct.containers[container] = cont

            if metadata:
                cont.metadata.update({k.lower(): v for k, v in metadata.items()})
            if read_acl is not None:
                cont.read_acl = read_acl
            if write_acl is not None:
                cont.write_acl = write_acl
            return cont

    def get_container(self, container: str, account: str | None = None) -> Container | None:
        """The container or None."""
        with self.lock:
            acct = self.accounts.get(account or self.default_account)
            return None if acct is None else acct.containers.get(container)

    def has_container(self, container: str, account: str | None = None) -> bool:
        """True when the container exists."""
        return self.get_container(container, account) is not None

    def container_names(self, account: str | None = None) -> list[str]:
        """Container names in listing order."""
        with self.lock:
            acct = self.accounts.get(account or self.default_account)
            return [] if acct is None else acct.sorted_names()

    # -- objects ---------------------------------------------------------------------------
    def put_object(
        self,
        container: str,
        name: str,
        data: bytes | str = b"",
        *,
        account: str | None = None,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        delete_at: int | None = None,
    ) -> StoredObject:
        """Seed an object (creating the container when missing) and return it.

        ``headers`` may carry ``X-Object-Meta-*`` and the stored system headers
        (``Content-Disposition``, ``Cache-Control``, ...), and ``Content-Type``.
        """
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        meta = {k.lower(): v for k, v in (metadata or {}).items()}
        stored_headers: dict[str, str] = {}
        for key, value in (headers or {}).items():
            low = key.lower()
            if low.startswith("x-object-meta-"):
                meta[low[len("x-object-meta-") :]] = value
            elif low == "content-type":
                content_type = value
            elif low in ALLOWED_OBJECT_HEADERS:
                stored_headers[low] = value
        with self.lock:
            cont = self.create_container(container, account=account)
            obj = StoredObject(
                data=raw,
                etag=hashlib.md5(raw).hexdigest(),
                content_type=content_type,
                timestamp=self.next_timestamp(),
                metadata=meta,
                headers=stored_headers,
                delete_at=delete_at,
            )
            cont.objects[name] = obj
            return obj

    def store_object(self, container: Container, name: str, obj: StoredObject) -> None:
        """Put a fully built object into a container (used by the request handlers)."""
        with self.lock:
            container.objects[name] = obj

    def get_object(
        self, container: str, name: str, account: str | None = None
    ) -> StoredObject | None:
        """The stored object (expired ones too) or None."""
        with self.lock:
            cont = self.get_container(container, account)
            return None if cont is None else cont.objects.get(name)

    def has_object(self, container: str, name: str, account: str | None = None) -> bool:
        """True when the object exists and has not expired."""
        with self.lock:
            obj = self.get_object(container, name, account)
            return obj is not None and not obj.expired(self.clock.time())

    def object_names(self, container: str, account: str | None = None) -> list[str]:
        """Object names of a container in listing order ([] when the container is missing)."""
        with self.lock:
            cont = self.get_container(container, account)
            return [] if cont is None else cont.sorted_names()

    def delete_object(self, container: str, name: str, account: str | None = None) -> bool:
        """Remove an object; True when it was there."""
        with self.lock:
            cont = self.get_container(container, account)
            return cont is not None and cont.objects.pop(name, None) is not None

    def run_expirer(self) -> int:
        """Remove expired objects, like Swift's object-expirer; returns how many went."""
        removed = 0
        with self.lock:
            now = self.clock.time()
            for acct in self.accounts.values():
                for cont in acct.containers.values():
                    for name in [n for n, o in cont.objects.items() if o.expired(now)]:
                        del cont.objects[name]
                        removed += 1
        return removed

    def iter_objects(self) -> Iterator[tuple[str, str, str, StoredObject]]:
        """(account, container, name, object) of every stored object (a snapshot)."""
        with self.lock:
            items = [
                (a.name, c.name, n, o)
                for a in self.accounts.values()
                for c in a.containers.values()
                for n, o in c.objects.items()
            ]
        return iter(items)

    def slo_manifest(self, container: str, name: str, account: str | None = None) -> object:
        """The stored SLO manifest of an object, parsed (None when it is not an SLO)."""
        obj = self.get_object(container, name, account)
        if obj is None or not obj.is_slo:
            return None
        return json.loads(obj.data)
