"""The suggested Celery beat schedule of the app's periodic tasks."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

from personalization.conf import DEFAULTS


def beat_schedule(refresh_interval: int | None = None,
                  flush_interval: float | None = None,
                  relay_interval: float = 60.0,
                  bandit_interval: float | None = None) -> dict[str, dict[str, Any]]:
    """Entries to merge into ``CELERY_BEAT_SCHEDULE``.

    ``refresh_interval``: seconds between two refreshes of all computed segments; pass your
    ``PERSONALIZATION["SEGMENT_REFRESH_INTERVAL"]`` (settings are not loaded yet where
    this is called). ``flush_interval``: your ``EVENT_FLUSH_MAX_DELAY``. ``relay_interval``:
    seconds between two runs of the outbox relay (work the broker missed, stalled SMS).
    ``bandit_interval``: your ``BANDIT_UPDATE_INTERVAL`` (seconds between two updates of
    the bandits' weights, from the latest rollups).
    """
    return {
        "personalization.flush_events": {
            "task": "personalization.jobs.tasks.flush_events",
            "schedule": float(flush_interval or DEFAULTS["EVENT_FLUSH_MAX_DELAY"]),
        },
        "personalization.refresh_all_segments": {
            "task": "personalization.jobs.tasks.refresh_all_segments",
            "schedule": float(refresh_interval or DEFAULTS["SEGMENT_REFRESH_INTERVAL"]),
        },
        "personalization.roll_up_experiments": {
            "task": "personalization.jobs.tasks.roll_up_experiments",
            "schedule": crontab(minute=23),
        },
        "personalization.update_bandits": {
            "task": "personalization.jobs.tasks.update_bandits",
            "schedule": float(bandit_interval or DEFAULTS["BANDIT_UPDATE_INTERVAL"]),
        },
        "personalization.take_kpi_snapshots": {
            "task": "personalization.jobs.tasks.take_kpi_snapshots",
            "schedule": crontab(day_of_week=1, hour=2, minute=37),
        },
        "personalization.relay_outbox": {  # unpublished work, stalled SMS
            "task": "personalization.jobs.tasks.relay_outbox",
            "schedule": float(relay_interval),
        },
        "personalization.scan_journeys": {  # due journey messages (carts, win-back …)
            "task": "personalization.jobs.tasks.scan_journeys",
            "schedule": crontab(minute="*/15"),
        },
        "personalization.purge_expired_data": {
            "task": "personalization.jobs.tasks.purge_expired_data",
            "schedule": crontab(hour=3, minute=17),
        },
        "personalization.create_event_partitions": {  # months ahead (PostgreSQL)
            "task": "personalization.jobs.tasks.create_event_partitions",
            "schedule": crontab(hour=2, minute=47),
        },
        "personalization.rebuild_product_affinities": {
            "task": "personalization.jobs.tasks.rebuild_product_affinities",
            "schedule": crontab(hour=4, minute=7),
        },
    }
