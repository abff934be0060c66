"""``GET /info``: the capabilities document."""

from __future__ import annotations

from tests.fakeswift import bulk, constraints, slo, symlink, tempurl

__all__ = ["info_document"]


def info_document() -> dict[str, object]:
    """``GET /info`` as real Swift 2.38 (scripts/realswift.py) answers it, key order included.

    Sections of middleware the fake does not implement are left out (versioned_writes,
    object_versioning, account_quotas, staticweb, ratelimit), so a client probing for them
    sees what the fake can do.
    """
    digests = list(tempurl.ALLOWED_DIGESTS)
    return {
        "swift": {
            "version": "2.38.3",
            "strict_cors_mode": True,
            "policies": [{"name": "gold", "aliases": "gold", "default": True}],
            "allow_account_management": True,
            "account_autocreate": True,
            "allow_open_expired": False,
            "max_file_size": constraints.MAX_FILE_SIZE,
            "max_meta_name_length": constraints.MAX_META_NAME_LENGTH,
            "max_meta_value_length": constraints.MAX_META_VALUE_LENGTH,
            "max_meta_count": constraints.MAX_META_COUNT,
            "max_meta_overall_size": constraints.MAX_META_OVERALL_SIZE,
            "max_header_size": constraints.MAX_HEADER_SIZE,
            "max_request_line": constraints.MAX_REQUEST_LINE,
            "max_object_name_length": constraints.MAX_OBJECT_NAME_LENGTH,
            "container_listing_limit": constraints.LISTING_LIMIT,
            "account_listing_limit": constraints.LISTING_LIMIT,
            "max_account_name_length": constraints.MAX_ACCOUNT_NAME_LENGTH,
            "max_container_name_length": constraints.MAX_CONTAINER_NAME_LENGTH,
            "extra_header_count": 0,
        },
        "symlink": {"symloop_max": symlink.LOOP_LIMIT, "static_links": True},
        "slo": {
            "max_manifest_segments": slo.MAX_MANIFEST_SEGMENTS,
            "max_manifest_size": slo.MAX_MANIFEST_SIZE,
            "yield_frequency": 10,
            "min_segment_size": slo.MIN_SEGMENT_SIZE,
            "allow_async_delete": False,
        },
        "container_quotas": {},
        "tempauth": {"account_acls": False},
        "formpost": {"allowed_digests": digests, "deprecated_digests": ["sha1"]},
        "tempurl": {
            "methods": list(tempurl.METHODS),
            "incoming_remove_headers": ["x-timestamp", "x-open-expired"],
            "incoming_allow_headers": [],
            "outgoing_remove_headers": ["x-object-meta-*"],
            "outgoing_allow_headers": ["x-object-meta-public-*"],
            "allowed_digests": digests,
            "deprecated_digests": ["sha1"],
        },
        "bulk_upload": {
            "max_containers_per_extraction": bulk.MAX_CONTAINERS_PER_EXTRACTION,
            "max_failed_extractions": bulk.MAX_FAILED_EXTRACTIONS,
        },
        "bulk_delete": {
            "max_deletes_per_request": bulk.MAX_DELETES_PER_REQUEST,
            "max_failed_deletes": bulk.MAX_FAILED_DELETES,
        },
    }
