"""The ``selectel-objects`` command line: flags, subcommands, exit codes."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from selectel_auth import AuthConfigError, AuthError

from selectel_objects import (
    AuthorizationError,
    InvalidNameError,
    NotFoundError,
    ObjectStorageError,
    __version__,
)
from selectel_objects.cli import _commands, _files, _sync
from selectel_objects.cli._connect import open_storage
from selectel_objects.cli._context import (
    DEFAULT_SEGMENT_SIZE,
    EXIT_AUTH,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_USAGE,
    PROG,
    Run,
    UsageError,
    parse_duration,
    parse_size,
)

__all__ = ["main"]

DEFAULT_THREADS = 16
_EPILOG = """\
auth: the SELECTEL_* variables of selectel-auth (SELECTEL_AUTH_URL, SELECTEL_USERNAME,
SELECTEL_PASSWORD, SELECTEL_ACCOUNT_ID, SELECTEL_PROJECT_NAME/_ID, SELECTEL_REGION, or
SELECTEL_TOKEN + SELECTEL_STORAGE_URL); without them the OS_* (OS_AUTH_URL, OS_USERNAME,
OS_PASSWORD, OS_PROJECT_NAME, OS_AUTH_TOKEN, OS_STORAGE_URL, ...) or ST_* (ST_AUTH, ST_USER,
ST_KEY) variables of swift. Flags win. Tokens are cached with selectel-auth's file cache.

exit codes: 0 ok, 1 some objects failed (each named on stderr), 2 usage or configuration,
3 authentication refused, 4 not found, 130 interrupted.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _global_options() -> _Parser:
    common = _Parser(add_help=False, allow_abbrev=False)
    auth = common.add_argument_group("authentication (flags win over the environment)")
    auth.add_argument("--auth-url", help="identity endpoint (SELECTEL_AUTH_URL, OS_AUTH_URL)")
    auth.add_argument("--auth-version", choices=["3", "1"], help="3 Keystone, 1 legacy")
    auth.add_argument("--username", help="user (SELECTEL_USERNAME, OS_USERNAME, ST_USER)")
    auth.add_argument("--account-id", help="Selectel account number (SELECTEL_ACCOUNT_ID)")
    auth.add_argument("--project-id", help="project id (SELECTEL_PROJECT_ID, OS_PROJECT_ID)")
    auth.add_argument("--project-name", help="project name (SELECTEL_PROJECT_NAME)")
    auth.add_argument("--region", help="storage region, e.g. ru-1 (SELECTEL_REGION)")
    auth.add_argument(
        "--interface", choices=["public", "internal", "admin"], help="endpoint interface"
    )
    auth.add_argument("--storage-url", help="storage URL (SELECTEL_STORAGE_URL)")
    auth.add_argument("--auth-token", help="a token to use as is (needs a storage URL)")
    auth.add_argument("--no-cache", action="store_true", help="do not share tokens on disk")
    net = common.add_argument_group("connection")
    net.add_argument("--transport", choices=["urllib3", "requests"], default="urllib3")
    net.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    net.add_argument("--retries", type=int, default=4, help="per request (default 4)")
    net.add_argument("--cacert", metavar="PEM", help="CA bundle to trust (OS_CACERT)")
    net.add_argument("--insecure", action="store_true", help="do not verify TLS (tests only)")
    net.add_argument(
        "--threads",
        type=_positive,
        default=DEFAULT_THREADS,
        help=f"parallel transfers (default {DEFAULT_THREADS})",
    )
    out = common.add_argument_group("output")
    out.add_argument("-q", "--quiet", action="store_true", help="no progress, errors only")
    out.add_argument("-v", "--verbose", action="store_true", help="a line per object, debug log")
    out.add_argument("--json", action="store_true", help="JSON output (list, stat, copy, ...)")
    return common


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _transfer_options(parser: argparse.ArgumentParser, *, up: bool) -> None:
    parser.add_argument(
        "--segment-size",
        type=parse_size,
        default=DEFAULT_SEGMENT_SIZE,
        help="files above this go up as segmented large objects of this segment size "
        "(default 1G; K/M/G suffixes)",
    )
    if up:
        parser.add_argument("-H", "--header", action="append", help="HEADER:VALUE on each object")
        parser.add_argument("-m", "--meta", action="append", help="KEY:VALUE metadata")


