"""The subcommands that move no file data: stat, list, post, copy, tempurl, capabilities."""

from __future__ import annotations

import json
import os
from typing import Any

from selectel_objects import NotFoundError
from selectel_objects.cli._context import EXIT_OK, Run, UsageError, parse_pairs
from selectel_objects.cli._progress import human_bytes
from selectel_objects.cli._render import (
    account_fields,
    container_entry_fields,
    container_fields,
    iso,
    object_entry_fields,
    object_fields,
    write_json_array,
    write_text_stat,
)

__all__ = ["capabilities", "copy", "list_", "post", "stat", "tempurl"]


def stat(run: Run) -> int:
    """Account, container or object headers."""
    args, storage = run.args, run.storage
    if args.container is None:
        info = storage.account_info()
        fields = [account_fields(info, storage.known_storage_url)]
    elif not args.objects:
        fields = [container_fields(args.container, storage.container(args.container).info())]
    else:
        container = storage.container(args.container)
        fields = [object_fields(container.name, n, container.head_object(n)) for n in args.objects]
    if args.json:
        run.out.write(json.dumps(fields[0] if len(fields) == 1 else fields, ensure_ascii=False))
        run.out.write("\n")
    else:
        for index, item in enumerate(fields):
            if index:
                run.out.write("\n")
            write_text_stat(run.out, item)
    return EXIT_OK


def list_(run: Run) -> int:
    """Containers of the account, or objects of a container."""
    args, storage = run.args, run.storage
    if args.container is None:
        containers = storage.list_containers(prefix=args.prefix)
        rows = (container_entry_fields(e) for e in containers)
    else:
        entries = storage.container(args.container).list_objects(
            prefix=args.prefix, delimiter=args.delimiter
        )
        rows = (object_entry_fields(e) for e in entries)
    if args.json:
        write_json_array(run.out, rows)
        return EXIT_OK
    count = size = 0
    for row in rows:
        count += 1
        size += row.get("size") or row.get("bytes") or 0
        run.out.write(_text_row(row, long=args.long) + "\n")
    if args.totals:
        run.out.write(f"{count} {'item' if count == 1 else 'items'}, {human_bytes(size)}\n")
    return EXIT_OK


def _text_row(row: dict[str, Any], *, long: bool) -> str:
    name = row.get("subdir") or row["name"]
    if not long:
        return str(name)
    if "subdir" in row:
        return f"{'':>12}  {'':20}  {name}"
    size = row.get("size", row.get("bytes")) or 0
    when = (row.get("last_modified") or "")[:19].replace("T", " ")
    return f"{size:>12}  {when:20}  {name}"


def post(run: Run) -> int:
    """Set metadata, ACLs, Temp-URL keys; creates a missing container."""
    args, storage = run.args, run.storage
    meta = parse_pairs(args.meta, "--meta")
    headers = parse_pairs(args.header, "--header") or None
    if args.container is None:
        if args.read_acl or args.write_acl or headers:
            raise UsageError("the account takes --meta and --temp-url-key only")
        storage.set_account_metadata(_removals(meta), temp_url_key=args.temp_url_key)
        return EXIT_OK
    container = storage.container(args.container)
    if args.object is None:
        options: dict[str, Any] = {
            "read_acl": args.read_acl,
            "write_acl": args.write_acl,
            "headers": headers,
        }
        try:
            container.set_metadata(_removals(meta), temp_url_key=args.temp_url_key, **options)
        except NotFoundError:
            container.create(metadata={k: v for k, v in meta.items() if v}, **options)
            if args.temp_url_key:
                container.set_metadata(temp_url_key=args.temp_url_key)
        return EXIT_OK
    if args.read_acl or args.write_acl or args.temp_url_key:
        raise UsageError("an object takes --meta and --header only")
    # Swift semantics (as `swift post`): the object's metadata becomes exactly --meta.
    container.post_object_metadata(
        args.object, {k: v for k, v in meta.items() if v}, headers=headers
    )
    return EXIT_OK


def _removals(meta: dict[str, str]) -> dict[str, str | None]:
    # `--meta key:` removes the key, as with swift.
    return {k: (v or None) for k, v in meta.items()}


def copy(run: Run) -> int:
    """Server-side copy of objects to ``--destination /container[/name]``."""
    args, storage = run.args, run.storage
    dest = args.destination.lstrip("/")
    dest_container, _, dest_name = dest.partition("/")
    if not dest_container:
        raise UsageError("--destination must be /container or /container/object")
    if dest_name and len(args.objects) > 1:
        raise UsageError("a destination object name takes exactly one source object")
    container = storage.container(args.container)
    meta = parse_pairs(args.meta, "--meta")
    for name in args.objects:
        result = container.copy_object(
            name,
            dest_container,
            dest_name or name,
            metadata=meta or None,
            fresh_metadata=args.fresh_metadata,
        )
        run.say(f"copied {args.container}/{name} -> {dest_container}/{dest_name or name}")
        if args.json:
            fields = {
                "source": f"{args.container}/{name}",
                "destination": f"{dest_container}/{dest_name or name}",
                "etag": result.etag,
                "last_modified": iso(result.last_modified),
            }
            run.out.write(json.dumps(fields, ensure_ascii=False) + "\n")
    return EXIT_OK


def tempurl(run: Run) -> int:
    """A signed, expiring URL for one object."""
    args, storage = run.args, run.storage
    container = storage.container(args.container)
    key = args.key or os.environ.get("SELECTEL_TEMP_URL_KEY") or os.environ.get("OS_TEMP_URL_KEY")
    if not key:
        key = container.info().temp_url_key or storage.account_info().temp_url_key
    if not key:
        raise UsageError(
            "no Temp-URL key: set one with `selectel-objects post --temp-url-key KEY` (account) "
            "or pass --key"
        )
    if storage.known_storage_url is None:
        _ = storage.storage_url  # authenticates: the URL is part of what is signed
    url = container.temp_url(
        args.object,
        key=key,
        expires_in=args.expires,
        method=args.method,
        digest=args.digest,
        filename=args.filename,
        inline=args.inline,
        ip_range=args.ip_range,
    )
    run.out.write(url + "\n")
    return EXIT_OK


def capabilities(run: Run) -> int:
    """The cluster's ``/info``: middleware and limits."""
    info = run.storage.info()
    if run.args.json:
        run.out.write(json.dumps(info, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        return EXIT_OK
    for section in sorted(info, key=lambda s: (s != "swift", s)):
        run.out.write(f"{section}\n")
        value = info[section]
        if isinstance(value, dict):
            for key in sorted(value):
                run.out.write(f"  {key}: {json.dumps(value[key], ensure_ascii=False)}\n")
    return EXIT_OK
