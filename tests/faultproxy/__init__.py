"""A fault-injecting proxy in front of a real Swift: the fake's fault switches on the real target.

``FaultySwift`` is what the ``faulty_swift`` fixture gives in real mode (``SWIFT_TARGET=real``):
the client talks to the proxy (``tests.faultproxy.proxy``), the proxy to the real Swift, and
the test arms faults with the same methods as on the fake (``fail_next``, ``reset_next``, ...).
Tests inspect what Swift really stored through ``view`` (direct requests, no proxy, no faults).
"""

from tests.faultproxy.proxy import FaultProxy
from tests.faultproxy.target import FaultySwift, RealView

__all__ = ["FaultProxy", "FaultySwift", "RealView"]
