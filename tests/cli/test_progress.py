"""The progress display itself, on a clock the test moves (no terminal, no server)."""

from __future__ import annotations

import io

from selectel_objects.cli._progress import LINE_INTERVAL, Progress, human_bytes, human_duration


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_lines_mode_prints_a_plain_line_per_interval_not_per_file() -> None:
    out, clock = io.StringIO(), Clock()
    progress = Progress(out, "lines", "upload", clock=clock)
    progress.set_totals(10_000, 10_000 * 1024)
    for _ in range(5_000):
        progress.add_bytes(1024)
        progress.file_done()
    assert out.getvalue() == ""
    clock.now += LINE_INTERVAL
    progress.file_done()
    assert out.getvalue() == "upload 5001/10000 files  4.9 MiB/9.8 MiB  500.0 KiB/s  ETA 0:10\n"
    progress.close()
    assert out.getvalue().splitlines()[-1] == "upload: 5001 files, 4.9 MiB in 10.0 s, 500.0 KiB/s"
    assert "\x1b" not in out.getvalue()


def test_bar_mode_redraws_in_place_and_notes_do_not_break_it() -> None:
    out, clock = io.StringIO(), Clock()
    progress = Progress(out, "bar", "download", clock=clock)
    progress.set_totals(2, 2048)
    clock.now += 1
    progress.add_bytes(1024)
    progress.note("selectel-objects: error: download x: boom")
    progress.file_done(failed=True)
    progress.close()
    text = out.getvalue()
    assert text.startswith("\r\x1b[K")
    assert "\r\x1b[Kselectel-objects: error: download x: boom\n" in text
    assert text.endswith("\r\x1b[Kdownload: 1 file (1 failed), 1.0 KiB in 1.0 s, 1.0 KiB/s\n")


def test_quiet_prints_only_notes() -> None:
    out = io.StringIO()
    progress = Progress(out, "quiet", "sync")
    progress.set_totals(1, 1)
    progress.add_bytes(1)
    progress.note("error line")
    progress.close()
    assert out.getvalue() == "error line\n"


def test_human_units() -> None:
    assert human_bytes(0) == "0 B"
    assert human_bytes(1536) == "1.5 KiB"
    assert human_bytes(50 << 20) == "50.0 MiB"
    assert human_duration(5) == "0:05"
    assert human_duration(3723) == "1:02:03"
