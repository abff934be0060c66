"""Layer 1, the sans-IO protocol: what goes on the wire and what comes back, with no I/O.

Requests are values (:class:`~selectel_objects._protocol.http.HttpRequest`), answers are
parsed from headers and bytes; nothing here opens a socket, a file or a thread, so the
synchronous client and an asyncio one can share it. ``_generated/`` (request builders,
response parsers, models, the status -> exception table) is written by
``scripts/generate_objects.py`` from ``api/swift.toml``; next to it by hand: ``http`` (the
request/response values), ``codec`` (header and JSON codecs), ``names`` (name checks and
URL quoting), ``slo`` (large-object manifests), ``replies`` (middleware answer bodies).

May import: ``selectel_objects.errors``, ``selectel_objects._protocol``, ``attrs`` and the
standard library.
"""
