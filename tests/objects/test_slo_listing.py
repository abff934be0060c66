"""Listings tell a Static Large Object's own ETag (``slo_etag``) from its manifest's."""

from __future__ import annotations

import hashlib

from selectel_objects import Container, ObjectEntry

DATA = bytes(range(256)) * 40  # 10 240 bytes: three segments of 4096


def test_listing_gives_the_large_objects_etag(container: Container) -> None:
    container.upload_large("big.bin", DATA, segment_size=4096)
    container.put_object("small.bin", b"small")
    entries = {e.name: e for e in container.list_objects() if isinstance(e, ObjectEntry)}
    pieces = [hashlib.md5(DATA[i : i + 4096]).hexdigest() for i in range(0, len(DATA), 4096)]
    expected = hashlib.md5("".join(pieces).encode()).hexdigest()
    assert entries["big.bin"].slo_etag == expected
    assert entries["big.bin"].etag != expected  # the manifest's
    assert entries["big.bin"].size == len(DATA)
    assert container.head_object("big.bin").etag == expected
    assert entries["small.bin"].slo_etag is None
    assert entries["small.bin"].etag == hashlib.md5(b"small").hexdigest()
