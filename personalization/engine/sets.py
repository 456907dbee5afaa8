"""Set-based evaluation of rules over the shop's customers (computed segments)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from personalization.adapters import CommerceAdapter, get_adapter

# Fixed RFM bands (see docs/rules.md): (threshold, score), first match wins.
RECENCY_DAYS = [(30, 5), (60, 4), (120, 3), (240, 2)]
FREQUENCY_ORDERS = [(12, 5), (6, 4), (3, 3), (2, 2), (1, 1)]
MONETARY_SPEND = [(1000, 5), (500, 4), (250, 3), (100, 2), (0.01, 1)]


def recency_score(days: int | None) -> int:
    if days is None:
        return 0
    return next((score for limit, score in RECENCY_DAYS if days <= limit), 1)


def frequency_score(orders: int) -> int:
    return next((score for limit, score in FREQUENCY_ORDERS if orders >= limit), 0)


def monetary_score(spend: Decimal | float) -> int:
    return next((score for limit, score in MONETARY_SPEND if float(spend) >= limit), 0)


def rfm_score(days_since_last: int | None, orders_365: int, spend_365: Decimal) -> int | None:
    """R + F + M over the last 365 days, or None for a customer without orders."""
    if days_since_last is None:
        return None
    return recency_score(days_since_last) + frequency_score(orders_365) + monetary_score(
        spend_365)


class CustomerSet:
    """The shop's customers and orders, seen through the adapter, at one moment ``now``.

    Rules build their ``customer_filter`` from these helpers, so every filter is a subquery
    on the orders table grouped by customer: one SQL statement per segment, no Python loop.
    """

    def __init__(self, adapter: CommerceAdapter | None = None,
                 now: datetime | None = None) -> None:
        self.adapter = adapter or get_adapter()
        self.now = now or timezone.now()
        self.fields = self.adapter.order_fields

    def customers(self) -> QuerySet:
        qs = self.adapter.customers()
        if qs is None:
            raise NotImplementedError("The commerce adapter does not provide customers().")
        return qs

    def orders(self, within_days: int | None = None) -> QuerySet:
        qs = self.adapter.orders()
        if qs is None:
            raise NotImplementedError("The commerce adapter does not provide orders().")
        if within_days:
            since = self.now - timedelta(days=within_days)
            qs = qs.filter(**{f"{self.fields.created}__gte": since})
        return qs

    def categories(self, ids: Any) -> frozenset[int]:
        """The categories ``ids`` and all their subcategories: a rule on "Cats" counts
        what was bought in "Cats › Cat food" (the adapter's ``category_descendants``)."""
        named = frozenset(int(i) for i in ids)
        return named | frozenset(self.adapter.category_descendants(named))

    def with_orders(self, orders: QuerySet) -> Q:
        return Q(pk__in=orders.values(self.fields.customer))

    def _per_customer(self, orders: QuerySet) -> QuerySet:
        return orders.order_by().values(self.fields.customer)

    def aggregate_in_range(self, aggregate: Any, low: Any, high: Any, *,
                           zero_when_none: bool = False, orders: QuerySet | None = None) -> Q:
        """Customers whose aggregate over their orders lies in [low, high].

        With ``zero_when_none``, customers without orders count as 0 (order count, spend).
        """
        grouped = self._per_customer(orders if orders is not None else self.orders()).annotate(
            pz_value=aggregate)
        customer = self.fields.customer

        def having(**lookup: Any) -> Q:
            return Q(pk__in=grouped.filter(**lookup).values(customer))

        if zero_when_none and (low is None or low <= 0):
            # Everyone except those above the maximum.
            return ~having(pz_value__gt=high) if high is not None else Q()
        lookup: dict[str, Any] = {}
        if low is not None:
            lookup["pz_value__gte"] = low
        if high is not None:
            lookup["pz_value__lte"] = high
        return having(**lookup)

    def rfm_scores(self) -> QuerySet:
        """One row per customer with orders: his RFM score as ``pz_score`` (SQL)."""
        f = self.fields
        year_ago = self.now - timedelta(days=365)
        recent = Q(**{f"{f.created}__gte": year_ago})

        def bands(expr: str, table: list) -> Case:
            whens = [When(**{f"{expr}__gte": limit}, then=Value(score)) for limit, score in table]
            return Case(*whens, default=Value(0), output_field=IntegerField())

        recency_whens = [
            When(pz_last__gte=self.now - timedelta(days=limit), then=Value(score))
            for limit, score in RECENCY_DAYS
        ]
        return self._per_customer(self.orders()).annotate(
            pz_last=Max(f.created),
            pz_freq=Count("pk", filter=recent),
            pz_spend=Sum(f.total, filter=recent, default=0),
        ).annotate(
            pz_r=Case(*recency_whens, default=Value(1), output_field=IntegerField()),
            pz_f=bands("pz_freq", FREQUENCY_ORDERS),
            pz_m=bands("pz_spend", MONETARY_SPEND),
        ).annotate(pz_score=models.F("pz_r") + models.F("pz_f") + models.F("pz_m"))

    def rfm_in_range(self, low: int | None, high: int | None) -> Q:
        lookup: dict[str, Any] = {}
        if low is not None:
            lookup["pz_score__gte"] = low
        if high is not None:
            lookup["pz_score__lte"] = high
        return Q(pk__in=self.rfm_scores().filter(**lookup).values(self.fields.customer))

    def category_share_at_least(self, category_ids: set[int], percent: int) -> Q:
        f = self.fields
        lines = self._per_customer(self.orders()).annotate(
            pz_all=Count(f.line, distinct=True),
            pz_in=Count(f.line, filter=f.in_categories(self.categories(category_ids)),
                        distinct=True),
        ).filter(pz_all__gt=0, pz_in__gt=0)
        # pz_in / pz_all >= percent / 100, in integers.
        lines = lines.annotate(pz_lhs=models.F("pz_in") * 100).filter(
            pz_lhs__gte=models.F("pz_all") * percent)
        return Q(pk__in=lines.values(f.customer))

    def group_filter(self, groups: list[str], business: str) -> Q:
        cf = self.adapter.customer_fields
        if (groups and not cf.group) or (business in ("b2b", "b2c") and cf.b2b is None):
            raise ValueError("This shop's commerce adapter knows no customer groups or "
                             "business customers (customer_fields): the rule cannot be "
                             "computed.")
        q = Q()
        if groups:
            q &= Q(**{f"{cf.group}__in": groups})
        if business == "b2b":
            q &= cf.b2b
        elif business == "b2c":
            q &= ~cf.b2b
        return q

    def segment_filter(self, segment_id: int, _seen: frozenset[int] = frozenset()) -> Q:
        """Members of another segment: its materialised membership, or its rules as SQL."""
        from personalization.models import Segment, SegmentMembership

        segment = Segment.objects.get(pk=segment_id)
        if segment.kind == Segment.Kind.COMPUTED:
            return Q(pk__in=SegmentMembership.objects.filter(segment_id=segment_id)
                     .values("user_id"))
        if segment_id in _seen:
            raise ValueError(f"Segment {segment.slug!r} refers to itself through other segments.")
        return self.segment_rules_filter(segment, _seen | {segment_id})

    def segment_rules_filter(self, segment: Any, _seen: frozenset[int] = frozenset()) -> Q:
        """All rules of ``segment`` combined as one Q (all/any, negate)."""
        combined: Q | None = None
        for rule in segment.rules.all():
            if rule.__class__.__name__ == "InSegmentRule":
                q = self.segment_filter(rule.other_id, _seen | {segment.pk})
            else:
                q = rule.customer_filter(self)
            if q is None:
                raise ValueError(
                    f"Rule {rule} of segment {segment.slug!r} depends on the request and "
                    "cannot be computed for all customers.")
            if rule.negate:
                q = ~q
            if combined is None:
                combined = q
            elif segment.match == "any":
                combined |= q
            else:
                combined &= q
        return combined if combined is not None else Q(pk__in=[])

    def members(self, segment: Any) -> QuerySet:
        """The customers matching ``segment``'s rules now, as a queryset of primary keys."""
        return self.customers().filter(self.segment_rules_filter(segment)).values("pk")
