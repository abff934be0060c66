"""Serve the site on a free loopback port: prints ``PORT <n>`` once it accepts requests.

Creates the tables and the superuser ``admin``/``admin-pass``, and allows the site's origin
on the storage's container (``configure_cors``), then serves until killed.
"""

from __future__ import annotations

import os
import sys

import django


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.djangostorage.browser_site.settings")
    django.setup()
    from django.contrib.auth.models import User
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.files.storage import storages
    from django.core.management import call_command
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application
    from django_selectel.direct_upload import check_cors, configure_cors

    call_command("migrate", run_syncdb=True, verbosity=0)
    User.objects.create_superuser("admin", "admin@example.com", "admin-pass")
    server = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(StaticFilesHandler(get_wsgi_application()))
    port = server.server_address[1]
    origin = f"http://127.0.0.1:{port}"
    storage = storages["default"]
    problems = check_cors(storage, origin)
    configure_cors(storage, [origin], max_age=600)
    assert problems and not check_cors(storage, origin), problems
    print(f"PORT {port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
