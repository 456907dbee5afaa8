"""Settings for the test suite: the demo shop's, made fast and isolated.

With DATABASE_URL and REDIS_URL set (as CI does), the suite runs on PostgreSQL and Redis.
"""

import os

from demo_shop.settings import *  # noqa: F403
from demo_shop.settings import CACHES, PERSONALIZATION

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEMO_PERSONA_SWITCHER = False
DEBUG = False

# Keys of this test run never collide with the demo's or another run's in a shared Redis.
CACHES["default"]["KEY_PREFIX"] = os.environ.setdefault(
    "PZ_TEST_CACHE_PREFIX", f"pztest{os.getpid()}")

PERSONALIZATION = {
    **PERSONALIZATION,
    "SMS_BACKEND": "personalization.channels.locmem.SmsBackend",
}

# Unit tests run tasks eagerly; tests marked "worker" start a real worker on the broker,
# consuming a queue of this test run only.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.setdefault("PZ_TEST_QUEUE", f"pztest{os.getpid()}")

# A second process (tests marked "multiprocess") must see the same test database.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(  # noqa: F405
        os.environ.get("TMPDIR", "/tmp"), f"pz_test_{os.environ['PZ_TEST_CACHE_PREFIX']}.sqlite3")}
