"""Object storage operations for Selectel Cloud Storage (OpenStack Swift)."""

__all__: list[str] = []
__version__ = "0.1.0"
