"""The ``selectel-objects`` command: ``swift``'s everyday jobs, and ``sync``, from the shell.

Run ``selectel-objects --help``; the README of selectel-objects has a CLI section with
recipes and the ``--json`` fields. :func:`main` is the console script's entry point.
"""

from selectel_objects.cli._app import main

__all__ = ["main"]
