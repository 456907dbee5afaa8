"""What happens when an order comes in: fresh aggregates and an attributed conversion."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model

from personalization.engine.profiles import invalidate_user, profile_for_user, refresh_aggregates
from personalization.measurement.events import record_conversion
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
