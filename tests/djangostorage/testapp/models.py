"""Models with a FileField and an ImageField on the default storage (set per test)."""

from __future__ import annotations

from django.db import models


class Document(models.Model):
    """A file of any kind."""

    title = models.CharField(max_length=100)
    attachment = models.FileField(upload_to="docs/", max_length=100)

    class Meta:
        app_label = "testapp"


class Photo(models.Model):
    """An image whose dimensions Django records on save."""

    image = models.ImageField(upload_to="photos/", width_field="width", height_field="height")
    width = models.PositiveIntegerField(null=True)
    height = models.PositiveIntegerField(null=True)

    class Meta:
        app_label = "testapp"
