"""Weekly KPI snapshots: conversion rate, AOV, transactions, revenue per visitor, historic
customer lifetime value and the RFM distribution, for everybody and per segment.

A snapshot is a handful of aggregate queries over the shop's orders (through the commerce
adapter) and the app's visit events; taking the same week again replaces its rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from personalization.engine.request_facts import store_timezone
from personalization.engine.sets import CustomerSet
from personalization.models import Event, KpiSnapshot, Segment, SegmentMembership

RFM_SCORES = range(3, 16)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _bounds(week: date) -> tuple[datetime, datetime]:
    tz = store_timezone()
    start = datetime.combine(week, time(), tz)
    return start, start + timedelta(days=7)


def take_snapshot(week: date, segment: Segment | None = None) -> KpiSnapshot:
    """The figures of the week starting on ``week`` (a Monday), for ``segment``'s current
    members or everybody."""
    start, end = _bounds(week)
    customers = CustomerSet(now=end)
    f = customers.fields
    orders = customers.orders()
    visits = Event.objects.filter(type=Event.Type.VISIT, created_at__gte=start,
                                  created_at__lt=end)
    people = customers.customers()
    if segment is not None:
        members = SegmentMembership.objects.filter(segment=segment).values("user_id")
        orders = orders.filter(**{f"{f.customer}__in": members})
        visits = visits.filter(user_id__in=members)
        people = people.filter(pk__in=members)
    week_orders = orders.filter(**{f"{f.created}__gte": start, f"{f.created}__lt": end})
    figures = week_orders.aggregate(n=Count("pk"), revenue=Sum(f.total, default=Decimal(0)))
    so_far = orders.filter(**{f"{f.created}__lt": end}).aggregate(
        customers=Count(f.customer, distinct=True), revenue=Sum(f.total, default=Decimal(0)))
    scores = Counter(customers.rfm_scores().filter(
        **{f"{f.customer}__in": people.values("pk")}).values_list("pz_score", flat=True))
    rfm = {str(score): scores.get(score, 0) for score in RFM_SCORES}
    with transaction.atomic():
        KpiSnapshot.objects.filter(week=week, segment=segment).delete()
        return KpiSnapshot.objects.create(
            week=week, segment=segment,
            visitors=visits.values("visitor_id").distinct().count(),
            transactions=figures["n"], revenue=figures["revenue"],
            customers_to_date=so_far["customers"], revenue_to_date=so_far["revenue"], rfm=rfm)


def take_snapshots(week: date | None = None) -> int:
    """The last complete week (or ``week``), for everybody and each enabled computed
    segment (live segments have no members to count: they exist per request)."""
    week = week or week_start(timezone.localdate() - timedelta(days=7))
    take_snapshot(week)
    segments = list(Segment.objects.filter(enabled=True, kind=Segment.Kind.COMPUTED))
    for segment in segments:
        take_snapshot(week, segment)
    return 1 + len(segments)


@dataclass
class Week:
    """One row of the dashboard."""

    week: date
    visitors: int
    transactions: int
    revenue: float
    lifetime_value: float | None
    rfm: dict[str, int]

    @property
    def conversion_rate(self) -> float | None:
        return self.transactions / self.visitors if self.visitors else None

    @property
    def average_order_value(self) -> float | None:
        return self.revenue / self.transactions if self.transactions else None

    @property
    def revenue_per_visitor(self) -> float | None:
        return self.revenue / self.visitors if self.visitors else None


def dashboard(segment: Any = None, weeks: int = 12) -> list[Week]:
    rows = KpiSnapshot.objects.filter(segment=segment).filter(
        Q(week__gte=week_start(timezone.localdate()) - timedelta(weeks=weeks))).order_by("week")
    return [Week(r.week, r.visitors, r.transactions, float(r.revenue),
                 float(r.revenue_to_date) / r.customers_to_date if r.customers_to_date
                 else None, r.rfm) for r in rows]
