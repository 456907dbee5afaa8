"""Deleting personal data past its retention: old events, long-unseen anonymous profiles."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from personalization.conf import app_settings
from personalization.models import Event, RepNotification, VisitorProfile

BATCH = 5_000


def purge_expired_data(now: datetime | None = None) -> dict[str, int]:
    """Delete events older than ``EVENT_RETENTION_DAYS``, anonymous visitor profiles not
    seen for ``ANONYMOUS_PROFILE_RETENTION_DAYS`` and finished sales-rep SMS older than
    ``REP_ALERT_RETENTION_DAYS`` (they name the customer), in batches (short transactions).

    Returns how many of each were deleted.
    """
    now = now or timezone.now()
    events = Event.objects.filter(
        created_at__lt=now - timedelta(days=app_settings.EVENT_RETENTION_DAYS))
    profiles = VisitorProfile.objects.filter(
        user__isnull=True,
        last_seen__lt=now - timedelta(days=app_settings.ANONYMOUS_PROFILE_RETENTION_DAYS))
    alerts = RepNotification.objects.filter(
        created_at__lt=now - timedelta(days=app_settings.REP_ALERT_RETENTION_DAYS)).exclude(
        status__in=[RepNotification.Status.QUEUED, RepNotification.Status.SENDING])
    deleted = {"events": 0, "profiles": 0, "rep_alerts": 0}
    while ids := list(events.values_list("pk", flat=True)[:BATCH]):
        # Nothing refers to an event: a plain DELETE, no per-row signals.
        deleted["events"] += Event.objects.filter(pk__in=ids)._raw_delete(Event.objects.db)
    while ids := list(profiles.values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():  # the ORM deletes their aliases too
            VisitorProfile.objects.filter(pk__in=ids).delete()
        deleted["profiles"] += len(ids)
    while ids := list(alerts.values_list("pk", flat=True)[:BATCH]):
        deleted["rep_alerts"] += RepNotification.objects.filter(pk__in=ids).delete()[0]
    return deleted
