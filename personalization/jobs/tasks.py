"""Celery tasks: thin wrappers around plain functions."""

from __future__ import annotations

from celery import group, shared_task
from django.db import InterfaceError, OperationalError

from personalization.jobs import affinities, outbox, reach, refresh
from personalization.measurement import bandits, events, kpis, orders, rollups
from personalization.messaging import alerts
from personalization.models import partitions
from personalization.privacy import retention

TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
RETRY = {"autoretry_for": TRANSIENT, "retry_backoff": True, "retry_backoff_max": 600,
         "retry_jitter": True, "max_retries": 8, "acks_late": True}
# An SMS provider outage gets about 20 minutes of retries before the alert shows as failed.
SMS_RETRY = {**RETRY, "autoretry_for": (*TRANSIENT, alerts.TransientSendError),
             "max_retries": 10}


@shared_task(**RETRY)
def record_order(*, user_id: int | None, visitor_id: str | None, value: str,
                 reference: str, allowed: list[str] | None = None) -> int:
    return orders.record_order(user_id=user_id, visitor_id=visitor_id, value=value,
                               reference=reference, allowed=allowed)


@shared_task(**RETRY)
def flush_events() -> int:
    return events.flush_events()


@shared_task(bind=True, **SMS_RETRY)
def notify_rep_of_order(self, notification_id: int) -> str:
    last_attempt = self.request.retries >= self.max_retries
    return alerts.send_rep_notification(notification_id, last_attempt=last_attempt)


@shared_task(bind=True, **SMS_RETRY)
def send_journey_message(self, message_id: int) -> str:
    from personalization.journeys.messages import send_journey_message as send

    last_attempt = self.request.retries >= self.max_retries
    return send(message_id, last_attempt=last_attempt)


@shared_task(**RETRY)
def scan_journeys() -> dict[str, dict[str, int]]:
    from personalization.journeys.scan import scan

    return scan().as_dict()


@shared_task(**RETRY)
def run_outbox_message(message_id: int) -> str:
    return outbox.run(message_id)


@shared_task(**RETRY)
def relay_outbox() -> dict[str, int]:
    return outbox.relay()


@shared_task(**RETRY)
def resume_rep_notifications() -> int:
    """Kept for beat schedules written before ``relay_outbox`` (which does this too)."""
    return alerts.resume_stalled_notifications()


@shared_task(**RETRY)
def refresh_segment(segment_id: int) -> dict[str, int | float | str]:
    return refresh.refresh_segment(segment_id).as_dict()


@shared_task(**RETRY)
def refresh_all_segments() -> int:
    """Refresh every computed segment, then estimate every segment's reach."""
    ids = refresh.segment_ids_to_refresh()
    group(refresh_segment.s(pk) for pk in ids).apply_async()
    for pk in reach.segment_ids():
        estimate_segment_reach.delay(pk)
    return len(ids)


@shared_task(**RETRY)
def estimate_segment_reach(segment_id: int) -> dict[str, int | None]:
    return reach.estimate_reach(segment_id)


@shared_task(**RETRY)
def purge_expired_data() -> dict[str, int]:
    return retention.purge_expired_data()


@shared_task(**RETRY)
def create_event_partitions() -> list[str]:
    """This month's and the next months' event partitions (PostgreSQL; idempotent), then
    the partitioned table's statistics, which autovacuum never takes."""
    made = partitions.ensure_partitions()
    partitions.analyze_partitioned()
    return made


@shared_task(**RETRY)
def rebuild_product_affinities() -> int:
    return affinities.rebuild_product_affinities()


@shared_task(**RETRY)
def roll_up_experiments() -> int:
    return rollups.roll_up_all()


@shared_task(**RETRY)
def take_kpi_snapshots() -> int:
    return kpis.take_snapshots()


@shared_task(**RETRY)
def update_bandits() -> int:
    return bandits.update_bandits()
