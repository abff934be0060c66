"""Layer 4, the features on the protocol: TempURL and FormPost signing, sendmefile links,
bulk-delete bodies and bulk results. Pure: the client facade sends what they build.

May import: ``selectel_objects.errors``, ``selectel_objects._protocol``,
``selectel_objects._features``, ``attrs`` and the standard library.
"""
