"""The example's settings for its tests: PostgreSQL and Redis where they answer (as CI
gives them through DATABASE_URL and REDIS_URL), tasks run in-process, SMS kept in memory."""

import os

if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/pz_oscar_local"

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
