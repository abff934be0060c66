"""Layer 3, the pipeline: one request through a transport with a token, re-authentication
once on 401, retries with backoff, rewindable upload bodies, typed errors.

It talks to transports through the seam only, never to urllib3 or requests.

May import: ``selectel_objects.errors``, ``selectel_objects._protocol``,
``selectel_objects._transports.seam``, ``selectel_objects._pipeline``, ``selectel_auth``,
``attrs`` and the standard library.
"""
