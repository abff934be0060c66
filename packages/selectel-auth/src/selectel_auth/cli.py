"""The ``selectel-auth`` command: print a token for other tools, or check a configuration.

Exit codes: 0 ok, 2 bad configuration, 3 invalid credentials, 4 service or network error.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from selectel_auth._cache import FileTokenCache
from selectel_auth._env import credential_from_env
from selectel_auth._errors import AuthConfigError, AuthError, InvalidCredentialsError
from selectel_auth._types import AccessToken, TokenCredential

__all__ = ["main"]

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_CREDENTIALS = 3
EXIT_SERVICE = 4


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own exit code 2 is ours for config
        self.exit(EXIT_CONFIG, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False, allow_abbrev=False)
    group = common.add_argument_group("configuration (flags win over SELECTEL_* variables)")
    group.add_argument("--auth-url", help="identity endpoint (SELECTEL_AUTH_URL)")
    group.add_argument(
        "--auth-version", choices=["3", "1"], help="3 Keystone, 1 legacy (SELECTEL_AUTH_VERSION)"
    )
    group.add_argument("--username", help="service user / storage user (SELECTEL_USERNAME)")
    group.add_argument("--account-id", help="account number (SELECTEL_ACCOUNT_ID)")
    group.add_argument("--project-id", help="project id (SELECTEL_PROJECT_ID)")
    group.add_argument("--project-name", help="project name (SELECTEL_PROJECT_NAME)")
    group.add_argument("--region", help="storage pool, e.g. ru-1 (SELECTEL_REGION)")
    group.add_argument("--storage-url", help="storage URL override (SELECTEL_STORAGE_URL)")
    group.add_argument("--cacert", metavar="PEM", help="CA bundle to verify TLS with")
    group.add_argument("--timeout", type=float, help="seconds per auth request (default 10)")
    group.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (else SELECTEL_PASSWORD)",
    )
    group.add_argument("--cache", action="store_true", help="share tokens through the file cache")
    group.add_argument("-v", "--verbose", action="store_true", help="debug log (secrets masked)")

    parser = _Parser(
        prog="selectel-auth",
        allow_abbrev=False,
        description="Get Selectel Cloud Storage tokens. The password comes only from "
        "SELECTEL_PASSWORD or --password-stdin.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    token = commands.add_parser("token", parents=[common], help="print a token")
    token.add_argument(
        "--format",
        choices=["json", "env", "header"],
        default="json",
        help="json: token, storage_url, expires_at; env: export OS_AUTH_TOKEN/OS_STORAGE_URL "
        "lines (swift, rclone); header: an X-Auth-Token line",
    )
    commands.add_parser(
        "check", parents=[common], help="authenticate and report endpoint and expiry"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if any(a == "--password" or a.startswith("--password=") for a in arguments):
        # Refuse before argparse can echo the value back in an "unrecognized arguments" line.
        print(
            "selectel-auth: error: there is no --password flag (a flag leaks into shell history "
            "and ps); use SELECTEL_PASSWORD or --password-stdin",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    args = _parser().parse_args(arguments)
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
    try:
        credential = _credential(args)
        token = credential.get_token()
    except AuthConfigError as exc:
        return _fail(exc, EXIT_CONFIG)
    except InvalidCredentialsError as exc:
        return _fail(exc, EXIT_CREDENTIALS)
    except AuthError as exc:  # service and transport errors
        return _fail(exc, EXIT_SERVICE)
    if args.command == "check":
        print(f"ok: {credential!r}")
        print(f"storage URL: {token.storage_url or '(none)'}")
        print(_expiry(token))
    elif args.format == "json":
        expires = _iso(token.expires_at) if token.expires_at is not None else None
        print(
            json.dumps(
                {"token": token.token, "storage_url": token.storage_url, "expires_at": expires}
            )
        )
    elif args.format == "env":
        print(f"export OS_AUTH_TOKEN={shlex.quote(token.token)}")
        if token.storage_url:
            print(f"export OS_STORAGE_URL={shlex.quote(token.storage_url)}")
    else:
        print(f"X-Auth-Token: {token.token}")
    return EXIT_OK


def _credential(args: argparse.Namespace) -> TokenCredential:
    overrides: dict[str, Any] = {
        "auth_url": args.auth_url,
        "auth_version": args.auth_version,
        "username": args.username,
        "account_id": args.account_id,
        "project_id": args.project_id,
        "project_name": args.project_name,
        "region": args.region,
        "storage_url": args.storage_url,
        "timeout": args.timeout,
    }
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise AuthConfigError("--password-stdin read an empty line")
        overrides["password"] = password
    if args.cacert:
        overrides["verify"] = args.cacert
    if args.cache:
        overrides["cache"] = FileTokenCache()
    return credential_from_env(**overrides)


def _fail(exc: AuthError, code: int) -> int:
    print(f"selectel-auth: error: {exc}", file=sys.stderr)
    return code


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _expiry(token: AccessToken) -> str:
    left = token.expires_in()
    if token.expires_at is None or left is None:
        return "token expiry: not reported by the server"
    hours, rest = divmod(max(0, int(left)), 3600)
    return f"token expires: {_iso(token.expires_at)} (in {hours}h{rest // 60:02d}m)"


if __name__ == "__main__":
    sys.exit(main())
