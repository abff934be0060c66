"""Keystone v3 on either target: what the fake and a real Keystone do differently.

Both targets have ``auth_v3_url``, ``v3``, ``v3_credential(**kw)`` and the catalog URLs
through ``storage_url(account, region=, interface=)``. What a test cannot do the same way on
both goes through these functions: a token that lives :data:`SHORT_TOKEN_SECONDS` (the real
target has a second Keystone endpoint for it; the fake shortens its token lifetime), letting
time pass (real seconds; the fake's clock), revoking a token, and a user with only the
``reader`` role.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from scripts.realkeystone import SHORT_TOKEN_SECONDS
from tests.fakeswift.real import RealSwift

if TYPE_CHECKING:
    from selectel_auth import KeystoneCredential

    from tests.fakeswift.app import FakeSwift

__all__ = [
    "FAKE_HAS_NO_READER",
    "SHORT_TOKEN_SECONDS",
    "let_time_pass",
    "reader_v3_credential",
    "revoke",
    "short_lived_v3_credential",
]

#: Why a reader-role test fails on the fake (used as a strict xfail reason there).
FAKE_HAS_NO_READER = (
    "the fake grants every Keystone user the operator role; it has no reader-only user yet"
)


def short_lived_v3_credential(swift: FakeSwift | RealSwift, **kw: Any) -> KeystoneCredential:
    """The service user's credential on an endpoint whose tokens live about 20 s."""
    if isinstance(swift, RealSwift):
        return swift.v3_credential(auth_url=swift.short_auth_v3_url, **kw)
    swift.token_ttl = float(SHORT_TOKEN_SECONDS)
    return swift.v3_credential(**kw)


def let_time_pass(swift: FakeSwift | RealSwift, seconds: float) -> None:
    """Wait ``seconds`` as the server sees them (really, or on the fake's clock)."""
    if isinstance(swift, RealSwift):
        time.sleep(seconds)
    else:
        swift.clock.advance(seconds)


def revoke(swift: FakeSwift | RealSwift, token: str) -> None:
    """Revoke a Keystone token: its next use answers 401."""
    if isinstance(swift, RealSwift):
        swift.revoke(token)
    elif not swift.auth.revoke(token):
        raise AssertionError("the fake never issued that token")


def reader_v3_credential(swift: FakeSwift | RealSwift, **kw: Any) -> KeystoneCredential:
    """A user of the same project with only the ``reader`` role."""
    if isinstance(swift, RealSwift):
        user = swift.keystone.reader_user
        return swift.v3_credential(username=user.name, password=user.password, **kw)
    info = swift.add_v3_user(
        "fakeswift-reader-user", "fakeswift-reader-password", project_id=swift.v3.project_id
    )
    return swift.v3_credential(username=info.name, password=info.password, **kw)
