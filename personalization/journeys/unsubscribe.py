"""Withdrawing marketing consent from a message's link."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from personalization.conf import app_settings
from personalization.models import ConsentRecord, JourneyMessage
from personalization.privacy.consent import MARKETING, _subject


def unsubscribe(user: Any) -> bool:
    """Record the withdrawal of the marketing purpose (a consent record from the link), and
    cancel his journey messages that have not gone out. A link followed again (a replay, a
    mail client that posts twice) records nothing more: the withdrawal is recorded when it
    changes his choice, and the answer says whether it did."""
    version = app_settings.CONSENT_POLICY_VERSION
    with transaction.atomic():
        # One unsubscribe of a customer at a time, so two posts at once record one row.
        get_user_model()._default_manager.select_for_update().filter(pk=user.pk).exists()
        latest = ConsentRecord.objects.filter(
            user=user, purpose=MARKETING, policy_version=version).order_by(
            "-created_at", "-pk").values_list("granted", flat=True).first()
        changed = latest is not False
        if changed:
            ConsentRecord.objects.create(
                user=user, purpose=MARKETING, granted=False, policy_version=version,
                source=ConsentRecord.Source.UNSUBSCRIBE, subject=_subject(user.pk, None))
        JourneyMessage.objects.filter(user=user, status=JourneyMessage.Status.QUEUED).update(
            status=JourneyMessage.Status.CANCELLED, last_error="Unsubscribed.")
    return changed
