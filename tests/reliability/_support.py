"""Shared helpers of the reliability suite: clients on the fake, store inspection, error checks."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from selectel_objects import ObjectStorage, RetryPolicy, Timeout

from tests.fakeswift import FakeSwift, slo
from tests.faultproxy import FaultySwift, RealView

TRANSPORTS = ("urllib3", "requests")

#: Fault tests never wait for real: retries record their delay and return at once.
NO_WAIT: Callable[[float], None] = lambda _seconds: None  # noqa: E731


def fast_retry(total: int = 3, sleeps: list[float] | None = None) -> RetryPolicy:
    """Default retry rules with the waits recorded (or dropped) instead of slept."""
    return RetryPolicy(
        total=total,
        backoff=0.001,
        max_backoff=0.01,
        sleep=sleeps.append if sleeps is not None else NO_WAIT,
    )


def v1_storage(
    fake: FakeSwift,
    transport: str,
    *,
    retry: RetryPolicy | None = None,
    timeout: Timeout | float = 2.0,
    **options: Any,
) -> ObjectStorage:
    """An ObjectStorage on the fake's tempauth user; token requests share its transport."""
    if fake.ca_path is not None:
        options.setdefault("ca_bundle", fake.ca_path)
    return ObjectStorage.swift_v1(
        auth_url=fake.auth_v1_url,
        user=fake.v1_user,
        key=fake.v1_key,
        transport=transport,
        retry=retry if retry is not None else fast_retry(),
        timeout=timeout,
        **options,
    )


def stored_md5(fake: FakeSwift, container: str, name: str) -> str | None:
    """MD5 of the content the fake would serve for ``container/name`` (None when absent).

    For a static large object: of its segments' bytes, as a GET would join them.
    """
    obj = fake.store.get_object(container, name)
    if obj is None:
        return None
    if not obj.is_slo:
        return hashlib.md5(obj.data).hexdigest()
    content = slo.content(fake, fake.store.default_account, obj)
    assert content.broken_at is None, f"{container}/{name}: a segment is missing or changed"
    digest = hashlib.md5()
    for buf, start, end in content.parts:
        digest.update(buf[start:end])
    return digest.hexdigest()


def fake_secrets(fake: FakeSwift) -> set[str]:
    """Passwords and keys of the fake's users and every token it issued so far."""
    return set(fake.secrets())


def exception_texts(exc: BaseException) -> Iterable[str]:
    """Everything an exception shows: str, repr, args, along the cause/context chain."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield from (repr(arg) for arg in current.args)
        current = current.__cause__ or current.__context__


def assert_no_secret_in_error(exc: BaseException, secrets: Iterable[str]) -> None:
    """No password, key or token in anything the error (or its causes) shows."""
    shown = "\n".join(exception_texts(exc))
    leaked = [s for s in secrets if s and s in shown]
    assert not leaked, f"{type(exc).__name__} shows {len(leaked)} secret(s)"


class FakeView:
    """What the fake stored, with the interface of ``tests.faultproxy.RealView``."""

    def __init__(self, fake: FakeSwift) -> None:
        self._fake = fake

    def create_container(self, container: str) -> None:
        """Create the container (directly in the store: no request)."""
        self._fake.store.create_container(container)

    def put(
        self, container: str, name: str, data: bytes, metadata: dict[str, str] | None = None
    ) -> None:
        """Store an object (directly in the store: no request)."""
        self._fake.store.put_object(container, name, data, metadata=metadata or {})

    def md5(self, container: str, name: str) -> str | None:
        """MD5 of what a GET serves, None when absent."""
        return stored_md5(self._fake, container, name)

    def exists(self, container: str, name: str) -> bool:
        """Whether the object is there."""
        return self._fake.store.get_object(container, name) is not None

    def is_slo(self, container: str, name: str) -> bool:
        """Whether the object is a static large object."""
        obj = self._fake.store.get_object(container, name)
        return obj is not None and obj.is_slo

    def metadata(self, container: str, name: str) -> dict[str, str] | None:
        """The object's user metadata (names lower-cased)."""
        obj = self._fake.store.get_object(container, name)
        return None if obj is None else {k.lower(): v for k, v in obj.metadata.items()}

    def names(self, container: str) -> list[str]:
        """Object names in listing order."""
        return self._fake.store.object_names(container)


#: The Swift a fault test runs on: the fake, or a real Swift behind the fault proxy.
FaultTarget = FakeSwift | FaultySwift
#: How a fault test reads what was stored (the same calls on both targets).
View = FakeView | RealView


def view_of(target: FaultTarget) -> View:
    """The store reader of a target (``faulty_swift`` fixture)."""
    return target.view if isinstance(target, FaultySwift) else FakeView(target)
