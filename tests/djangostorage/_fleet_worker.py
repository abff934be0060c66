"""One worker of a fleet, for test_token_cache.py: a process with its own Django.

``python -m tests.djangostorage._fleet_worker`` with the storage OPTIONS and the Redis URL
as JSON in ``FLEET_CONFIG``. Each ``go`` line on stdin makes one storage request
(``exists``) and answers one JSON line: ``{"ok": true, "token": <sha256 of the token>}``.
The process ends when stdin closes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys

import django
from django.conf import settings


def main() -> int:
    config = json.loads(os.environ["FLEET_CONFIG"])
    settings.configure(
        INSTALLED_APPS=["django_selectel"],
        USE_TZ=True,
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": config["redis_url"],
                "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
            }
        },
    )
    django.setup()
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(message)s")
    from django_selectel._clients import get_client
    from django_selectel.storages import SelectelStorage

    # Built directly: Django 4.2's settings.configure() drops STORAGES OPTIONS.
    storage = SelectelStorage(**config["options"])

    for line in sys.stdin:
        if line.strip() != "go":
            continue
        try:
            storage.exists("probe.txt")
            client = get_client(storage.config)
            token = client.objects.credential.get_token().token
            answer = {"ok": True, "token": hashlib.sha256(token.encode()).hexdigest()}
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
