"""The demo has no views; Django wants a URLconf all the same."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
