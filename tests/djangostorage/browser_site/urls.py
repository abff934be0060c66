"""The admin, the signer and the plain form."""

from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from tests.djangostorage.browser_site import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("selectel/", include("django_selectel.direct_upload.urls")),
    path("plain/", views.plain),
    path("plain/fragment/", views.fragment),
]
