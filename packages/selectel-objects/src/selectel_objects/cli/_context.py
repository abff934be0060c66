"""What every subcommand gets: the parsed flags, the client, the streams, value parsers."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from selectel_objects.cli._progress import Mode, Progress
from selectel_objects.cli._transfer import Failures, Options

__all__ = [
    "DEFAULT_SEGMENT_SIZE",
    "EXIT_AUTH",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_USAGE",
    "PROG",
    "Run",
    "UsageError",
    "exit_code",
    "parse_duration",
    "parse_pairs",
    "parse_size",
]

PROG = "selectel-objects"
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NOT_FOUND = 4
EXIT_INTERRUPTED = 130

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$", re.IGNORECASE)
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class UsageError(Exception):
    """A bad argument found after parsing (exit code 2)."""


def parse_size(text: str) -> int:
    """``1048576``, ``512K``, ``100M``, ``1.5G`` (powers of 1024) as bytes."""
    match = _SIZE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 100M, 1G, 524288)")
    number = float(match.group(1)) * 1024 ** " kmgt".index(match.group(2).lower() or " ")
    if number < 1:
        raise argparse.ArgumentTypeError(f"a size must be at least 1 byte, not {text!r}")
    return int(number)


def parse_duration(text: str) -> int:
    """``3600``, ``90m``, ``12h``, ``1d``, ``2w`` as seconds."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 3600, 90m, 12h, 1d)")
    return int(match.group(1)) * _SECONDS[match.group(2).lower()]


def parse_pairs(values: Sequence[str] | None, what: str) -> dict[str, str]:
    """``["Key:value", ...]`` as a dict (``Key:`` gives an empty value)."""
    pairs: dict[str, str] = {}
    for value in values or ():
        key, sep, rest = value.partition(":")
        if not sep or not key.strip():
            raise UsageError(f"{what} must be KEY:VALUE, not {value!r}")
        pairs[key.strip()] = rest.strip()
    return pairs


@dataclass
class Run:
    """One invocation: flags, a lazily opened client, output streams."""

    args: argparse.Namespace
    open_storage: Callable[[], Any]
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    _storage: Any = None

    @property
    def storage(self) -> Any:
        """The :class:`~selectel_objects.ObjectStorage` (made on first use)."""
        if self._storage is None:
            self._storage = self.open_storage()
        return self._storage

    def close(self) -> None:
        """Close the client if one was made."""
        if self._storage is not None:
            self._storage.close()

    def progress(self, verb: str) -> Progress:
        """A progress display fitting ``-q`` and whether stderr is a terminal."""
        mode: Mode
        if self.args.quiet:
            mode = "quiet"
        elif _isatty(self.err):
            mode = "bar"
        else:
            mode = "lines"
        return Progress(self.err, mode, verb)

    def failures(self, progress: Progress) -> Failures:
        """Where failed objects are recorded (and named on stderr)."""
        return Failures(progress, PROG)

    def options(self) -> Options:
        """The transfer options of the flags."""
        args = self.args
        return Options(
            threads=args.threads,
            segment_size=getattr(args, "segment_size", None) or DEFAULT_SEGMENT_SIZE,
            segment_threads=max(2, min(args.threads, 8)),
            headers=parse_pairs(getattr(args, "header", None), "--header"),
            metadata=parse_pairs(getattr(args, "meta", None), "--meta"),
        )

    def say(self, line: str) -> None:
        """A verbose line (``-v``) on stderr."""
        if self.args.verbose:
            self.err.write(line + "\n")
            self.err.flush()


#: Files larger than this are uploaded as Static Large Objects in segments of this size.
DEFAULT_SEGMENT_SIZE = 1 << 30


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def exit_code(failures: Failures) -> int:
    """1 when some objects failed (3 when the reason was auth), else 0."""
    if not failures:
        return EXIT_OK
    return EXIT_AUTH if failures.auth else EXIT_FAILED
