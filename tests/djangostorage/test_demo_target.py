"""The demo against the suite's Swift target (the fake, or a real one with SWIFT_TARGET=real).

Run as a user runs it on their own account (legacy v1 credentials, a container that never
existed): its public URL must really answer anonymous readers, and its check must pass.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.djangostorage.helpers import Swift
from tests.packaging.test_demo import done_lines, run_demo

pytestmark = pytest.mark.timeout(300)


def test_the_demo_on_an_account_makes_its_public_url_work(
    target: Swift, transport_name: str
) -> None:
    output = run_demo(
        SELECTEL_USER=target.v1_user,
        SELECTEL_KEY=target.v1_key,
        SELECTEL_AUTH_URL=target.auth_v1_url,
        SELECTEL_TRANSPORT=transport_name,
        SELECTEL_DEMO_CONTAINER=f"demo-{uuid.uuid4().hex[:8]}",
    )
    assert "django-selectel demo against a real Selectel account" in output
    done = done_lines(output)
    public = done["public URL (no request to build it)"]
    assert re.search(r"-> anonymous GET 200, \d+ bytes$", public), public
    assert done["manage.py selectel_check"] == "All 1 storage(s) work."
