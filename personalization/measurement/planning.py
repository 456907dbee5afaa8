"""Planning a run: how many visitors and days it needs, from the slot's recent traffic and
baseline, the minimum effect worth finding and the power wanted."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from personalization.fields import format_money
from personalization.measurement import statistics as st
from personalization.measurement.verdicts import metric_name as verdict_metric_name
from personalization.models import Campaign, DailyRollup, Event
from personalization.routers import reports_database

#: How far back the plan reads the slot's traffic and baseline.
HISTORY_DAYS = 28


@dataclass(frozen=True)
class Baseline:
    """What the metric has been on this slot: its mean per visitor and, for revenue, the
    spread of one visitor's revenue."""

    visitors_per_day: float
    mean: float | None
    sd: float | None


@dataclass(frozen=True)
class Plan:
    metric: str
    arms: int
    baseline: Baseline
    minimum_effect: float  # relative, e.g. 0.1
    power: float
    visitors_per_arm: int | None

    @property
    def days(self) -> int | None:
        """Days until every arm has its planned visitors at the slot's recent traffic."""
        if not self.visitors_per_arm or not self.baseline.visitors_per_day:
            return None
        return math.ceil(self.visitors_per_arm * self.arms / self.baseline.visitors_per_day)


def baseline_of(campaign: Campaign, metric: str) -> Baseline:
    """Recent new visitors a day on the campaign's slot (exposures of any campaign there),
    and the metric's mean among the visitors of the slot's runs in the same period (control
    arms first, every arm when there is no control)."""
    since = timezone.now() - timedelta(days=HISTORY_DAYS)
    visitors = (Event.objects.using(reports_database())
                .filter(type=Event.Type.IMPRESSION, created_at__gte=since,
                        campaign__slot_id=campaign.slot_id)
                .values("visitor_id").distinct().count())
    rows = DailyRollup.objects.filter(run__campaign__slot_id=campaign.slot_id, segment=None,
                                      day__gte=since.date())
    if rows.filter(control=True).exists():
        rows = rows.filter(control=True)
    sums = rows.aggregate(n=Sum("visitors"), x=Sum("converters"), r=Sum("revenue"),
                          rr=Sum("revenue_sq"), g=Sum("goals"))
    n = sums["n"] or 0
    per_day = visitors / HISTORY_DAYS
    if n < 2:
        return Baseline(per_day, None, None)
    if metric == "revenue":
        mean, variance = st.mean_and_variance(n, float(sums["r"] or 0), float(sums["rr"] or 0))
        return Baseline(per_day, mean, math.sqrt(variance))
    converted = (sums["g"] if metric == "goal" else sums["x"]) or 0
    return Baseline(per_day, converted / n, None)


def plan_for(campaign: Campaign, arms: int | None = None) -> Plan | None:
    """The campaign's plan at its minimum effect and power; None when it has no variants."""
    if arms is None:
        weights = campaign.variants.filter(weight__gt=0).count() if campaign.pk else 0
        if not weights:
            return None
        arms = weights + (1 if (campaign.holdout_percent or campaign.control_weight) else 0)
    if arms < 2:
        return None
    metric = campaign.decision_metric
    base = baseline_of(campaign, metric)
    effect = float(campaign.minimum_effect_percent) / 100
    power = campaign.power_percent / 100
    size = None
    if base.mean:
        comparisons = arms - 1
        if metric == "revenue":
            size = st.sample_size_means(base.sd or 0.0, base.mean * effect, power=power,
                                        comparisons=comparisons)
        else:
            size = st.sample_size_proportions(base.mean, effect, power=power,
                                              comparisons=comparisons)
    return Plan(metric, arms, base, effect, power, size)


def describe(plan: Plan | None) -> str:
    """The plan in words, for the campaign form."""
    if plan is None:
        return _("An experiment needs a holdout (or control weight) or a second variant.")
    base = plan.baseline
    effect = number_format(plan.minimum_effect * 100, 1)
    power = number_format(plan.power * 100, 0)
    traffic = number_format(base.visitors_per_day, 0, force_grouping=True)
    if not base.visitors_per_day:
        return _("No traffic on this slot in the last %(days)s days to plan from: make the "
                 "slot show something first, or set the planned visitors yourself.") % {
            "days": HISTORY_DAYS}
    if plan.visitors_per_arm is None:
        return _("The slot sees about %(traffic)s new visitors a day, but no earlier run "
                 "measured its baseline %(metric)s: plan by hand, or run sequentially (the "
                 "report tells you when to stop).") % {
            "traffic": traffic, "metric": verdict_metric_name(plan.metric)}
    shown = (format_money(base.mean, localize=True) if plan.metric == "revenue"
             else f"{number_format(base.mean * 100, 2)} %")
    weeks = math.ceil((plan.days or 0) / 7)
    return ngettext(
        "At about %(traffic)s new visitors a day and a baseline %(metric)s of %(baseline)s, "
        "finding a change of ±%(effect)s %% with %(power)s %% power takes about %(n)s "
        "visitors per arm (%(arms)s arms): about %(days)s days; run whole weeks, so "
        "%(weeks)s week.",
        "At about %(traffic)s new visitors a day and a baseline %(metric)s of %(baseline)s, "
        "finding a change of ±%(effect)s %% with %(power)s %% power takes about %(n)s "
        "visitors per arm (%(arms)s arms): about %(days)s days; run whole weeks, so "
        "%(weeks)s weeks.", weeks) % {
        "traffic": traffic, "metric": verdict_metric_name(plan.metric), "baseline": shown,
        "effect": effect, "power": power,
        "n": number_format(plan.visitors_per_arm, force_grouping=True), "arms": plan.arms,
        "days": plan.days, "weeks": weeks}
