"""A FileField and an ImageField, both on the default (Selectel) storage."""

from __future__ import annotations

from django.db import models


class Document(models.Model):
    """Any file: stored under ``media/docs/``."""

    title = models.CharField(max_length=100)
    attachment = models.FileField(upload_to="docs/")


class Picture(models.Model):
    """An image; Django records its size in ``width`` and ``height`` when it is saved."""

    image = models.ImageField(upload_to="pictures/", width_field="width", height_field="height")
    width = models.PositiveIntegerField(null=True)
    height = models.PositiveIntegerField(null=True)
