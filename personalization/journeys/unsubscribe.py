"""Withdrawing marketing consent from a message's link."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from personalization.conf import app_settings
from personalization.models import ConsentRecord, JourneyMessage
from personalization.privacy.consent import MARKETING, _subject


def unsubscribe(user: Any) -> None:
    """Record the withdrawal of the marketing purpose (a consent record from the link), and
    cancel his journey messages that have not gone out."""
    with transaction.atomic():
        ConsentRecord.objects.create(
            user=user, purpose=MARKETING, granted=False,
            policy_version=app_settings.CONSENT_POLICY_VERSION,
            source=ConsentRecord.Source.UNSUBSCRIBE, subject=_subject(user.pk, None))
        JourneyMessage.objects.filter(user=user, status=JourneyMessage.Status.QUEUED).update(
            status=JourneyMessage.Status.CANCELLED, last_error="Unsubscribed.")
