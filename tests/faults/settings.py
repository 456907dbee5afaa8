"""Settings of the web server, worker and beat processes the fault suite starts: the test
run's database (``PZ_DB_NAME``), the broker and cache on the suite's own Redis servers
(``PZ_BROKER_URL``, ``PZ_CACHE_URL``), SMS to the test's fake Twilio, the relay and the
event flush every 2 s."""

import os

from personalization.jobs.schedule import beat_schedule
from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, PERSONALIZATION, REDIS_CACHE_OPTIONS

DATABASES["default"]["NAME"] = os.environ["PZ_DB_NAME"]
# The demo's cache settings (their socket time-outs are what the hung-cache test proves).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                      "LOCATION": os.environ["PZ_CACHE_URL"],
                      "KEY_PREFIX": "faults", "OPTIONS": REDIS_CACHE_OPTIONS}}
CELERY_BROKER_URL = os.environ["PZ_BROKER_URL"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE = beat_schedule(flush_interval=2, relay_interval=2)
PERSONALIZATION = {
    **PERSONALIZATION,
    "SMS_BACKEND": "personalization.messaging.channels.twilio.SmsBackend",
    "SMS_SEND_TIMEOUT": float(os.environ.get("PZ_SMS_SEND_TIMEOUT", "10")),
}
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
