"""Django storages for Selectel Cloud Storage (the path settings name them by).

* :class:`SelectelStorage`: one container (plus an optional ``location`` prefix).
* :class:`ApiStorage`: django-selectel 2.x compatible, the first folder of a name is the container.
* :class:`SelectelStaticStorage` and :class:`ManifestSelectelStaticStorage`: for ``collectstatic``.

Where the parts live: ``_storage`` (the storage of one container), ``_urls`` (public and
signed URLs, upload forms), ``_body`` (upload bodies, gzip), ``_files`` (the file objects
``open()`` returns), ``_static`` (static files), ``_api`` (django-selectel 2.x), ``_state``
(deconstruction and pickling), ``_config``/``_resolve``/``_legacy`` (options and settings).
"""

from __future__ import annotations

from django_selectel._api import ApiStorage
from django_selectel._static import ManifestSelectelStaticStorage, SelectelStaticStorage
from django_selectel._storage import SelectelStorage

__all__ = [
    "ApiStorage",
    "ManifestSelectelStaticStorage",
    "SelectelStaticStorage",
    "SelectelStorage",
]
