"""The demo app."""

from __future__ import annotations

from django.apps import AppConfig


class GalleryConfig(AppConfig):
    name = "gallery"
