"""Dynamic large objects: ``X-Object-Manifest: <container>/<prefix>`` joined at GET time."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING
from urllib.parse import unquote

from tests.fakeswift import tempauth
from tests.fakeswift.context import Content

if TYPE_CHECKING:
    from tests.fakeswift.app import FakeSwift
    from tests.fakeswift.context import Ctx
    from tests.fakeswift.store import StoredObject

__all__ = ["content"]


def content(
    fake: FakeSwift, account: str, obj: StoredObject, *, ctx: Ctx | None = None
) -> tuple[Content, str]:
    """Segments named ``<container>/<prefix>*`` in listing order, and the quoted-less ETag.

    With ``ctx`` the segment container is listed with the caller's rights (a referrer ACL
    needs ``.rlistings`` there): a refusal is the answer (``Content.denied``).
    """
    manifest = unquote(obj.dlo_manifest or "")
    seg_cont, _, prefix = manifest.partition("/")
    if ctx is not None:
        denied = tempauth.authorize(
            fake, ctx, write=False, account=account, container=seg_cont, listing=True
        )
        if denied is not None:
            return Content([], 0, denied=denied), ""
    cont = fake.store.get_container(seg_cont, account)
    parts: list[tuple[bytes, int, int]] = []
    hasher = hashlib.md5()
    total = 0
    if cont is not None:
        now = fake.clock.time()
        for name in cont.sorted_names():
            if not name.startswith(prefix):
                continue
            seg = cont.objects[name]
            if seg is obj or seg.expired(now) or seg.dlo_manifest:
                continue
            parts.append((seg.data, 0, len(seg.data)))
            hasher.update(seg.etag.encode())
            total += len(seg.data)
    return Content(parts, total), hasher.hexdigest()
