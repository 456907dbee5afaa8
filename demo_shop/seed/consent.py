"""The consent part of the seed: every customer's choice as given at sign-up."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from personalization.engine.decide import held_out
from personalization.models import ConsentRecord, VisitorProfile
from personalization.privacy.consent import ensure_purposes, record_choices

#: Eva declined personalization (and marketing); she allowed analytics.
DECLINED = {"eva": {"personalization": False, "analytics": True, "marketing": False}}
ACCEPTED = {"personalization": True, "analytics": True, "marketing": False}
#: Anna and Lisa also allowed offers by e-mail: the demo's journeys write to them.
MARKETING = {"anna", "lisa"}


def seed_consent(users: dict[str, Any], created: Counter) -> None:
    """Record sign-up consent for customers who have none yet (idempotent)."""
    ensure_purposes()
    recorded = set(ConsentRecord.objects.filter(user__isnull=False)
                   .values_list("user_id", flat=True).distinct())
    for username, user in sorted(users.items()):
        if user.pk in recorded or user.is_staff:
            continue
        choices = DECLINED.get(username, ACCEPTED)
        if username in MARKETING:
            choices = {**choices, "marketing": True}
        record_choices(choices=choices,
                       source=ConsentRecord.Source.SIGNUP, user=user)
        created["consent records"] += 3


def seed_profiles(users: dict[str, Any], created: Counter) -> None:
    """Give each persona who allowed personalization a profile whose canonical visitor id
    is outside the global holdout, so the demo tour shows every persona personalized
    whatever GLOBAL_HOLDOUT_PERCENT is (a browser that logs in becomes an alias of it)."""
    from demo_shop.customers.personas import PERSONA_USERNAMES

    have = set(VisitorProfile.objects.filter(user__isnull=False).values_list("user_id",
                                                                            flat=True))
    for username in sorted(PERSONA_USERNAMES - set(DECLINED)):
        user = users.get(username)
        if user is None or user.pk in have:
            continue
        n = 0
        while held_out(_demo_id(username, n), share=DEMO_HOLDOUT_CEILING):
            n += 1
        VisitorProfile.objects.create(user=user, visitor_id=_demo_id(username, n))
        created["persona profiles"] += 1


#: Persona ids are chosen outside a holdout of up to this share.
DEMO_HOLDOUT_CEILING = 20


def _demo_id(username: str, n: int) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"https://demo.invalid/persona/{username}/{n}")
