"""Profile snapshots: a known visitor's cached aggregates, read without a query when warm."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from personalization.adapters import get_adapter
from personalization.cache import app_cache
from personalization.conf import app_settings
from personalization.engine.sets import rfm_score

logger = logging.getLogger(__name__)
MEMBERSHIP_GEN_KEY = "pz:membership:gen"


@dataclass(frozen=True)
class ProfileSnapshot:
    """Plain values about one known customer, safe to cache and to hand to rules."""

    profile_id: int
    visitor_id: str
    order_count: int = 0
    total_spent: Decimal = Decimal("0")
    avg_order_value: Decimal | None = None
    last_order_at: datetime | None = None
    rfm_score: int | None = None
    products: dict[int, datetime] = field(default_factory=dict)
    categories: dict[int, datetime] = field(default_factory=dict)
    category_shares: dict[int, float] = field(default_factory=dict)
    discount_order_count: int = 0
    customer_group: str = ""
    is_b2b: bool = False
    account_id: int | None = None
    fields: dict[str, str] = field(default_factory=dict)
    segment_ids: frozenset[int] = frozenset()
    #: His variant in each bandit run (run id -> variant id), on every device.
    arms: dict[str, int] = field(default_factory=dict)

    def __hash__(self) -> int:
        # By profile: the generated hash would fail on the dict fields.
        return hash(self.profile_id)


def _cache():
    return app_cache()


def _key(user_id: int) -> str:
    gen = _cache().get(MEMBERSHIP_GEN_KEY) or 0
    return f"pz:profile:{user_id}:{gen}"


def snapshot_for_user(user: Any) -> ProfileSnapshot:
    """The user's snapshot from the cache, or built (and cached) from the database."""
    cache = _cache()
    key = _key(user.pk)
    snap = cache.get(key)
    if snap is None:
        snap = build_snapshot(user)
        cache.set(key, snap, app_settings.PROFILE_CACHE_TIMEOUT)
    return snap


def invalidate_user(user_id: int) -> None:
    """Drop the cached snapshot; the next request rebuilds it (after commit)."""
    transaction.on_commit(lambda: _cache().delete(_key(user_id)))


def bump_memberships() -> None:
    """Invalidate every cached snapshot at once (after a computed segment refresh)."""
    cache = _cache()
    if not cache.add(MEMBERSHIP_GEN_KEY, 1, None):
        try:
            cache.incr(MEMBERSHIP_GEN_KEY)
        except ValueError:
            cache.set(MEMBERSHIP_GEN_KEY, 1, None)


def record_visit(user_id: int, *, first: bool = False) -> None:
    """A known customer starts a visit: count it and move his last-seen time. ``first``
    (at login): count it only if none was counted yet."""
    from django.db.models import F

    from personalization.models import VisitorProfile

    profiles = VisitorProfile.objects.filter(user_id=user_id)
    now = timezone.now()
    if first:
        profiles.filter(visit_count=0).update(visit_count=1)
        profiles.update(last_seen=now)
    else:
        profiles.update(visit_count=F("visit_count") + 1, last_seen=now)


def profile_for_user(user: Any, visitor_id: str | None = None):
    """The user's VisitorProfile, created on first need.

    A new profile takes the browser's visitor id as its canonical id (so the customer keeps
    his bucket), unless that id already belongs to somebody else's profile (a shared
    computer): then it gets a fresh id.
    """
    from personalization.models import VisitorAlias, VisitorProfile

    profile = VisitorProfile.objects.filter(user=user).first()
    if profile is not None:
        return profile
    vid = _as_uuid(visitor_id)
    if vid is not None:
        taken = VisitorProfile.objects.filter(visitor_id=vid).first()
        if taken is not None and taken.user_id is None:
            taken.user = user  # the anonymous profile of this browser becomes his
            taken.save(update_fields=["user"])
            return taken
        if taken is not None or VisitorAlias.objects.filter(alias=vid).exists():
            vid = None  # this browser id already belongs to another customer
    profile, _created = VisitorProfile.objects.get_or_create(
        user=user, defaults={"visitor_id": vid or uuid.uuid4()})
    return profile


def _as_uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def refresh_aggregates(profile: Any) -> None:
    """Recompute the profile's order-history aggregates through the adapter."""
    stats = get_adapter().customer_stats(profile.user) if profile.user_id else {}
    profile.aggregates = _jsonable(stats)
    profile.aggregates_updated_at = timezone.now()
    profile.save(update_fields=["aggregates", "aggregates_updated_at"])


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def build_snapshot(user: Any) -> ProfileSnapshot:
    from personalization.models import SegmentMembership

    profile = profile_for_user(user)
    if profile.aggregates_updated_at is None:
        refresh_aggregates(profile)
    agg = profile.aggregates or {}
    now = timezone.now()

    def dt(value: Any) -> datetime | None:
        return parse_datetime(value) if value else None

    last = dt(agg.get("last_order_at"))
    order_count = int(agg.get("order_count") or 0)
    total = Decimal(str(agg.get("total_spent") or "0"))
    lines = agg.get("category_lines") or {}
    total_lines = sum(lines.values()) or 0
    days = (now - last).days if last else None
    fields = {name: str(agg.get(name) or getattr(user, name, "") or "")
              for name in app_settings.TEXT_FIELDS}
    return ProfileSnapshot(
        profile_id=profile.pk,
        visitor_id=str(profile.visitor_id),
        order_count=order_count,
        total_spent=total,
        avg_order_value=(total / order_count).quantize(Decimal("0.01")) if order_count else None,
        last_order_at=last,
        rfm_score=rfm_score(days, int(agg.get("orders_365") or 0),
                            Decimal(str(agg.get("spent_365") or "0"))),
        products={int(k): dt(v) for k, v in (agg.get("products") or {}).items()},
        categories={int(k): dt(v) for k, v in (agg.get("categories") or {}).items()},
        category_shares={int(k): v / total_lines for k, v in lines.items()} if total_lines
        else {},
        discount_order_count=int(agg.get("discount_order_count") or 0),
        customer_group=str(agg.get("customer_group") or ""),
        is_b2b=bool(agg.get("is_b2b")),
        account_id=agg.get("account_id"),
        fields=fields,
        segment_ids=frozenset(SegmentMembership.objects.filter(user=user)
                              .values_list("segment_id", flat=True)),
        arms={str(k): int(v) for k, v in (profile.arms or {}).items()},
    )


def replace_cached(user_id: int, snapshot: ProfileSnapshot) -> None:
    """Put an updated snapshot in the cache (a new bandit arm was stored on his profile),
    so the next request reads it without a query."""
    _cache().set(_key(user_id), snapshot, app_settings.PROFILE_CACHE_TIMEOUT)
