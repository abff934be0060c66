"""``manage.py selectel_check``: prove a storage configuration works, end to end.

For every ``STORAGES`` entry with a django-selectel backend (or the aliases given): resolve
the options, authenticate, look at the container, then write, read back and delete a probe
object. Prints one line per step; exits non-zero when any step fails. Never prints secrets.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError, CommandParser
from selectel_auth import AuthError
from selectel_objects import NotFoundError, ObjectStorageError

from django_selectel.checks import selectel_aliases
from django_selectel.storages import SelectelStorage

_FAILURES = (ImproperlyConfigured, AuthError, ObjectStorageError, OSError, ValueError)
_AUTH_KINDS = {"1": "legacy v1", "3": "Keystone v3", "static": "static token"}


class Command(BaseCommand):
    help = (
        "Check django-selectel storages end to end: credentials, container, and a probe "
        "object written, read back and deleted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "aliases", nargs="*", help="STORAGES aliases to check (default: every Selectel one)"
        )
        parser.add_argument(
            "--container",
            help="container for the probe of an ApiStorage without a 'container' option",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        aliases: list[str] = options["aliases"] or selectel_aliases()
        if not aliases:
            raise CommandError("No STORAGES entry uses a django-selectel backend.")
        failed = [alias for alias in aliases if not self._check(alias, options["container"])]
        if failed:
            raise CommandError(f"{len(failed)} of {len(aliases)} storage(s) failed: {failed}")
        self.stdout.write(self.style.SUCCESS(f"All {len(aliases)} storage(s) work."))

    def _ok(self, step: str, detail: str) -> None:
        self.stdout.write(f"  {self.style.SUCCESS('OK  ')} {step}: {detail}")

    def _fail(self, step: str, exc: BaseException | str) -> bool:
        reason = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        self.stdout.write(f"  {self.style.ERROR('FAIL')} {step}: {reason}")
        return False

    def _check(self, alias: str, probe_container: str | None) -> bool:
        self.stdout.write(f"STORAGES[{alias!r}]")
        step = "configuration"
        try:
            storage = storages[alias]
            if not isinstance(storage, SelectelStorage):
                return self._fail(
                    step, f"{type(storage).__name__} is not a django-selectel storage"
                )
            config = storage.config
            problem = config.missing_credentials()
            if problem:
                return self._fail(step, problem)
            self._ok(step, repr(storage))

            step = "authentication"
            started = time.monotonic()
            token = storage.client.credential.get_token()
            kind = _AUTH_KINDS.get(config.auth_version or "", "?")
            where = config.auth_url or "(no auth service)"
            elapsed = time.monotonic() - started
            self._ok(step, f"{kind} at {where} in {elapsed:.2f} s; storage {token.storage_url}")

            step = "container"
            container = config.container or probe_container
            if container is None:
                self._ok(step, "skipped: ApiStorage picks containers per file (use --container)")
                return True
            client = storage.client.container(container)
            try:
                info = client.info()
            except NotFoundError:
                if not config.auto_create_container:
                    return self._fail(step, f"{container!r} does not exist")
                client.create(exist_ok=True)
                info = client.info()
            self._ok(step, f"{container!r}: {info.object_count} objects, {info.bytes_used} bytes")

            step = "write, read, delete"
            probe = f".selectel-check-{uuid.uuid4().hex}.txt"
            if config.container is None:
                probe = f"{container}/{probe}"
            data = f"selectel_check {uuid.uuid4()}".encode()
            name = storage.save(probe, ContentFile(data))
            try:
                with storage.open(name) as handle:
                    back = handle.read()
                if back != data:
                    return self._fail(step, "the probe object read back differently")
                url = storage.url(name)
            finally:
                storage.delete(name)
            if storage.exists(name):
                return self._fail(step, "the probe object is still there after delete")
            self._ok(step, f"probe {name!r} ({len(data)} bytes); url() gives {url}")
        except _FAILURES as exc:
            return self._fail(step, exc)
        return True
