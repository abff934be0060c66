"""Fault switches: which of the next requests fail, reset, stall, trickle or get cut short."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from tests.fakeswift.server import WRONG_ETAG, Delivery

__all__ = ["WRONG_ETAG", "FaultPlan", "FaultSwitches", "Faults", "PathFilter"]

#: A request path filter: an exact path, a suffix of it (``"/c/o"``), or a compiled regex.
PathFilter = str | re.Pattern[str] | None

RESET_PHASES = ("before_reply", "mid_body", "during_upload")
#: Request kinds the counters and fault filters know.
KINDS = ("auth", "info", "account", "container", "object", "other")


@dataclass
class _Rule:
    action: str  # fail | reset | truncate | delay | trickle | corrupt | wrong_etag
    times: int
    method: str | None
    kind: str | None
    path: PathFilter
    status: int = 503
    retry_after: float | None = None
    phase: str = "before_reply"
    after_bytes: int | None = None
    processed: bool = True
    seconds: float = 0.0
    chunk_size: int = 1
    interval: float = 0.0

    def matches(self, method: str, kind: str, path: str) -> bool:
        if self.times <= 0:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        if self.kind is not None and self.kind != kind:
            return False
        if self.path is None:
            return True
        if isinstance(self.path, re.Pattern):
            return self.path.search(path) is not None
        return path == self.path or path.endswith(self.path)


@dataclass
class FaultPlan:
    """What the switches decided for one request."""

    fail_status: int | None = None
    retry_after: float | None = None
    upload_reset_after: int | None = None
    upload_reset: bool = False
    skip_processing: bool = False
    delivery: Delivery | None = None
    applied: list[str] = field(default_factory=list)


class Faults:
    """The armed fault rules; each rule fires for the next ``times`` matching requests.

    At most one rule of each family applies to a request: a failure status, an upload reset,
    a delivery fault (reset / truncate / trickle) and a delay; they combine.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._cancel = threading.Event()

    def reset(self) -> None:
        """Disarm every rule and cut short any delay or trickle still running."""
        with self._lock:
            self._rules.clear()
            self._cancel.set()
            self._cancel = threading.Event()

    def add(self, rule: _Rule) -> None:
        """Arm a rule."""
        if rule.times < 1:
            raise ValueError("times must be at least 1")
        if rule.kind is not None and rule.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {rule.kind!r}")
        with self._lock:
            self._rules.append(rule)

    def pending(self) -> int:
        """How many firings are still armed (all rules together)."""
        with self._lock:
            return sum(r.times for r in self._rules)

    def take(self, method: str, kind: str, path: str) -> FaultPlan:
        """Consume the rules that match this request and return the plan."""
        plan = FaultPlan()
        with self._lock:
            chosen: dict[str, _Rule] = {}
            for rule in self._rules:
                family = _family(rule)
                if family in chosen or not rule.matches(method, kind, path):
                    continue
                chosen[family] = rule
                rule.times -= 1
            self._rules = [r for r in self._rules if r.times > 0]
            cancel = self._cancel
        delivery = Delivery(cancel=cancel)
        shaped = False
        for family, rule in chosen.items():
            plan.applied.append(rule.action if rule.action != "reset" else f"reset:{rule.phase}")
            if family == "fail":
                plan.fail_status = rule.status
                plan.retry_after = rule.retry_after
            elif family == "upload":
                plan.upload_reset = True
                plan.upload_reset_after = rule.after_bytes
            elif family == "delay":
                delivery.delay = rule.seconds
                if rule.phase == "mid_body":
                    delivery.delay_after_bytes = rule.after_bytes if rule.after_bytes else 1
                shaped = True
            elif rule.action == "reset":
                delivery.mode = "reset"
                delivery.after_bytes = rule.after_bytes if rule.phase == "mid_body" else None
                if rule.phase == "mid_body" and rule.after_bytes is None:
                    delivery.after_bytes = -1  # resolved by the app: half of the body
                plan.skip_processing = not rule.processed
                shaped = True
            elif rule.action == "truncate":
                delivery.mode = "close"
                delivery.after_bytes = rule.after_bytes if rule.after_bytes is not None else -1
                shaped = True
            elif rule.action == "trickle":
                delivery.trickle_chunk = rule.chunk_size
                delivery.trickle_interval = rule.interval
                shaped = True
            elif rule.action == "corrupt":
                delivery.corrupt_at = rule.after_bytes if rule.after_bytes is not None else -1
                shaped = True
            elif rule.action == "wrong_etag":
                delivery.wrong_etag = True
                shaped = True
        if shaped:
            plan.delivery = delivery
        return plan


