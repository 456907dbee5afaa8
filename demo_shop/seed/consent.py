"""The consent part of the seed: every customer's choice as given at sign-up."""

from __future__ import annotations

from collections import Counter
from typing import Any

from personalization.models import ConsentRecord
from personalization.privacy.consent import ensure_purposes, record_choices

#: Eva declined personalization (and marketing); she allowed analytics.
DECLINED = {"eva": {"personalization": False, "analytics": True, "marketing": False}}
ACCEPTED = {"personalization": True, "analytics": True, "marketing": False}


def seed_consent(users: dict[str, Any], created: Counter) -> None:
    """Record sign-up consent for customers who have none yet (idempotent)."""
    ensure_purposes()
    recorded = set(ConsentRecord.objects.filter(user__isnull=False)
                   .values_list("user_id", flat=True).distinct())
    for username, user in sorted(users.items()):
        if user.pk in recorded or user.is_staff:
            continue
        record_choices(choices=DECLINED.get(username, ACCEPTED),
                       source=ConsentRecord.Source.SIGNUP, user=user)
        created["consent records"] += 3
