"""upload, download and delete: many objects, in parallel, with progress and per-object errors."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from os.path import commonpath
from typing import Any

from selectel_objects import (
    ConflictError,
    Container,
    NotFoundError,
    ObjectEntry,
    SubdirEntry,
)
from selectel_objects.cli._context import (
    EXIT_OK,
    Run,
    UsageError,
    exit_code,
)
from selectel_objects.cli._local import (
    LocalFile,
    WalkError,
    local_path,
    name_problem,
    remote_index,
    shown,
    unchanged,
    walk,
)
from selectel_objects.cli._progress import Progress
from selectel_objects.cli._transfer import (
    Failures,
    Options,
    download_object,
    label_of,
    run_parallel,
    upload_file,
)

__all__ = ["delete", "delete_names", "download", "gather", "transfer_down", "transfer_up", "upload"]

_CONFLICT_RETRIES = 10  # an emptied container may still list its objects for a moment


def gather(
    paths: Iterable[tuple[str, str | None]], failures: Failures, verb: str
) -> list[LocalFile]:
    """The files to upload from ``(path, name)`` pairs; bad paths and names are failures."""
    files: list[LocalFile] = []
    for path, name in paths:
        for item in walk(path, name):
            if isinstance(item, WalkError):
                failures.add(f"{verb} {shown(item.path)}", item.reason)
                continue
            problem = name_problem(item.name)
            if problem:
                failures.add(f"{verb} {shown(item.path)}", problem)
            else:
                files.append(item)
    return files


def transfer_up(
    run: Run,
    container: Container,
    files: list[LocalFile],
    options: Options,
    progress: Progress,
    failures: Failures,
) -> None:
    """Upload ``files`` in parallel."""
    progress.set_totals(len(files), sum(f.size for f in files))

    def work(item: LocalFile) -> None:
        upload_file(container, item, options, progress)
        run.say(f"uploaded {shown(item.name)}")

    run_parallel(
        files,
        work,
        label_of("upload"),
        threads=options.threads,
        failures=failures,
        progress=progress,
        cancel=options.cancel,
    )


def upload(run: Run) -> int:
    """Files and folders to a container (created when missing)."""
    args = run.args
    if args.object_name is not None and len(args.paths) != 1:
        raise UsageError("--object-name takes exactly one path")
    options = run.options()
    progress = run.progress("upload")
    failures = run.failures(progress)
    files = gather(((p, args.object_name) for p in args.paths), failures, "upload")
    container = run.storage.container(args.container)
    if files:
        container.create()
    if args.skip_identical and files:
        index = remote_index(container, _common_prefix(f.name for f in files))
        kept = [f for f in files if not unchanged(f, index, options.segment_size)]
        for _ in range(len(files) - len(kept)):
            progress.file_done(skipped=True)
        files = kept
    transfer_up(run, container, files, options, progress, failures)
    progress.close()
    return exit_code(failures)


def _common_prefix(names: Iterable[str]) -> str:
    prefix = commonpath(list(names))
    return prefix[: prefix.rfind("/") + 1]


def transfer_down(
    run: Run,
    container: Container,
    jobs: list[tuple[str, str, str | None, int | None]],
    options: Options,
    progress: Progress,
    failures: Failures,
) -> None:
    """Download ``(name, target path, etag, size)`` jobs in parallel."""
    sizes = [size for *_, size in jobs]
    progress.set_totals(len(jobs), None if None in sizes else sum(s or 0 for s in sizes))

    def work(job: tuple[str, str, str | None, int | None]) -> None:
        name, target, etag, _size = job
        download_object(container, name, target, options, progress, etag=etag)
        run.say(f"downloaded {shown(name)}")

    run_parallel(
        jobs,
        work,
        label_of("download"),
        threads=options.threads,
        failures=failures,
        progress=progress,
        cancel=options.cancel,
    )


def download(run: Run) -> int:
    """Objects to local files (all of a container or prefix when none are named)."""
    args = run.args
    container = run.storage.container(args.container)
    options = run.options()
    if args.output == "-":
        if len(args.objects) != 1:
            raise UsageError("-o - (standard output) takes exactly one object")
        with container.open_object(args.objects[0]) as reader:
            for chunk in reader.iter_chunks(1 << 20):
                sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
        return EXIT_OK
    if args.output is not None and len(args.objects) != 1:
        raise UsageError("--output takes exactly one object; use --output-dir for several")
    progress = run.progress("download")
    failures = run.failures(progress)
    jobs: list[tuple[str, str, str | None, int | None]] = []
    if args.objects:
        if len(args.objects) == 1:
            container.head_object(args.objects[0])  # NotFoundError -> exit 4 before any file
        for name in args.objects:
            target = args.output or local_path(args.output_dir, name)
            if target is None:
                failures.add(f"download {shown(name)}", "the name is not a safe local path")
            else:
                jobs.append((name, target, None, None))
    else:
        strip = args.prefix if args.remove_prefix else ""
        for entry in container.list_objects(prefix=args.prefix):
            if isinstance(entry, SubdirEntry) or entry.name is None:
                continue
            if entry.name.endswith("/") and not entry.size:
                continue  # a folder marker
            target = local_path(args.output_dir, entry.name, strip)
            if target is None:
                failures.add(f"download {shown(entry.name)}", "the name is not a safe local path")
                continue
            jobs.append((entry.name, target, entry.slo_etag or entry.etag, entry.size))
    transfer_down(run, container, jobs, options, progress, failures)
    progress.close()
    return exit_code(failures)


def delete(run: Run) -> int:
    """Objects (named, or all under ``--prefix``), or a whole container."""
    args = run.args
    container = run.storage.container(args.container)
    progress = run.progress("delete")
    failures = run.failures(progress)
    if args.objects:
        if len(args.objects) == 1 and not container.object_exists(args.objects[0]):
            raise NotFoundError(f"{args.container}/{args.objects[0]} does not exist", status=404)
        entries: list[Any] = [ObjectEntry(name=n) for n in args.objects]
    else:
        entries = [
            e for e in container.list_objects(prefix=args.prefix) if isinstance(e, ObjectEntry)
        ]
    delete_names(run, container, entries, progress, failures, named=bool(args.objects))
    if not args.objects and not args.prefix and not failures:
        _delete_container(container)
    progress.close()
    return exit_code(failures)


def delete_names(
    run: Run,
    container: Container,
    entries: list[ObjectEntry],
    progress: Progress,
    failures: Failures,
    *,
    named: bool = False,
) -> None:
    """Delete objects ``--threads`` at a time, each large object with its segments (unless
    ``--leave-segments``). Listed objects say whether they are large; ``named`` ones are
    looked at first. (Parallel DELETEs beat ``?bulk-delete``, which Swift's proxy works
    through two at a time.)"""
    leave = getattr(run.args, "leave_segments", False)
    progress.set_totals(len(entries), None)

    def work(pair: tuple[str, ObjectEntry]) -> None:
        name, entry = pair
        segments = not leave and (named or entry.slo_etag is not None)
        container.delete_object(name, missing_ok=not named, delete_segments=segments)
        run.say(f"deleted {shown(name)}")
        progress.file_done()

    options = run.options()
    run_parallel(
        [(e.name or "", e) for e in entries],
        work,
        label_of("delete"),
        threads=options.threads,
        failures=failures,
        progress=progress,
        cancel=options.cancel,
    )


def _delete_container(container: Container) -> None:
    for attempt in range(_CONFLICT_RETRIES):
        try:
            container.delete(missing_ok=True)
            return
        except ConflictError:
            if attempt == _CONFLICT_RETRIES - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
