"""FileField and ImageField through the ORM (SQLite in memory) on a Selectel default storage."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.images import get_image_dimensions
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.djangostorage.helpers import Direct, Swift, Wire
from tests.djangostorage.testapp.models import Document, Photo

pytestmark = pytest.mark.usefixtures("db", "media_settings")


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_file_field_round_trip(direct: Direct, target: Swift, container: str) -> None:
    upload = SimpleUploadedFile("report.txt", b"quarterly numbers", content_type="text/plain")
    doc = Document.objects.create(title="Q1", attachment=upload)
    assert doc.attachment.name == "docs/report.txt"
    assert direct.has(container, "docs/report.txt")

    loaded = Document.objects.get(pk=doc.pk)
    with loaded.attachment.open("rb") as handle:
        assert handle.read() == b"quarterly numbers"
    assert loaded.attachment.size == 17
    assert loaded.attachment.url == f"{target.storage_url()}/{container}/docs/report.txt"


def test_same_file_name_twice_keeps_both(direct: Direct, container: str) -> None:
    first = Document.objects.create(title="a", attachment=ContentFile(b"1", name="same.txt"))
    second = Document.objects.create(title="b", attachment=ContentFile(b"2", name="same.txt"))
    assert first.attachment.name != second.attachment.name
    assert second.attachment.name is not None and len(second.attachment.name) <= 100
    assert Document.objects.get(pk=first.pk).attachment.read() == b"1"
    assert Document.objects.get(pk=second.pk).attachment.read() == b"2"
    assert len(direct.names(container)) == 2


def test_file_field_delete(direct: Direct, container: str) -> None:
    doc = Document.objects.create(title="x", attachment=ContentFile(b"bye", name="bye.txt"))
    doc.attachment.delete(save=True)
    assert not direct.has(container, "docs/bye.txt")
    assert Document.objects.get(pk=doc.pk).attachment.name == ""


def test_image_field_records_dimensions_and_reads_back(
    wire: Wire, direct: Direct, container: str
) -> None:
    photo = Photo.objects.create(image=ContentFile(_png(7, 5), name="pic.png"))
    assert (photo.width, photo.height) == (7, 5)
    stored = direct.get(container, "photos/pic.png")
    assert stored is not None and stored.content_type == "image/png"

    before = wire.count()
    loaded = Photo.objects.get(pk=photo.pk)
    assert (loaded.width, loaded.height) == (7, 5)  # loading the model reads no file
    assert wire.count() == before
    assert (loaded.image.width, loaded.image.height) == (7, 5)  # read from the stored bytes
    with loaded.image.open("rb"):  # reopened from the storage, never from a local path
        assert get_image_dimensions(loaded.image) == (7, 5)  # with seeks
    with Image.open(loaded.image.open("rb")) as image:
        assert image.size == (7, 5)


def test_reassigning_a_file_uploads_the_new_one(options: dict[str, Any]) -> None:
    doc = Document.objects.create(title="v", attachment=ContentFile(b"v1", name="v.txt"))
    doc.attachment.save("v.txt", ContentFile(b"v2"), save=True)
    assert Document.objects.get(pk=doc.pk).attachment.read() == b"v2"
