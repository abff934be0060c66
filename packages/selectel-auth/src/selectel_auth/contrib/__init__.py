"""Adapters for HTTP libraries selectel-auth does not depend on (import them only if installed)."""
