"""``manage.py selectel_check``: prove a storage configuration works, end to end.

For every ``STORAGES`` entry with a django-selectel backend (or the aliases given): resolve
the options, authenticate, look at the container, write and read back a probe object, then
fetch what ``url()`` gives for it, the way a browser would: an anonymous HEAD of a public
URL, a GET of a freshly signed one for a private storage, and with a ``temp_url_key`` a
signed PUT and DELETE (direct uploads). Prints one line per step; a failure says its fix;
exits non-zero when any step fails. Never prints secrets.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Final

from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError, CommandParser
from selectel_auth import AuthError
from selectel_objects import (
    Headers,
    HttpRequest,
    NotFoundError,
    ObjectStorageError,
    Timeout,
    Transport,
)

from django_selectel._clients import get_client
from django_selectel.checks import selectel_aliases
from django_selectel.storages import SelectelStorage

_FAILURES = (ImproperlyConfigured, AuthError, ObjectStorageError, OSError, ValueError)
_AUTH_KINDS = {"1": "legacy v1", "3": "Keystone v3", "static": "static token"}
_TIMEOUT: Final = Timeout(connect=10.0, read=30.0)
_DENIED: Final = frozenset({401, 403})


class _Failed(Exception):
    """A step failed; the message is the whole line (what happened, and the fix)."""


def _fetch(transport: Transport, method: str, url: str, body: bytes | None = None) -> int:
    """The status of one anonymous request (no token: what a browser would send)."""
    headers = Headers({"Content-Length": str(len(body))} if body is not None else {})
    request = HttpRequest(method=method, url=url, headers=headers, body=body)
    reply = transport.send(request, timeout=_TIMEOUT)
    try:
        reply.read()
    finally:
        reply.close()
    return int(reply.status)


class Command(BaseCommand):
    help = (
        "Check django-selectel storages end to end: credentials, container, a probe object "
        "written, read back and deleted, and the URLs url() gives, fetched."
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
        plain = isinstance(exc, str | _Failed)
        reason = str(exc) if plain else f"{type(exc).__name__}: {exc}"
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
            try:
                info = storage.client.container(container).info()
            except NotFoundError:
                if not config.auto_create_container:
                    return self._fail(
                        step,
                        f"{container!r} does not exist; fix: create it, or set "
                        "OPTIONS['auto_create_container'] = True (the first save creates it)",
                    )
                self._ok(step, f"{container!r} does not exist yet; the probe creates it")
            else:
                self._ok(
                    step, f"{container!r}: {info.object_count} objects, {info.bytes_used} bytes"
                )

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
                urls = self._check_urls(storage, alias, container, name, data)
            finally:
                storage.delete(name)
            if storage.exists(name):
                return self._fail(step, "the probe object is still there after delete")
            self._ok(step, f"probe {name!r} ({len(data)} bytes)")
            for step, outcome in urls:
                if isinstance(outcome, _Failed):
                    return self._fail(step, outcome)
                self._ok(step, outcome)
        except _FAILURES as exc:
            return self._fail(step, exc)
        return True

    def _check_urls(
        self, storage: SelectelStorage, alias: str, container: str, name: str, data: bytes
    ) -> list[tuple[str, str | _Failed]]:
        """Fetch what ``url()`` gives for the probe; one ``(step, detail or failure)`` each."""
        config = storage.config
        transport = get_client(config).transport
        results: list[tuple[str, str | _Failed]] = []
        where = f"STORAGES[{alias!r}]['OPTIONS']"
        if config.public:
            url = storage.url(name)
            status = _fetch(transport, "HEAD", url)
            if status in _DENIED:
                results.append(
                    (
                        "public URL",
                        _Failed(
                            f"an anonymous HEAD of url() answered {status}: container "
                            f"{container!r} is not public; fix: give it the read ACL '.r:*' "
                            f"(X-Container-Read, e.g. `swift post -r '.r:*' {container}`, or "
                            "make it public in the Selectel panel), or set "
                            f"{where}['public'] = False to serve signed URLs"
                        ),
                    )
                )
                return results
            if status // 100 != 2:
                results.append(("public URL", _Failed(f"anonymous HEAD {url} answered {status}")))
                return results
            results.append(("public URL", f"anonymous HEAD {url} -> {status}"))
        if not config.temp_url_key:
            return results
        key_source = storage.option_source("temp_url_key")
        wrong_key = (
            f"the temp_url_key from {key_source} is not the Temp-URL-Key of the account or of "
            f"container {container!r}; fix: set the same value there (X-Account-Meta-Temp-URL-"
            "Key) or correct the option"
        )
        if not config.public:
            signed = storage.url(name)
            status = _fetch(transport, "GET", signed)
            if status in _DENIED:
                results.append(
                    ("signed URL", _Failed(f"a fresh TempURL answered {status}: " + wrong_key))
                )
                return results
            if status // 100 != 2:
                results.append(("signed URL", _Failed(f"a fresh TempURL answered {status}")))
                return results
            results.append(("signed URL", f"GET of a fresh TempURL -> {status}"))
        upload = f"{name}.upload"
        put = _fetch(transport, "PUT", storage.signed_url(upload, method="PUT"), data)
        if put in _DENIED:
            results.append(("signed upload", _Failed(f"a signed PUT answered {put}: " + wrong_key)))
            return results
        deleted = _fetch(transport, "DELETE", storage.signed_url(upload, method="DELETE"))
        if put // 100 != 2 or deleted // 100 != 2:
            storage.delete(upload)
            results.append(
                ("signed upload", _Failed(f"signed PUT -> {put}, signed DELETE -> {deleted}"))
            )
            return results
        results.append(("signed upload", f"signed PUT -> {put}, signed DELETE -> {deleted}"))
        return results
