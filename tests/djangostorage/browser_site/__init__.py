"""A small Django site with the admin and a plain form using direct uploads.

Run in its own process by test_direct_upload_browser.py (``python -m
tests.djangostorage.browser_site``): it needs apps (admin, auth, sessions) that the rest of
the Django suite does not install. Configuration comes as JSON in ``BROWSER_SITE``.
"""
