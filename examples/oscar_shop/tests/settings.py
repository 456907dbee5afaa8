"""The example's settings for its tests: PostgreSQL and Redis where they answer (as CI
gives them through DATABASE_URL and REDIS_URL), tasks run in-process, SMS kept in memory."""

import os
import tempfile


def _postgres_answers() -> bool:
    try:
        import psycopg

        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                        connect_timeout=2).close()
        return True
    except Exception:  # not installed, not running, or wants a password
        return False


# PostgreSQL on this machine when it answers, else SQLite (oscar_shop.settings' default);
# CI names its database in DATABASE_URL and requires it (PZ_REQUIRE_SERVICES).
if not os.environ.get("DATABASE_URL") and _postgres_answers():
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/pz_oscar_local"

# Each run its own search index (Oscar's catalogue pages list products from it).
os.environ.setdefault("WHOOSH_PATH", os.path.join(tempfile.gettempdir(),
                                                  f"pz_oscar_whoosh_{os.getpid()}"))

from oscar_shop.settings import *  # noqa: E402, F403
from oscar_shop.settings import CACHES, PERSONALIZATION  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
CACHES["default"]["KEY_PREFIX"] = f"pzoscar{os.getpid()}"
CELERY_TASK_ALWAYS_EAGER = True
PERSONALIZATION = {
    **PERSONALIZATION,
    "SMS_BACKEND": "personalization.messaging.channels.locmem.SmsBackend",
    "GLOBAL_HOLDOUT_PERCENT": 0,
}
