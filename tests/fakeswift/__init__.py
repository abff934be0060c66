"""The fake OpenStack Swift server: the test bed of every package of this repository.

Use it through the pytest fixtures of ``tests.fakeswift.plugin`` (``fake_swift``,
``fake_swift_tls``, ``swift``), from a script with ``serve(port=0)``, or from a shell with
``python -m tests.fakeswift --port 8080 [--tls]``.
"""

from tests.fakeswift.app import FakeSwift, RequestRecord, V3Info
from tests.fakeswift.runner import RunningFakeSwift, serve
from tests.fakeswift.store import Clock, Store, StoredObject

__all__ = [
    "Clock",
    "FakeSwift",
    "RequestRecord",
    "RunningFakeSwift",
    "Store",
    "StoredObject",
    "V3Info",
    "serve",
]
