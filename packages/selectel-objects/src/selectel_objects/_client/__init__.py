"""Layer 5, the client facade: :class:`ObjectStorage`, :class:`Container`, downloads,
listings and large objects, built on the pipeline and the features.

May import: ``selectel_objects.errors``, ``selectel_objects._protocol``,
``selectel_objects._transports``, ``selectel_objects._pipeline``,
``selectel_objects._features``, ``selectel_objects._client``, ``selectel_auth``, ``attrs``
and the standard library.
"""
