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


def _figures(week: date, segment: Segment | None, until: datetime | None = None,
             rfm: bool = True) -> dict[str, Any]:
    """The figures of the week starting on ``week`` (a Monday), up to its end or ``until``,
    for ``segment``'s current members or everybody."""
    start, end = _bounds(week)
    end = min(end, until) if until else end
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
    scores: Counter = Counter()
    if rfm:
        scores = Counter(customers.rfm_scores().filter(
            **{f"{f.customer}__in": people.values("pk")}).values_list("pz_score", flat=True))
    return {"visitors": visits.values("visitor_id").distinct().count(),
            "transactions": figures["n"], "revenue": figures["revenue"],
            "customers_to_date": so_far["customers"], "revenue_to_date": so_far["revenue"],
            "rfm": {str(score): scores.get(score, 0) for score in RFM_SCORES} if rfm else {}}


def take_snapshot(week: date, segment: Segment | None = None) -> KpiSnapshot:
    """The figures of the week starting on ``week`` (a Monday), for ``segment``'s current
    members or everybody."""
    figures = _figures(week, segment)
    with transaction.atomic():
        KpiSnapshot.objects.filter(week=week, segment=segment).delete()
        return KpiSnapshot.objects.create(week=week, segment=segment, **figures)


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
    """One row of the dashboard. ``unfinished``: the week is not over, so its counts are
    partial (its ratios are those of the days so far)."""

    week: date
    visitors: int
    transactions: int
    revenue: float
    lifetime_value: float | None
    rfm: dict[str, int]
    unfinished: bool = False

    @classmethod
    def of(cls, week: date, figures: dict[str, Any], today: date) -> Week:
        """The row of a week's figures (a snapshot's values, or counted live)."""
        customers = figures["customers_to_date"]
        return cls(week, figures["visitors"], figures["transactions"],
                   float(figures["revenue"]),
                   float(figures["revenue_to_date"]) / customers if customers else None,
                   figures["rfm"], unfinished=week + timedelta(days=7) > today)

    @property
    def conversion_rate(self) -> float | None:
        return self.transactions / self.visitors if self.visitors else None

    @property
    def average_order_value(self) -> float | None:
        return self.revenue / self.transactions if self.transactions else None

    @property
    def revenue_per_visitor(self) -> float | None:
        return self.revenue / self.visitors if self.visitors else None


def dashboard(segment: Any = None, weeks: int = 12, so_far: bool = False) -> list[Week]:
    """The last ``weeks`` weekly snapshots, oldest first; ``so_far``: and the current week
    up to now, counted live when it has no snapshot (marked unfinished, without RFM
    scores: those are the last whole week's)."""
    today = timezone.localdate()
    this_week = week_start(today)
    rows = KpiSnapshot.objects.filter(segment=segment).filter(
        Q(week__gte=this_week - timedelta(weeks=weeks))).order_by("week").values()
    out = [Week.of(r["week"], r, today) for r in rows]
    if so_far and not any(w.week == this_week for w in out):
        out.append(Week.of(this_week, _figures(this_week, segment, until=timezone.now(),
                                               rfm=False), today))
    return out
