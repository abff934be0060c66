"""Progress on stderr: a one-line bar on a terminal, a plain line now and then elsewhere.

On a terminal the bar (bytes, files, rate, ETA) is redrawn in place at most ten times a
second. Elsewhere (a CI log, a pipe) there are no escape codes and no line per file: one
plain line every :data:`LINE_INTERVAL` seconds of a long transfer, then a summary. ``-q``
silences all but errors.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from typing import Literal, TextIO

__all__ = ["LINE_INTERVAL", "Progress", "human_bytes", "human_duration"]

Mode = Literal["bar", "lines", "quiet"]
LINE_INTERVAL = 10.0
_BAR_INTERVAL = 0.1
_CLEAR = "\r\x1b[K"


def human_bytes(count: float) -> str:
    """``1.5 MiB`` style."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(count) < 1024 or unit == "TiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")


def human_duration(seconds: float) -> str:
    """``0:05``, ``1:02:03``."""
    seconds = max(0, int(seconds + 0.5))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Counts bytes and files of one transfer and shows them; thread-safe."""

    def __init__(
        self,
        stream: TextIO,
        mode: Mode,
        verb: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._mode: Mode = mode
        self._verb = verb
        self._clock = clock
        self._lock = threading.Lock()
        self._started = clock()
        self._last_draw = float("-inf")
        self._last_line = self._started
        self._drawn = False
        self.total_bytes: int | None = None
        self.total_files: int | None = None
        self.done_bytes = 0
        self.done_files = 0
        self.skipped_files = 0
        self.failed_files = 0

    def set_totals(self, files: int, size: int | None) -> None:
        """What the whole transfer will move (``size`` ``None`` when unknown)."""
        with self._lock:
            self.total_files = files
            self.total_bytes = size
            self._refresh(force=True)

    def add_bytes(self, count: int) -> None:
        """``count`` more bytes went over the wire (negative: a retry started over)."""
        with self._lock:
            self.done_bytes += count
            self._refresh()

    def file_done(self, *, skipped: bool = False, failed: bool = False) -> None:
        """One more file finished (or was skipped, or failed)."""
        with self._lock:
            self.done_files += 1
            self.skipped_files += skipped
            self.failed_files += failed
            self._refresh()

    def note(self, line: str) -> None:
        """Print a line of its own (an error, a verbose record) without breaking the bar."""
        with self._lock:
            if self._drawn:
                self._stream.write(_CLEAR)
                self._drawn = False
            self._stream.write(line + "\n")
            self._stream.flush()
            self._refresh(force=True)

    def close(self) -> None:
        """Remove the bar and print the summary (nothing with ``-q``)."""
        with self._lock:
            if self._mode == "quiet":
                return
            if self._drawn:
                self._stream.write(_CLEAR)
                self._drawn = False
            self._stream.write(self.summary() + "\n")
            self._stream.flush()

    def summary(self) -> str:
        """``upload: 201 files (3 skipped), 50.3 MiB in 1.2 s, 41.9 MiB/s``."""
        elapsed = max(self._clock() - self._started, 1e-9)
        extra = [
            f"{n} {what}"
            for n, what in ((self.skipped_files, "skipped"), (self.failed_files, "failed"))
            if n
        ]
        files = f"{self.done_files} file{'s' if self.done_files != 1 else ''}"
        if extra:
            files += f" ({', '.join(extra)})"
        return (
            f"{self._verb}: {files}, {human_bytes(self.done_bytes)} in {elapsed:.1f} s, "
            f"{human_bytes(self.done_bytes / elapsed)}/s"
        )

    def status(self) -> str:
        """The progress line without decoration."""
        elapsed = max(self._clock() - self._started, 1e-9)
        rate = self.done_bytes / elapsed
        files = (
            f"{self.done_files}/{self.total_files}"
            if self.total_files is not None
            else str(self.done_files)
        )
        size = human_bytes(self.done_bytes)
        eta = ""
        if self.total_bytes:
            size += f"/{human_bytes(self.total_bytes)}"
            left = max(self.total_bytes - self.done_bytes, 0)
            if rate > 0 and self.done_bytes:
                eta = f"  ETA {human_duration(left / rate)}"
        return f"{self._verb} {files} files  {size}  {human_bytes(rate)}/s{eta}"

    # -- drawing (under the lock) ----------------------------------------------------------
    def _refresh(self, *, force: bool = False) -> None:
        now = self._clock()
        if self._mode == "bar":
            if force or now - self._last_draw >= _BAR_INTERVAL:
                self._last_draw = now
                self._draw_bar()
        elif self._mode == "lines" and now - self._last_line >= LINE_INTERVAL:
            self._last_line = now
            self._stream.write(self.status() + "\n")
            self._stream.flush()

    def _draw_bar(self) -> None:
        text = self.status()
        width = shutil.get_terminal_size((80, 24)).columns - 1
        room = width - len(text) - 3
        if self.total_bytes and room >= 10:
            filled = min(room, int(room * self.done_bytes / self.total_bytes))
            text = f"[{'#' * filled}{' ' * (room - filled)}] {text}"
        self._stream.write(_CLEAR + text[:width])
        self._stream.flush()
        self._drawn = True
