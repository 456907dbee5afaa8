"""Does a journey pay? Its customers who were sent a message against those held out: who
ordered within the attribution window after the message was due, how much, the difference
with its 95 % interval, and (for a cart journey) the carts recovered.

Every recorded row counts in its arm, whatever became of it (intention to treat): a message
cancelled because the cart was ordered first, or skipped for a missing address, stays in
the messaged arm, since the held-out rows are never checked that way. A row counts once
its window has ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from personalization.adapters import get_adapter
from personalization.measurement.reports import Arm, Comparison, _compare
from personalization.models import Journey, JourneyMessage


@dataclass
class JourneyReport:
    journey: Journey
    messaged: Arm
    held_out: Arm
    comparison: Comparison | None
    waiting: int = 0  # rows whose attribution window has not ended yet
    warnings: list[str] = field(default_factory=list)
    verdict: str = ""

    @property
    def recovered_carts(self) -> int | None:
        if self.journey.trigger != Journey.Trigger.CART_ABANDONED:
            return None
        return self.messaged.converters


def _arms(journey: Journey, rows: Any) -> tuple[Arm, Arm]:
    adapter = get_adapter()
    orders = adapter.orders()
    messaged, held_out = Arm(gettext("Messaged"), False, None), Arm(gettext("Held out"),
                                                                     True, None)
    if orders is None:
        return messaged, held_out
    f = adapter.order_fields
    window_end = ExpressionWrapper(OuterRef("created_at") + timedelta(
        days=journey.attribution_days), output_field=DateTimeField())
    in_window = orders.filter(**{f.customer: OuterRef("user_id"),
                                 f"{f.created}__gte": OuterRef("created_at"),
                                 f"{f.created}__lt": window_end}).order_by().values(f.customer)
    count = Subquery(in_window.annotate(n=Count("pk")).values("n")[:1],
                     output_field=IntegerField())
    total = Subquery(in_window.annotate(s=Sum(f.total)).values("s")[:1],
                     output_field=DecimalField(max_digits=14, decimal_places=2))
    per_row = rows.annotate(o=Coalesce(count, Value(0)),
                            r=Cast(Coalesce(total, Value(0)), FloatField()))
    sums = per_row.values("control").annotate(
        n=Count("pk"), converters=Count("pk", filter=Q(o__gt=0)), orders=Sum("o"),
        revenue=Sum("r"), revenue_sq=Sum(F("r") * F("r")), orders_sq=Sum(F("o") * F("o")),
        revenue_orders=Sum(F("r") * F("o"))).order_by()
    for s in sums:
        arm = held_out if s["control"] else messaged
        arm.visitors, arm.converters, arm.orders = s["n"], s["converters"], s["orders"] or 0
        arm.revenue, arm.revenue_sq = s["revenue"] or 0.0, s["revenue_sq"] or 0.0
        arm.orders_sq, arm.revenue_orders = s["orders_sq"] or 0, s["revenue_orders"] or 0.0
    return messaged, held_out


def journey_report(journey: Journey) -> JourneyReport:
    now = timezone.now()
    mature = JourneyMessage.objects.filter(
        journey=journey, created_at__lte=now - timedelta(days=journey.attribution_days))
    waiting = JourneyMessage.objects.filter(journey=journey).count() - mature.count()
    messaged, held_out = _arms(journey, mature)
    measured = messaged.visitors >= 2 and held_out.visitors >= 2
    report = JourneyReport(journey, messaged, held_out,
                           _compare(messaged, held_out) if measured else None, waiting)
    if not journey.holdout_percent and not held_out.visitors:
        report.warnings.append(gettext("This journey holds nobody out: give it a holdout "
                                       "(10 % is usual) to see what its messages add."))
    if waiting:
        report.warnings.append(gettext(
            "%(n)s message(s) are still in their %(days)s-day attribution window and not "
            "counted yet.") % {"n": waiting, "days": journey.attribution_days})
    if report.comparison is None:
        report.verdict = gettext("Not enough messages in both groups to compare yet.")
        return report
    rpc = report.comparison.rpv
    if rpc.significant and rpc.value > 0:
        report.verdict = gettext("Customers it writes to spend more than those held out "
                                 "(95 % interval above zero).")
    elif rpc.significant:
        report.verdict = gettext("Customers it writes to spend less than those held out.")
    else:
        report.verdict = gettext("No significant difference in revenue per customer yet.")
    return report


__all__ = ["JourneyReport", "journey_report"]
