"""Deleting personal data past its retention: old events, long-unseen anonymous profiles.

On PostgreSQL the months of events wholly past their retention are dropped as whole
partitions (``DROP TABLE``, no row is read); only the rows of the month on the boundary,
and of the default partition, are deleted one batch at a time, as on SQLite.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from personalization.conf import app_settings
from personalization.models import Event, RecordedOrder, RepNotification, VisitorProfile
from personalization.models.partitions import drop_partitions_before

BATCH = 5_000


def purge_expired_data(now: datetime | None = None) -> dict[str, int]:
    """Delete events older than ``EVENT_RETENTION_DAYS``, anonymous visitor profiles not
    seen for ``ANONYMOUS_PROFILE_RETENTION_DAYS`` and finished sales-rep SMS older than
    ``REP_ALERT_RETENTION_DAYS`` (they name the customer), in batches (short transactions).

    Returns how many of each were deleted (``event_months``: the monthly partitions of
    events dropped whole, whose rows are not counted in ``events``).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=app_settings.EVENT_RETENTION_DAYS)
    dropped = drop_partitions_before(cutoff)
    events = Event.objects.filter(created_at__lt=cutoff)
    profiles = VisitorProfile.objects.filter(
        user__isnull=True,
        last_seen__lt=now - timedelta(days=app_settings.ANONYMOUS_PROFILE_RETENTION_DAYS))
    alerts = RepNotification.objects.filter(
        created_at__lt=now - timedelta(days=app_settings.REP_ALERT_RETENTION_DAYS)).exclude(
        status__in=[RepNotification.Status.QUEUED, RepNotification.Status.SENDING])
    deleted = {"events": 0, "event_months": len(dropped), "profiles": 0, "rep_alerts": 0}
    while ids := list(events.values_list("pk", flat=True)[:BATCH]):
        # Nothing refers to an event: a plain DELETE, no per-row signals.
        deleted["events"] += Event.objects.filter(
            pk__in=ids, created_at__lt=cutoff)._raw_delete(Event.objects.db)
    RecordedOrder.objects.filter(recorded_at__lt=cutoff).delete()
    while ids := list(profiles.values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():  # the ORM deletes their aliases too
            VisitorProfile.objects.filter(pk__in=ids).delete()
        deleted["profiles"] += len(ids)
    while ids := list(alerts.values_list("pk", flat=True)[:BATCH]):
        deleted["rep_alerts"] += RepNotification.objects.filter(pk__in=ids).delete()[0]
    return deleted
