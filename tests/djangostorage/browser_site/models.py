"""One model with a FileField, edited in the admin through direct uploads."""

from __future__ import annotations

from django.db import models


class Document(models.Model):
    """A titled file."""

    title = models.CharField(max_length=100)
    file = models.FileField(upload_to="docs/%Y/", max_length=200)

    def __str__(self) -> str:
        return self.title
