"""sync: make a container prefix match a local folder, or the other way round.

One listing of the remote side (a request per 10 000 objects) is compared with the local
files by size, then MD5 (for large objects, the ETag a Static Large Object of the file in
``--segment-size`` segments has); only what differs moves. ``--delete`` removes what the
source lacks, but never after a source file could not be read. ``--dry-run`` prints the plan.
"""

from __future__ import annotations

import concurrent.futures
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from selectel_objects import ObjectEntry
from selectel_objects.cli._context import Run, UsageError, exit_code
from selectel_objects.cli._files import delete_names, gather, transfer_down, transfer_up
from selectel_objects.cli._local import (
    LocalFile,
    checksums,
    local_path,
    remote_index,
    shown,
    unchanged,
    walk,
)

T = TypeVar("T")

__all__ = ["REMOTE_SCHEME", "parse_remote", "sync"]

REMOTE_SCHEME = "swift://"
# Our own partial downloads (see _transfer.partial_path) are not data to sync.
_PARTIAL = re.compile(r"^\.(.+\.)?[0-9a-f]{32}\.part$|^\.selectel-[0-9a-f]{20}\..*\.part$")


def parse_remote(text: str) -> tuple[str, str] | None:
    """``swift://container/prefix`` as ``(container, "prefix/")``; ``None`` if local."""
    if not text.startswith(REMOTE_SCHEME):
        return None
    container, _, prefix = text[len(REMOTE_SCHEME) :].partition("/")
    if not container:
        raise UsageError(f"{text!r} names no container ({REMOTE_SCHEME}CONTAINER[/PREFIX])")
    prefix = prefix.strip("/")
    return container, (prefix + "/" if prefix else "")


def _local_same(path: str, entry: ObjectEntry, segment_size: int) -> bool:
    try:
        if Path(path).stat().st_size != entry.size:
            return False
        return checksums(path, segment_size).matches(entry.size, entry.etag, entry.slo_etag)
    except OSError:
        return False


def _parallel_filter(items: list[T], keep: Callable[[T], bool], threads: int) -> list[T]:
    # Hashing releases the GIL: checking files in threads overlaps disk and CPU.
    with concurrent.futures.ThreadPoolExecutor(max(1, threads)) as pool:
        flags = list(pool.map(keep, items))
    return [item for item, flag in zip(items, flags, strict=True) if flag]


def sync(run: Run) -> int:
    """``sync LOCAL swift://C/P`` uploads, ``sync swift://C/P LOCAL`` downloads."""
    args = run.args
    source, dest = parse_remote(args.source), parse_remote(args.destination)
    if (source is None) == (dest is None):
        raise UsageError(f"sync needs one local folder and one {REMOTE_SCHEME}CONTAINER[/PREFIX]")
    if dest is not None:
        return _sync_up(run, args.source, *dest)
    assert source is not None
    return _sync_down(run, *source, args.destination)


def _sync_up(run: Run, root: str, container_name: str, prefix: str) -> int:
    args = run.args
    if not Path(root).is_dir():
        raise UsageError(f"{root!r} is not a folder")
    options = run.options()
    progress = run.progress("sync")
    failures = run.failures(progress)
    files = [
        f
        for f in gather([(root, prefix.rstrip("/"))], failures, "sync")
        if not _PARTIAL.match(Path(f.path).name)
    ]
    container = run.storage.container(container_name)
    try:
        index = remote_index(container, prefix)
        exists = True
    except Exception as exc:
        from selectel_objects import NotFoundError  # noqa: PLC0415

        if not isinstance(exc, NotFoundError):
            raise
        index, exists = {}, False
    changed = _parallel_filter(
        files, lambda f: not unchanged(f, index, options.segment_size), options.threads
    )
    extras: list[ObjectEntry] = []
    if args.delete:
        local_names = {f.name for f in files}
        extras = [e for n, e in sorted(index.items()) if n not in local_names]
        if extras and failures:
            progress.note("sync: not deleting anything: some local files could not be read")
            extras = []
    if args.dry_run:
        _plan(run, [f.name for f in changed], [e.name or "" for e in extras], "upload")
        return exit_code(failures)
    for _ in range(len(files) - len(changed)):
        progress.file_done(skipped=True)
    if changed and not exists:
        container.create()
    transfer_up(run, container, changed, options, progress, failures)
    if extras and not failures:
        delete_names(run, container, extras, progress, failures)
    progress.close()
    return exit_code(failures)


def _sync_down(run: Run, container_name: str, prefix: str, root: str) -> int:
    args = run.args
    options = run.options()
    container = run.storage.container(container_name)
    index = remote_index(container, prefix)  # a missing container: NotFoundError, exit 4
    progress = run.progress("sync")
    failures = run.failures(progress)
    wanted: list[tuple[str, str, ObjectEntry]] = []
    for name, entry in sorted(index.items()):
        if name.endswith("/") and not entry.size:
            continue  # a folder marker
        target = local_path(root, name, prefix)
        if target is None:
            failures.add(f"sync {shown(name)}", "the name is not a safe local path")
        else:
            wanted.append((name, target, entry))
    changed = _parallel_filter(
        wanted, lambda w: not _local_same(w[1], w[2], options.segment_size), options.threads
    )
    extras: list[str] = []
    if args.delete and Path(root).is_dir():
        targets = {os.path.normpath(t) for _, t, _ in wanted}
        for item in walk(root, ""):
            if (
                isinstance(item, LocalFile)
                and os.path.normpath(item.path) not in targets
                and not _PARTIAL.match(Path(item.path).name)
            ):
                extras.append(item.path)
        if extras and failures:
            progress.note("sync: not deleting anything: some objects could not be placed")
            extras = []
    if args.dry_run:
        _plan(run, [n for n, _, _ in changed], extras, "download")
        return exit_code(failures)
    for _ in range(len(wanted) - len(changed)):
        progress.file_done(skipped=True)
    jobs = [(n, t, e.slo_etag or e.etag, e.size) for n, t, e in changed]
    transfer_down(run, container, jobs, options, progress, failures)
    if not failures:
        for path in extras:
            try:
                Path(path).unlink()
                run.say(f"deleted {shown(path)}")
            except OSError as exc:
                failures.add(f"delete {shown(path)}", exc.strerror or str(exc))
    progress.close()
    return exit_code(failures)


def _plan(run: Run, moves: list[str], removals: list[str], verb: str) -> None:
    for name in moves:
        run.out.write(f"would {verb} {shown(name)}\n")
    for name in removals:
        run.out.write(f"would delete {shown(name)}\n")
    run.out.write(f"dry run: {len(moves)} to {verb}, {len(removals)} to delete\n")
