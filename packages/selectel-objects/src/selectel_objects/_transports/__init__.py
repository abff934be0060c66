"""Layer 2, the transports: the seam (:class:`~selectel_objects._transports.seam.Transport`)
and its two implementations, urllib3 (default) and requests (an optional extra).

A transport sends one :class:`~selectel_objects._protocol.http.HttpRequest` and returns every
status as it is; it knows nothing of tokens, retries or Swift. ``requests_transport`` is
imported only when asked for (``requests`` may be absent).

May import: ``selectel_objects.errors``, ``selectel_objects._protocol``,
``selectel_objects._transports``, ``selectel_auth``, ``urllib3``, ``requests`` and the
standard library.
"""