def _parser() -> argparse.ArgumentParser:
    common = _global_options()
    parser = _Parser(
        prog=PROG,
        allow_abbrev=False,
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Selectel Cloud Storage (OpenStack Swift) from the shell.",
        epilog=_EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def add(name: str, handler: Callable[[Run], int], text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(
            name, parents=[common], help=text, description=text, allow_abbrev=False
        )
        command.set_defaults(handler=handler)
        return command

    p = add("stat", _commands.stat, "headers of the account, a container or objects")
    p.add_argument("container", nargs="?")
    p.add_argument("objects", nargs="*")

    p = add("list", _commands.list_, "containers, or the objects of a container")
    p.add_argument("container", nargs="?")
    p.add_argument("-p", "--prefix", help="only names starting with this")
    p.add_argument("-d", "--delimiter", help="fold names at this character (e.g. /)")
    p.add_argument("-l", "--long", action="store_true", help="size and date too")
    p.add_argument("-t", "--totals", action="store_true", help="a count and size line at the end")

    p = add("upload", _files.upload, "files and folders to a container")
    p.add_argument("container")
    p.add_argument("paths", nargs="+", metavar="path")
    p.add_argument("--object-name", help="the name (prefix, for a folder) instead of the path")
    p.add_argument(
        "--skip-identical",
        action="store_true",
        help="skip files already stored with the same size and MD5 (one listing)",
    )
    _transfer_options(p, up=True)

    p = add("download", _files.download, "objects to files (all, or a --prefix, if none named)")
    p.add_argument("container")
    p.add_argument("objects", nargs="*")
    p.add_argument("-p", "--prefix", help="only objects starting with this")
    p.add_argument("--remove-prefix", action="store_true", help="strip --prefix from paths")
    p.add_argument("-D", "--output-dir", default=".", help="where files go (default .)")
    p.add_argument("-o", "--output", help="file for the one object named; - for stdout")
    _transfer_options(p, up=False)

    p = add("delete", _files.delete, "objects, a --prefix, or a container with its objects")
    p.add_argument("container")
    p.add_argument("objects", nargs="*")
    p.add_argument("-p", "--prefix", help="delete the objects starting with this")
    p.add_argument(
        "--leave-segments", action="store_true", help="keep the segments of large objects"
    )

    p = add("copy", _commands.copy, "copy objects on the server")
    p.add_argument("container")
    p.add_argument("objects", nargs="+")
    p.add_argument("-d", "--destination", required=True, help="/container or /container/object")
    p.add_argument("-m", "--meta", action="append", help="KEY:VALUE metadata to set")
    p.add_argument("--fresh-metadata", action="store_true", help="do not keep the source's")

    p = add("post", _commands.post, "set metadata and ACLs (creates a missing container)")
    p.add_argument("container", nargs="?")
    p.add_argument("object", nargs="?")
    p.add_argument("-m", "--meta", action="append", help="KEY:VALUE (KEY: removes it)")
    p.add_argument("-H", "--header", action="append", help="HEADER:VALUE")
    p.add_argument("-r", "--read-acl", help="e.g. .r:* for a public container")
    p.add_argument("-w", "--write-acl")
    p.add_argument("--temp-url-key", help="set the Temp-URL key (account or container)")

    p = add("tempurl", _commands.tempurl, "a signed URL that expires")
    p.add_argument("container")
    p.add_argument("object")
    p.add_argument(
        "--expires",
        type=parse_duration,
        default=86400,
        help="lifetime: seconds or 90m, 12h, 1d, 2w (default 1d)",
    )
    p.add_argument("--method", default="GET", choices=["GET", "HEAD", "PUT", "POST", "DELETE"])
    p.add_argument("--key", help="Temp-URL key (default SELECTEL_TEMP_URL_KEY, else stored one)")
    p.add_argument("--digest", default="sha256", choices=["sha1", "sha256", "sha512"])
    p.add_argument("--filename", help="download as this file name")
    p.add_argument("--inline", action="store_true", help="show in the browser")
    p.add_argument("--ip-range", help="only for these clients, e.g. 10.0.0.0/8")

    add("capabilities", _commands.capabilities, "what the cluster offers (/info)")

    p = add("sync", _sync.sync, "make a prefix match a folder, or a folder match a prefix")
    p.add_argument("source", help="a folder, or swift://CONTAINER[/PREFIX]")
    p.add_argument("destination", help="swift://CONTAINER[/PREFIX], or a folder")
    p.add_argument("--delete", action="store_true", help="remove what the source lacks")
    p.add_argument("-n", "--dry-run", action="store_true", help="print the plan, change nothing")
    _transfer_options(p, up=True)
    return parser


def main(argv: Sequence[str] | None = None, *, environ: Any = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
    run = Run(args, lambda: open_storage(args, environ))
    try:
        code: int = args.handler(run)
        return code
    except UsageError as exc:
        return _fail(run, f"error: {exc}", EXIT_USAGE)
    except AuthConfigError as exc:
        return _fail(run, f"configuration: {exc}", EXIT_USAGE)
    except (AuthError, AuthorizationError) as exc:
        return _fail(run, f"authentication: {exc}", EXIT_AUTH)
    except NotFoundError as exc:
        return _fail(run, f"not found: {exc}", EXIT_NOT_FOUND)
    except InvalidNameError as exc:
        return _fail(run, f"error: {exc}", EXIT_USAGE)
    except (ObjectStorageError, OSError) as exc:
        if isinstance(exc, BrokenPipeError):
            return EXIT_FAILED  # `| head` closed the pipe: nothing to say
        return _fail(run, f"error: {exc}", EXIT_FAILED)
    except KeyboardInterrupt:
        return _fail(
            run,
            "interrupted: finished files are in place, partial downloads are kept "
            "under hidden .part names and resume on the next run; no partial object was "
            "stored",
            EXIT_INTERRUPTED,
        )
    finally:
        run.close()


def _fail(run: Run, message: str, code: int) -> int:
    print(f"{PROG}: {message}", file=run.err)
    return code
