"""Direct browser uploads: the browser sends the file straight to Swift, the form only its name.

- :class:`DirectUploadField` (form field) and :class:`DirectUploadWidget` render a file picker
  that asks :func:`sign_upload` (include ``django_selectel.direct_upload.urls``) for a signed
  PUT URL (TempURL) under a server-chosen name, uploads with progress, and submits the name.
- On submit the field checks that the name lies under the prefix signed for this form, and
  that the object exists within the size limit and the allowed content types.
- :func:`configure_cors` / :func:`check_cors` set and verify the container's CORS rules that
  a page on another origin needs (``manage.py selectel_cors``).
"""

from __future__ import annotations

from django_selectel.direct_upload.cors import check_cors, configure_cors
from django_selectel.direct_upload.fields import DirectUploadField, DirectUploadWidget
from django_selectel.direct_upload.views import sign_upload

__all__ = [
    "DirectUploadField",
    "DirectUploadWidget",
    "check_cors",
    "configure_cors",
    "sign_upload",
]
