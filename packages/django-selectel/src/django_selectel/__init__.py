"""Django storage backend for Selectel Cloud Storage."""

__all__: list[str] = []
__version__ = "3.0.0"
