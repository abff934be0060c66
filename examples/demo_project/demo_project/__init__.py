"""A small Django project whose files live in Selectel Cloud Storage (see scripts/demo.py)."""
