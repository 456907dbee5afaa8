"""Data subject rights: export everything held on a person, and erase it.

A person is a customer (``user``), a browser (``visitor_id``), or both. Everything the app
holds on him hangs off these two keys: his profile and its aliases (the other browser ids
he used), computed-segment memberships, events, and consent records. Erasure deletes all of
it except the consent records, which stay as proof with the link to him replaced by a
pseudonym.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.db.models.signals import pre_delete

from personalization.cache import app_cache

#: What an erased customer's rep SMS says afterwards.
ERASED = "(erased at the customer's request)"
#: The error of an outbox message cancelled because its customer's data was erased.
CANCELLED = "cancelled: the customer's data was erased"


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _subject(user: Any, visitor_id: Any) -> tuple[list, set[uuid.UUID]]:
    """His profiles, and every visitor id known to be his."""
    from personalization.models import VisitorAlias, VisitorProfile

    vid = _uuid(visitor_id)
    query = Q(pk__in=[])
    if user is not None and getattr(user, "pk", None):
        query |= Q(user=user)
    if vid is not None:
        query |= Q(visitor_id=vid) | Q(aliases__alias=vid)
    profiles = list(VisitorProfile.objects.filter(query).distinct())
    ids = {vid} if vid is not None else set()
    ids.update(p.visitor_id for p in profiles)
    ids.update(VisitorAlias.objects.filter(profile__in=profiles).values_list("alias", flat=True))
    return profiles, ids


def _events(user: Any, ids: set[uuid.UUID]):
    from personalization.models import Event

    query = Q(visitor_id__in=ids)
    if user is not None and getattr(user, "pk", None):
        query |= Q(user=user)
    return Event.objects.filter(query)


def _consent_records(user: Any, ids: set[uuid.UUID]):
    from personalization.models import ConsentRecord

    query = Q(visitor_id__in=ids)
    if user is not None and getattr(user, "pk", None):
        query |= Q(user=user)
    return ConsentRecord.objects.filter(query)


def export_subject(*, user: Any = None, visitor_id: str | None = None) -> dict[str, Any]:
    """Everything held on the person, as plain JSON-ready data."""
    from personalization.measurement.events import flush_events
    from personalization.models import SegmentMembership, VisitorAlias

    flush_events()  # events still waiting in the cache are his too
    profiles, ids = _subject(user, visitor_id)
    memberships = SegmentMembership.objects.filter(user=user).select_related("segment") if (
        user is not None and getattr(user, "pk", None)) else SegmentMembership.objects.none()
    return {
        "customer": {"id": user.pk, "username": user.get_username()} if (
            user is not None and getattr(user, "pk", None)) else None,
        "visitor_ids": sorted(str(i) for i in ids),
        "profiles": [{
            "visitor_id": str(p.visitor_id), "visits": p.visit_count,
            "first_seen": p.first_seen.isoformat(), "last_seen": p.last_seen.isoformat(),
            "attributes": p.attributes, "order_history_aggregates": p.aggregates,
            "bandit_arms": p.arms,
            "aliases": [str(a) for a in VisitorAlias.objects.filter(profile=p)
                        .values_list("alias", flat=True)],
        } for p in profiles],
        "segment_memberships": [{"segment": m.segment.name, "slug": m.segment.slug,
                                 "since": m.since.isoformat()} for m in memberships],
        "events": [{
            "type": e.type, "slot": e.slot, "campaign": e.campaign_id,
            "variant": e.variant_id, "control": e.control,
            "value": str(e.value) if e.value is not None else None,
            "reference": e.reference, "time": e.created_at.isoformat(),
        } for e in _events(user, ids).order_by("created_at")],
        "discount_codes": [{
            "code": c.code, "campaign": c.variant.campaign_id,
            "issued": c.created_at.isoformat(), "expires": c.expires_at.isoformat(),
        } for c in _issued_codes(user, ids).select_related("variant").order_by("created_at")],
        "sales_rep_alerts": [{
            "order": n.order_reference, "rep": n.rep_name, "message": n.body,
            "status": n.status, "time": n.created_at.isoformat(),
        } for n in _rep_alerts(user).order_by("created_at", "pk")],
        "journey_messages": [{
            "journey": m.journey.name, "channel": m.channel, "to": m.to,
            "subject": m.subject, "text": m.text, "code": m.code, "status": m.status,
            "held_out": m.control, "time": m.created_at.isoformat(),
            "sent": m.sent_at.isoformat() if m.sent_at else None,
        } for m in _journey_messages(user).select_related("journey").order_by("created_at")],
        "consent": [{
            "purpose": r.purpose, "granted": r.granted, "policy_version": r.policy_version,
            "source": r.source, "time": r.created_at.isoformat(),
        } for r in _consent_records(user, ids).order_by("created_at", "pk")],
    }


def _rep_alerts(user: Any) -> Any:
    """The SMS sent to sales reps about his orders (they name him)."""
    from django.contrib.contenttypes.models import ContentType

    from personalization.adapters import get_adapter
    from personalization.models import RepNotification

    adapter = get_adapter()
    orders = adapter.orders()
    if user is None or not getattr(user, "pk", None) or orders is None:
        return RepNotification.objects.none()
    mine = orders.filter(**{adapter.order_fields.customer: user}).values_list("pk", flat=True)
    return RepNotification.objects.filter(order_type=ContentType.objects.get_for_model(
        orders.model), order_id__in=[str(pk) for pk in mine])


def _journey_messages(user: Any) -> Any:
    from personalization.models import JourneyMessage

    if user is None or not getattr(user, "pk", None):
        return JourneyMessage.objects.none()
    return JourneyMessage.objects.filter(user=user)


def _outbox_messages(user: Any, ids: set[uuid.UUID]) -> Any:
    """Work waiting for him (or done, from before done messages dropped their arguments):
    messages whose arguments name him or one of his browsers."""
    from personalization.models import OutboxMessage

    query = Q(kwargs__visitor_id__in=[str(i) for i in ids])
    if user is not None and getattr(user, "pk", None):
        query |= Q(kwargs__user_id=user.pk)
    return OutboxMessage.objects.filter(query)


def _cancel_outbox_messages(user: Any, ids: set[uuid.UUID]) -> int:
    """Cancel his waiting messages and drop the arguments of all his messages; a message
    running now is waited for (its row is locked) and erases him again when it ends."""
    from django.utils import timezone

    messages = _outbox_messages(user, ids)
    cancelled = messages.filter(done_at=None).update(done_at=timezone.now(), kwargs={},
                                                     last_error=CANCELLED)
    messages.update(kwargs={})
    return cancelled


def cancelled_by_erasure(message_id: int) -> bool:
    """Whether an erasure cancelled this outbox message."""
    from personalization.models import OutboxMessage

    return OutboxMessage.objects.filter(pk=message_id, last_error=CANCELLED).exists()


def erase_named_subject(kwargs: dict[str, Any]) -> dict[str, int]:
    """Erase the customer and browser an outbox message's arguments name."""
    from django.contrib.auth import get_user_model

    user_id = kwargs.get("user_id")
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return erase_subject(user=user, visitor_id=kwargs.get("visitor_id"))


