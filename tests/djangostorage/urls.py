"""No views: the tests need a URLconf only because Django insists on one."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