def _family(rule: _Rule) -> str:
    if rule.action == "fail":
        return "fail"
    if rule.action == "reset" and rule.phase == "during_upload":
        return "upload"
    if rule.action in ("delay", "corrupt", "wrong_etag"):
        return rule.action
    return "delivery"


def make_rule(action: str, **kwargs: object) -> _Rule:
    """Build a rule (the public entry points are the ``FakeSwift`` methods)."""
    return _Rule(action=action, **kwargs)  # type: ignore[arg-type]


class FaultSwitches:
    """The fault switches of a Swift under test (the fake, or the fault proxy in front of a
    real Swift): each arms a rule on ``self.faults``."""

    faults: Faults

    def fail_next(
        self,
        status: int,
        times: int = 1,
        retry_after: float | None = None,
        *,
        method: str | None = None,
        kind: str | None = None,
        path: PathFilter = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (not processed).

        ``path`` matches the request path exactly, as a suffix (``"/cont/obj"``) or as a
        compiled regex. ``kind`` is one of ``auth info account container object``.
        """
        self.faults.add(
            make_rule(
                "fail",
                times=times,
                method=method,
                kind=kind,
                path=path,
                status=status,
                retry_after=retry_after,
            )
        )

    def reset_next(
        self,
        phase: str = "before_reply",
        times: int = 1,
        *,
        method: str | None = None,
        kind: str | None = None,
        path: PathFilter = None,
        after_bytes: int | None = None,
        processed: bool = True,
    ) -> None:
        """Reset (TCP RST) the connection of the next matching requests.

        ``before_reply``: after the request was handled (``processed=False`` skips handling)
        and before any byte of the reply. ``mid_body``: after the headers and ``after_bytes``
        body bytes (default half). ``during_upload``: after reading ``after_bytes`` (default
        0) of the request body; the request is not handled.
        """
        if phase not in ("before_reply", "mid_body", "during_upload"):
            raise ValueError(f"unknown phase {phase!r}")
        self.faults.add(
            make_rule(
                "reset",
                times=times,
                method=method,
                kind=kind,
                path=path,
                phase=phase,
                after_bytes=after_bytes,
                processed=processed,
            )
        )

    def truncate_next(
        self,
        times: int = 1,
        *,
        after_bytes: int | None = None,
        method: str | None = None,
        kind: str | None = None,
        path: PathFilter = None,
    ) -> None:
        """Announce the full Content-Length, send ``after_bytes`` (default half), then close."""
        self.faults.add(
            make_rule(
                "truncate",
                times=times,
                method=method,
                kind=kind,
                path=path,
                after_bytes=after_bytes,
            )
        )

    def delay_next(
        self,
        seconds: float,
        times: int = 1,
        *,
        phase: str = "before_reply",
        after_bytes: int | None = None,
        method: str | None = None,
        kind: str | None = None,
        path: PathFilter = None,
    ) -> None:
        """Wait ``seconds`` before the reply (or, ``phase="mid_body"``, after some body bytes)."""
        if phase not in ("before_reply", "mid_body"):
            raise ValueError(f"unknown phase {phase!r}")
        self.faults.add(
            make_rule(
                "delay",
                times=times,
                method=method,
                kind=kind,
                path=path,
                seconds=seconds,
                phase=phase,
                after_bytes=after_bytes,
            )
        )

    def trickle_next(
        self,
        times: int = 1,
        *,
        chunk_size: int = 1,
        interval: float = 0.01,
        method: str | None = None,
        kind: str | None = None,
        path: PathFilter = None,
    ) -> None:
        """Send the reply body ``chunk_size`` bytes at a time, ``interval`` seconds apart."""
        self.faults.add(
            make_rule(
                "trickle",
                times=times,
                method=method,
                kind=kind,
                path=path,
                chunk_size=chunk_size,
                interval=interval,
            )
        )

    def corrupt_next(
        self,
        times: int = 1,
        *,
        after_bytes: int | None = None,
        method: str | None = None,
        kind: str | None = None,
        path: PathFilter = None,
    ) -> None:
        """Flip the bits of the reply body's byte at ``after_bytes`` (default: the middle)."""
        self.faults.add(
            make_rule(
                "corrupt",
                times=times,
                method=method,
                kind=kind,
                path=path,
                after_bytes=after_bytes,
            )
        )

    def wrong_etag_next(
        self,
        times: int = 1,
        *,
        method: str | None = None,
        kind: str | None = None,
        path: PathFilter = None,
    ) -> None:
        """Answer the next matching requests with a wrong ``Etag`` header (a lying hop: the
        request itself is served as usual)."""
        self.faults.add(make_rule("wrong_etag", times=times, method=method, kind=kind, path=path))
