"""The demo, from nothing: ``python3 scripts/demo.py``.

Runs the small Django project in ``examples/demo_project`` against Selectel Cloud Storage:
a FileField and an ImageField through the ORM, read back, listing, public and signed URLs,
overwrite off and on, ``collectstatic`` twice (the second run uploads nothing), delete, and
``manage.py selectel_check``. It prints what each step cost in HTTP requests.

By default it starts the repository's fake Swift server on 127.0.0.1 (Keystone v3, like the
current Selectel storage). To use a real account instead, set ``SELECTEL_USERNAME``,
``SELECTEL_PASSWORD``, ``SELECTEL_ACCOUNT_ID``, ``SELECTEL_PROJECT_ID`` and
``SELECTEL_REGION`` (or legacy v1 ``SELECTEL_USER``, ``SELECTEL_KEY``, ``SELECTEL_AUTH_URL``;
optionally ``SELECTEL_TEMP_URL_KEY`` for signed URLs and ``SELECTEL_DEMO_CONTAINER``); the demo
then writes to that container, makes it public (read ACL ``.r:*``) and cleans up after itself,
and request counts are not shown.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "examples" / "demo_project"


@dataclass
class Step:
    """One line of the report."""

    title: str
    requests: dict[str, int] = field(default_factory=dict)
    detail: str = ""


@dataclass
class Demo:
    """Runs the steps and remembers what each one cost."""

    fake: Any | None  # tests.fakeswift.FakeSwift when running against the fake
    steps: list[Step] = field(default_factory=list)

    @contextlib.contextmanager
    def step(self, title: str) -> Iterator[Step]:
        current = Step(title)
        before = len(self.fake.requests) if self.fake is not None else 0
        yield current
        if self.fake is not None:
            for record in self.fake.requests[before:]:
                key = record.kind if record.kind == "auth" else f"{record.method} {record.kind}"
                current.requests[key] = current.requests.get(key, 0) + 1
        self.steps.append(current)
        print(f"  {'done':>4}  {title}: {current.detail}", flush=True)

    def report(self, elapsed: float) -> str:
        width = max(len(s.title) for s in self.steps)
        lines = [f"{'step'.ljust(width)}  requests", f"{'-' * width}  {'-' * 40}"]
        for s in self.steps:
            if self.fake is None:
                counted = "(not counted against a real account)"
            else:
                counted = ", ".join(f"{n} {k}" for k, n in sorted(s.requests.items())) or "none"
            lines.append(f"{s.title.ljust(width)}  {counted}")
        lines.append(f"\n{len(self.steps)} steps in {elapsed:.1f} s")
        return "\n".join(lines)


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return int(reply.status), bytes(reply.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), b""


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (0, 140, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def _start_fake() -> tuple[Any, Callable[[], None]]:
    """Start the fake Swift and point the ``SELECTEL_*`` variables at its Keystone v3 user."""
    sys.path.insert(0, str(ROOT))
    from tests.fakeswift import serve

    running = serve()
    fake = running.fake
    v3 = fake.v3
    os.environ.update(
        {
            "SELECTEL_USERNAME": v3.name,
            "SELECTEL_PASSWORD": v3.password,
            "SELECTEL_ACCOUNT_ID": v3.account_id,
            "SELECTEL_PROJECT_ID": v3.project_id,
            "SELECTEL_REGION": v3.region,
            "SELECTEL_AUTH_URL": fake.auth_v3_url,
            "SELECTEL_STORAGE_URL": fake.storage_url(v3.project_id),
            "SELECTEL_TEMP_URL_KEY": secrets.token_hex(16),
            "SELECTEL_DEMO_CONTAINER": "django-selectel-demo",
        }
    )
    return fake, running.stop


def _setup_django() -> None:
    sys.path.insert(0, str(PROJECT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "demo_project.settings"
    import django

    django.setup()


def run(demo: Demo) -> None:
    from django.apps import apps
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django_selectel.storages import SelectelStorage

    storage = SelectelStorage(alias="default")  # the same configuration as default_storage
    app: str = "gallery"  # a plain str: the demo app is not in the type checker's settings
    document_model = apps.get_model(app, "Document")
    picture_model = apps.get_model(app, "Picture")

    with demo.step("migrate (SQLite in memory)") as step:
        call_command("migrate", verbosity=0)
        step.detail = "tables created; models hold names, files live in the container"

    with demo.step("upload a document (FileField)") as step:
        upload = SimpleUploadedFile("report.txt", "Отчёт за квартал\n".encode(), "text/plain")
        doc = document_model.objects.create(title="Q1", attachment=upload)
        step.detail = f"stored as {doc.attachment.name!r} (the first request authenticates)"

    with demo.step("upload a picture (ImageField)") as step:
        picture = picture_model.objects.create(image=ContentFile(_png(64, 48), name="logo.png"))
        step.detail = f"{picture.image.name!r}, {picture.width}x{picture.height} recorded by Django"

    client = storage.client
    container = client.container(os.environ["SELECTEL_DEMO_CONTAINER"])
    with demo.step("make the container public") as step:
        # The first upload created it readable by anyone (a public storage); one created
        # before, in the panel or by another tool, may not be: its public URLs would answer 401.
        container.set_metadata(read_acl=".r:*")
        step.detail = "read ACL '.r:*': anyone may GET its objects (listing stays private)"
    if demo.fake is not None:
        with demo.step("TempURL key (fake only)") as step:
            client.set_account_metadata(temp_url_key=os.environ["SELECTEL_TEMP_URL_KEY"])
            step.detail = "the account's Temp-URL-Key (set once, in the panel)"

    with demo.step("read the document back") as step:
        loaded = document_model.objects.get(pk=doc.pk)
        with loaded.attachment.open("r") as handle:
            text = handle.read()
        step.detail = f"{len(text)} characters, streamed: {text.strip()!r}"

    with demo.step("list the media folder") as step:
        dirs, files = storage.listdir("")
        step.detail = f"folders {dirs}, files {files}"

    with demo.step("public URL (no request to build it)") as step:
        url = picture.image.url
        status, body = _fetch(url)
        step.detail = f"{url} -> anonymous GET {status}, {len(body)} bytes"

    if os.environ.get("SELECTEL_TEMP_URL_KEY"):
        with demo.step("signed URL (no request to build it)") as step:
            signed = storage.url(doc.attachment.name, expire=300, filename="report.txt")
            status, body = _fetch(signed)
            tampered, _ = _fetch(signed.replace("temp_url_sig=", "temp_url_sig=0"))
            step.detail = (
                f"{signed.split('?')[0]}?temp_url_sig=... -> GET {status}, {len(body)} bytes; "
                f"tampered signature -> {tampered}"
            )

    with demo.step("same name again, overwrite off") as step:
        again = document_model.objects.create(
            title="Q1 again", attachment=ContentFile(b"second version", name="report.txt")
        )
        step.detail = f"kept both: {again.attachment.name!r} (If-None-Match: *, then a new name)"

    with demo.step("same name again, overwrite on") as step:
        overwriting = SelectelStorage(alias="default", overwrite_files=True)
        name = overwriting.save("docs/report.txt", ContentFile(b"replaced"))
        step.detail = f"replaced {name!r} in one PUT"

    with demo.step("collectstatic, first run") as step:
        out = io.StringIO()
        call_command("collectstatic", interactive=False, stdout=out)
        step.detail = out.getvalue().strip().splitlines()[-1]

    with demo.step("collectstatic, second run") as step:
        out = io.StringIO()
        call_command("collectstatic", interactive=False, stdout=out)
        step.detail = out.getvalue().strip().splitlines()[-1] + " (one listing, no upload)"

    with demo.step("manage.py selectel_check") as step:
        out = io.StringIO()
        call_command("selectel_check", "default", stdout=out, no_color=True)
        step.detail = out.getvalue().strip().splitlines()[-1]

    with demo.step("delete the files") as step:
        for model in (document_model, picture_model):
            for obj in model.objects.all():
                field_file = obj.attachment if model is document_model else obj.image
                field_file.delete(save=False)
                obj.delete()
        overwriting.delete("docs/report.txt")
        step.detail = f"gone: exists() -> {default_storage.exists(doc.attachment.name)}"

    if demo.fake is None:  # a real account: leave nothing behind but the emptied container
        names = [e.name for e in container.list_objects() if e.name]
        if names:
            container.delete_objects(names)


def _nothing() -> None:
    """Nothing to stop against a real account."""


def main() -> int:
    started = time.monotonic()
    real = any(os.environ.get(n) for n in ("SELECTEL_USERNAME", "SELECTEL_USER", "SELECTEL_TOKEN"))
    fake: Any | None = None
    stop: Callable[[], None] = _nothing
    if not real:
        fake, stop = _start_fake()
    where = "a real Selectel account" if fake is None else f"the fake Swift at {fake.base_url}"
    print(f"django-selectel demo against {where}", flush=True)
    try:
        _setup_django()
        demo = Demo(fake)
        run(demo)
    finally:
        stop()
    print()
    print(demo.report(time.monotonic() - started))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    from scripts._bootstrap import reexec_in_project_env

    reexec_in_project_env()
    sys.exit(main())
