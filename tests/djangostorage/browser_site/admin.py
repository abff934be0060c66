"""The admin of the site: every FileField uploads directly (``formfield_overrides``)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.db import models
from django_selectel.direct_upload import DirectUploadField

from tests.djangostorage.browser_site.models import Document
from tests.djangostorage.browser_site.settings import MAX_UPLOAD


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Direct uploads for the document's file."""

    formfield_overrides: ClassVar[dict[type[models.Field[Any, Any]], dict[str, Any]]] = {
        models.FileField: {"form_class": DirectUploadField, "max_size": MAX_UPLOAD}
    }
