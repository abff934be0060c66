"""Copies and metadata of objects, for :class:`~selectel_objects.Container`."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from datetime import datetime

from selectel_objects._client.base import ContainerBase
from selectel_objects._client.objects import ObjectMethods
from selectel_objects._protocol._generated import operations as ops
from selectel_objects._protocol._generated.models import (
    CopyResult,
)
from selectel_objects._protocol.names import (
    check_container_name,
    check_object_name,
    object_path,
)

__all__ = ["MetadataMethods"]


class MetadataMethods(ObjectMethods):
    """Server-side copies and object metadata."""

    def copy_object(
        self,
        name: str,
        dest_container: str | ContainerBase,
        dest_name: str | None = None,
        *,
        metadata: Mapping[str, str] | None = None,
        fresh_metadata: bool = False,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> CopyResult:
        """Copy object ``name`` on the server to ``dest_container`` / ``dest_name`` (default:
        the same name). The copy keeps the source's metadata, updated by ``metadata``, or only
        ``metadata`` with ``fresh_metadata=True`` (then a ``None`` value leaves the key out;
        without it ``None`` is refused: a copy cannot drop a source key). The destination
        container must exist.
        """
        check_object_name(name)
        if not fresh_metadata and metadata and any(v is None for v in metadata.values()):
            # A copy merges the source's metadata with these keys; Swift cannot drop one
            # there (an empty value is stored as such).
            raise ValueError(
                "metadata: None (remove the key) needs fresh_metadata=True in copy_object"
            )
        target = (
            dest_container.name if isinstance(dest_container, ContainerBase) else dest_container
        )
        check_container_name(target)
        target_name = check_object_name(dest_name if dest_name is not None else name)
        response = self._pipeline.send(
            ops.build_copy_object_request(
                self._name,
                name,
                ops.CopyObjectOptions(
                    destination=object_path(target, target_name),
                    metadata=metadata,
                    fresh_metadata=fresh_metadata,
                    content_type=content_type,
                    headers=headers,
                ),
            )
        )
        return ops.parse_copy_object_response(response.headers)

    def post_object_metadata(
        self,
        name: str,
        metadata: Mapping[str, str] | None = None,
        *,
        content_type: str | None = None,
        cache_control: str | None = None,
        content_disposition: str | None = None,
        content_encoding: str | None = None,
        delete_at: int | datetime | None = None,
        delete_after: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Replace the object's metadata with ``metadata`` (one POST).

        Swift drops every ``X-Object-Meta-*`` key, ``Cache-Control``, ``Content-Disposition``,
        ``Content-Encoding`` and ``X-Delete-At`` not sent again. To change some keys and keep
        the rest, use :meth:`update_object_metadata`. A ``None`` value leaves the key out.
        ``delete_after`` is sent as the absolute ``X-Delete-At`` it means now (this machine's
        clock), so that a retried POST does not push the deletion back.
        """
        check_object_name(name)
        when = int(delete_at.timestamp()) if isinstance(delete_at, datetime) else delete_at
        if delete_after is not None:
            if when is not None:
                raise ValueError("give delete_at or delete_after, not both")
            # Computed once: a POST sent again (its answer lost) must not restart the clock,
            # as a relative X-Delete-After would.
            when = math.ceil(time.time()) + int(delete_after)
        self._pipeline.send(
            ops.build_post_object_request(
                self._name,
                name,
                ops.PostObjectOptions(
                    metadata=metadata,
                    content_type=content_type,
                    cache_control=cache_control,
                    content_disposition=content_disposition,
                    content_encoding=content_encoding,
                    delete_at=when,
                    headers=headers,
                ),
            )
        )

    def update_object_metadata(
        self, name: str, changes: Mapping[str, str | None]
    ) -> dict[str, str]:
        """Set (or with ``None`` remove) some metadata keys and keep the others.

        Reads the object's headers, merges, and posts them back (with its ``Cache-Control``,
        ``Content-Disposition``, ``Content-Encoding`` and ``X-Delete-At``). Not atomic: a
        concurrent update between the read and the write is lost. Returns the new metadata.
        """
        info = self.head_object(name)
        merged = dict(info.metadata)
        for key, value in changes.items():
            if value is None:
                merged.pop(key.lower(), None)
            else:
                merged[key.lower()] = value
        self.post_object_metadata(
            name,
            merged,
            content_type=info.content_type,
            cache_control=info.cache_control,
            content_disposition=info.content_disposition,
            content_encoding=info.content_encoding,
            delete_at=info.delete_at,
        )
        return merged
