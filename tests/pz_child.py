"""A second web process for tests: answers "GET <path>" lines with the hero slot's content.

Started by tests with the database name and cache location of the test run in the
environment, so both processes share them as two web servers behind a balancer would.
"""

import os
import re
import sys

import django
from django.conf import settings


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    settings.DATABASES["default"]["NAME"] = os.environ["PZ_DB_NAME"]
    if os.environ.get("PZ_CACHE_DIR"):
        settings.CACHES["default"] = {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ["PZ_CACHE_DIR"]}
    settings.ROOT_URLCONF = "tests.urls"
    django.setup()
    from django.test import Client

    client = Client()
    print("ready", flush=True)
    for line in sys.stdin:
        path = line.strip()
        if not path:
            continue
        html = client.get(path).content.decode()
        match = re.search(r'<section class="pz-banner" data-pz-slot="hero"[^>]*>.*?'
                          r'<h2 class="pz-banner__headline">(.*?)</h2>', html, re.S)
        print(match.group(1) if match else "default", flush=True)


if __name__ == "__main__":
    main()
