"""Settings for the test suite: the demo shop's, made fast and isolated.

The suite runs on PostgreSQL and Redis: those named by DATABASE_URL and REDIS_URL (as CI
sets them), or else those answering on this machine's standard ports (PostgreSQL as user
postgres without a password, Redis database 9). Only where neither is given nor answers does
it fall back to SQLite and a local-memory cache (and skip the tests that need a Celery
broker). PZ_TEST_SERVICES=0 forces that fallback.
"""

import os
import socket


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _postgres_answers() -> bool:
    try:
        import psycopg

        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                        connect_timeout=2).close()
        return True
    except Exception:  # not installed, not running, or wants a password
        return False


def _redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping())
    except Exception:
        return False


if os.environ.get("PZ_TEST_SERVICES", "1") != "0":
    # Set in the environment, so the worker and web processes the tests start agree.
    if not os.environ.get("DATABASE_URL") and _answers(5432) and _postgres_answers():
        os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/pz_local"
    if not os.environ.get("REDIS_URL") and _answers(6379) and _redis_answers():
        os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/9"

from demo_shop.settings import *  # noqa: E402, F403
from demo_shop.settings import CACHES, PERSONALIZATION  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEMO_PERSONA_SWITCHER = False
DEMO_JOURNEY_CLOCK = 0  # tests scan when they mean to (test_journeys turns it on to test it)
DEBUG = False

# Keys of this test run never collide with the demo's or another run's in a shared Redis.
CACHES["default"]["KEY_PREFIX"] = os.environ.setdefault(
    "PZ_TEST_CACHE_PREFIX", f"pztest{os.getpid()}")

PERSONALIZATION = {
    **PERSONALIZATION,
    "SMS_BACKEND": "personalization.messaging.channels.locmem.SmsBackend",
    # The demo holds 5 % out; tests that measure the holdout set their own share.
    "GLOBAL_HOLDOUT_PERCENT": 0,
    # Links in messages take the host of the request, as in a shop that sets no SITE_URL.
    "SITE_URL": None,
}

# Unit tests run tasks eagerly; tests marked "worker" start a real worker on the broker,
# consuming a queue of this test run only.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.setdefault("PZ_TEST_QUEUE", f"pztest{os.getpid()}")

# A second process (tests marked "multiprocess") must see the same test database.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(  # noqa: F405
        os.environ.get("TMPDIR", "/tmp"), f"pz_test_{os.environ['PZ_TEST_CACHE_PREFIX']}.sqlite3")}

# Outermost, so that its header covers every response, preview panel included (tests/csp.py).
MIDDLEWARE = ["tests.csp.StrictCSPMiddleware", *MIDDLEWARE]  # noqa: F405

# A read replica for the reports (docs/scaling.md): in tests a mirror of the default
# database, Django's documented way (no second test database is created). The router is
# inert until a test sets PERSONALIZATION["REPORTS_DATABASE"] = "replica".
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
DATABASE_ROUTERS = ["personalization.routers.ReportsRouter"]
