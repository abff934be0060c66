"""The ``selectel-objects`` command: ``swift``'s everyday jobs, and ``sync``, from the shell.

Run ``selectel-objects --help``; the README of selectel-objects has a CLI section with
recipes and the ``--json`` fields. :func:`main` is the console script's entry point.

The top layer, a user of the library like any other: it reaches selectel-objects only
through its public face.

May import: ``selectel_objects`` (the package root only, never a private module),
``selectel_objects.cli``, ``selectel_auth`` and the standard library.
"""

from selectel_objects.cli._app import main

__all__ = ["main"]
