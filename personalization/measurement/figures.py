"""A campaign's figures without a comparison: what a campaign that is no experiment (one
variant, no holdout) has to show, read from its recorded events."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from personalization.models import Campaign, ContentVariant, Event
from personalization.routers import reports_database


@dataclass(frozen=True)
class VariantFigures:
    """One variant's exposures, clicks and the orders attributed to it."""

    label: str
    impressions: int
    visitors: int
    clicks: int
    converters: int
    orders: int
    revenue: Decimal

    @property
    def conversion_rate(self) -> float | None:
        return self.converters / self.visitors if self.visitors else None

    @property
    def click_rate(self) -> float | None:
        return self.clicks / self.impressions if self.impressions else None

    @property
    def revenue_per_visitor(self) -> float | None:
        return float(self.revenue) / self.visitors if self.visitors else None


def campaign_figures(campaign: Campaign) -> list[VariantFigures]:
    """Per variant shown (holdout exposures left out), in one query over the campaign's
    events: impressions, visitors who saw it, clicks, and its conversions (orders attributed
    to it within the conversion window, see ``orders.record_conversion``). Read from the
    reports' replica when one is configured (``REPORTS_DATABASE``)."""
    kind = Event.Type
    rows = (Event.objects.using(reports_database())
            .filter(campaign=campaign, control=False, variant__isnull=False)
            .order_by().values("variant_id").annotate(
                impressions=Count("pk", filter=Q(type=kind.IMPRESSION)),
                visitors=Count("visitor_id", filter=Q(type=kind.IMPRESSION), distinct=True),
                clicks=Count("pk", filter=Q(type=kind.CLICK)),
                converters=Count("visitor_id", filter=Q(type=kind.CONVERSION), distinct=True),
                orders=Count("pk", filter=Q(type=kind.CONVERSION)),
                revenue=Sum("value", filter=Q(type=kind.CONVERSION), default=Decimal("0"))))
    names = dict(ContentVariant.objects.filter(campaign=campaign).values_list("pk", "name"))
    return [VariantFigures(label=f"Variant '{names.get(row['variant_id'], row['variant_id'])}'",
                           impressions=row["impressions"], visitors=row["visitors"],
                           clicks=row["clicks"], converters=row["converters"],
                           orders=row["orders"], revenue=row["revenue"])
            for row in sorted(rows, key=lambda r: r["variant_id"])]
