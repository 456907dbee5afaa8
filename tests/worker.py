"""The Celery app for worker processes started by tests (``celery -A tests.worker worker``).

Uses the test run's database (``PZ_DB_NAME``), its Redis broker, cache prefix and queue
(inherited environment), and sends SMS through the Twilio backend to the test's local fake
Twilio server (``TWILIO_*`` environment variables).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

from django.conf import settings  # noqa: E402

settings.DATABASES["default"]["NAME"] = os.environ["PZ_DB_NAME"]
settings.PERSONALIZATION = {
    **settings.PERSONALIZATION,
    "SMS_BACKEND": "personalization.messaging.channels.twilio.SmsBackend",
    "SMS_SEND_TIMEOUT": float(os.environ.get("PZ_SMS_SEND_TIMEOUT", "10")),
}

from demo_shop.celery import app  # noqa: E402

app.conf.task_always_eager = False
if os.environ.get("PZ_VISIBILITY_TIMEOUT"):
    # Lets a test see a killed worker's message delivered again within seconds.
    app.conf.broker_transport_options = {
        "visibility_timeout": float(os.environ["PZ_VISIBILITY_TIMEOUT"]),
        "unacked_restore_interval": 1, "unacked_restore_throttle": 1}

if os.environ.get("PZ_WORKER_BEAT"):
    # The worker runs beat too (-B), with only the app's bandit entry, every few seconds:
    # the test watches beat move a bandit's weights.
    from personalization.jobs.schedule import beat_schedule

    entry = "personalization.update_bandits"
    app.conf.beat_schedule = {entry: beat_schedule(
        bandit_interval=float(os.environ["PZ_WORKER_BEAT"]))[entry]}

__all__ = ["app"]
