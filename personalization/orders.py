"""What happens when an order comes in: fresh aggregates and an attributed conversion."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model

from .events import record_conversion
from .profiles import invalidate_user, profile_for_user, refresh_aggregates


def record_order(*, user_id: int | None, visitor_id: str | None, value: str,
                 reference: str) -> int:
    """Refresh the customer's cached aggregates and record the conversion (idempotent)."""
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    if user is not None:
        refresh_aggregates(profile_for_user(user, visitor_id))
        invalidate_user(user.pk)
    return record_conversion(user=user, visitor_id=visitor_id, value=Decimal(value),
                             reference=reference)
