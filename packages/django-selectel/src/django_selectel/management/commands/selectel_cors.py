"""``manage.py selectel_cors ORIGIN...``: let pages on these origins upload straight to Swift.

Sets the CORS rules of a storage's container (``X-Container-Meta-Access-Control-*``), which
direct browser uploads from another origin need; ``--check`` only reports what is missing.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError, CommandParser
from selectel_auth import AuthError
from selectel_objects import ObjectStorageError

from django_selectel.direct_upload import check_cors, configure_cors

_FAILURES = (ImproperlyConfigured, AuthError, ObjectStorageError, OSError, ValueError)


class Command(BaseCommand):
    help = "Allow origins on a storage's container (CORS) for direct browser uploads."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("origins", nargs="+", help="https://www.example.com, or *")
        parser.add_argument("--storage", default="default", help="STORAGES alias (default)")
        parser.add_argument("--container", help="the container (default: the storage's)")
        parser.add_argument(
            "--max-age", type=int, default=3600, help="seconds browsers cache the preflight"
        )
        parser.add_argument("--check", action="store_true", help="only check, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        storage = storages[options["storage"]]
        container = options["container"]
        try:
            if not options["check"]:
                configure_cors(
                    storage, options["origins"], max_age=options["max_age"], container=container
                )
            problems = [
                problem
                for origin in options["origins"]
                for problem in check_cors(storage, origin, container=container)
            ]
        except _FAILURES as exc:
            raise CommandError(f"selectel_cors: {exc}") from exc
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write(f"CORS allows {' '.join(options['origins'])}")