def _issued_codes(user: Any, ids: set) -> Any:
    from personalization.models import IssuedCode

    query = Q(visitor_id__in=ids)
    if user is not None and getattr(user, "pk", None):
        query |= Q(user=user)
    return IssuedCode.objects.filter(query)


@transaction.atomic
def erase_subject(*, user: Any = None, visitor_id: str | None = None) -> dict[str, int]:
    """Delete everything held on the person; keep consent records under a pseudonym.

    Idempotent: erasing twice erases nothing the second time. Returns what was removed.
    """
    from personalization.engine.profiles import invalidate_user
    from personalization.measurement.events import flush_events
    from personalization.models import DiscountVariant, SegmentMembership, VisitorAlias

    flush_events()
    # First: work waiting for him is cancelled, and work that ends meanwhile erases him
    # again; then what he is known by is read afresh (a profile that work just made).
    cancelled = _cancel_outbox_messages(user, _subject(user, visitor_id)[1])
    profiles, ids = _subject(user, visitor_id)
    counts = {
        "pending_work_cancelled": cancelled,
        "events": _events(user, ids).delete()[0],
        "aliases": VisitorAlias.objects.filter(profile__in=profiles).delete()[0],
        "discount_codes": _issued_codes(user, ids).delete()[0],
        "profiles": 0,
        "segment_memberships": 0,
        "consent_records_pseudonymised": _consent_records(user, ids).filter(
            Q(user__isnull=False) | Q(visitor_id__isnull=False)).update(
            user=None, visitor_id=None),
    }
    # The rep's SMS log keeps that an order came in, not who placed it or what it said.
    counts["rep_alerts_anonymised"] = _rep_alerts(user).exclude(body=ERASED).update(
        customer_name="", body=ERASED)
    # Queued journey messages never go out, and the log of those sent goes with them.
    counts["journey_messages"] = _journey_messages(user).delete()[0]
    for profile in profiles:
        profile.delete()
        counts["profiles"] += 1
    if user is not None and getattr(user, "pk", None):
        counts["segment_memberships"] = SegmentMembership.objects.filter(
            user=user).delete()[0]
        invalidate_user(user.pk)
    cache = app_cache()
    variant_ids = list(DiscountVariant.objects.values_list("pk", flat=True))
    holders = [str(i) for i in ids]
    if user is not None and getattr(user, "pk", None):
        holders.append(f"user{user.pk}")
    cache.delete_many([f"pz:code:{v}:{h}" for v in variant_ids for h in holders])
    return counts


def _erase_deleted_user(sender: Any, instance: Any, **kwargs: Any) -> None:
    erase_subject(user=instance)


def connect_signals() -> None:
    from django.contrib.auth import get_user_model

    pre_delete.connect(_erase_deleted_user, sender=get_user_model(),
                       dispatch_uid="pz_erase_deleted_user")
