"""``path("selectel/", include("django_selectel.direct_upload.urls"))`` mounts the signer."""

from __future__ import annotations

from django.urls import path

from django_selectel.direct_upload.views import sign_upload

__all__ = ["app_name", "urlpatterns"]

app_name = "django_selectel"
urlpatterns = [path("direct-upload/sign/", sign_upload, name="direct-upload-sign")]
