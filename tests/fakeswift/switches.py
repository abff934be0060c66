"""The fault switches of ``FakeSwift`` (``fail_next``, ``reset_next``, ...) over ``Faults``."""

from __future__ import annotations

from tests.fakeswift.faults import Faults, PathFilter, make_rule

__all__ = ["FaultSwitches"]


class FaultSwitches:
    """What a test calls to make the next matching requests fail, reset, stall or trickle."""

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
