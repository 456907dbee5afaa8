"""What happens when an order comes in: fresh aggregates and an attributed conversion."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from personalization.conf import app_settings
from personalization.engine.profiles import invalidate_user, profile_for_user, refresh_aggregates
from personalization.measurement.events import flush_events
from personalization.models import Event, RecordedOrder, VisitorAlias, VisitorProfile
from personalization.privacy.consent import ANALYTICS, PERSONALIZATION, state_from_records


def record_order(*, user_id: int | None, visitor_id: str | None, value: str,
                 reference: str, allowed: list[str] | None = None) -> int:
    """Refresh the customer's cached aggregates (with personalization consent) and record
    the conversion (with analytics consent; idempotent). ``allowed``: the purposes the
    buyer allowed when ordering, or None to use his recorded choices."""
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    granted = set(allowed) if allowed is not None else (
        state_from_records(user).allowed if user is not None else set())
    if user is not None and PERSONALIZATION in granted:
        refresh_aggregates(profile_for_user(user, visitor_id))
        invalidate_user(user.pk)
    if ANALYTICS not in granted:
        return 0  # not measured: nothing is recorded without analytics consent
    return record_conversion(user=user, visitor_id=visitor_id, value=Decimal(value),
                             reference=reference)


def visitor_ids_of(user: Any, visitor_id: str | None) -> set[str]:
    """All ids this person used: the current cookie, the profile's id and its aliases."""
    ids = {str(visitor_id)} if visitor_id else set()
    if user is not None and getattr(user, "pk", None):
        profile = VisitorProfile.objects.filter(user=user).first()
        if profile is not None:
            ids.add(str(profile.visitor_id))
            ids.update(str(a) for a in VisitorAlias.objects.filter(profile=profile)
                       .values_list("alias", flat=True))
    return ids


def record_conversion(*, user: Any, visitor_id: str | None, value: Decimal,
                      reference: str) -> int:
    """Attribute an order to the campaigns the visitor was exposed to within the window.

    One conversion per campaign (with the variant or control of the latest exposure);
    recording the same order twice changes nothing (its ``RecordedOrder`` row, made in the
    same transaction, says it was recorded). Returns the number recorded.
    """
    flush_events()
    ids = visitor_ids_of(user, visitor_id)
    if not ids:
        return 0
    with transaction.atomic():
        # A second delivery of the signal waits here for the first one's commit, then
        # finds its row.
        _, new = RecordedOrder.objects.get_or_create(reference=reference)
        if not new:
            return 0
        return _record_conversions(user, visitor_id, ids, value, reference)


def _record_conversions(user: Any, visitor_id: str | None, ids: set[str], value: Decimal,
                        reference: str) -> int:
    since = timezone.now() - timedelta(days=app_settings.CONVERSION_WINDOW_DAYS)
    exposures = (Event.objects.filter(visitor_id__in=[uuid.UUID(i) for i in ids],
                                      type=Event.Type.IMPRESSION, created_at__gte=since,
                                      campaign__isnull=False)
                 .order_by("campaign_id", "-created_at"))
    latest: dict[int, Event] = {}
    for event in exposures:
        latest.setdefault(event.campaign_id, event)
    conversions = [
        Event(visitor_id=e.visitor_id, user_id=getattr(user, "pk", None),
              type=Event.Type.CONVERSION, slot=e.slot, campaign_id=e.campaign_id,
              variant_id=e.variant_id, control=e.control, value=value, reference=reference)
        for e in latest.values()
    ]
    Event.objects.bulk_create(conversions)
    # The order once more for the program as a whole (no campaign), which the global
    # holdout's report reads: never the campaigns' conversions added up.
    Event.objects.create(visitor_id=uuid.UUID(sorted(ids)[0]) if visitor_id is None
                         else uuid.UUID(str(visitor_id)), user_id=getattr(user, "pk", None),
                         type=Event.Type.CONVERSION, value=value, reference=reference)
    return len(conversions)
