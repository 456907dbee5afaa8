"""A run's report (each variant against control) and the program's (personalized visitors
against the global holdout), read from the daily rollups: never from raw events.

Revenue is compared within one experiment only; no figure adds campaigns' attributed revenue
up (an order counts for every campaign the buyer saw): the program as a whole is measured by
the global holdout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from personalization.conf import app_settings
from personalization.measurement import bandit_report
from personalization.measurement import statistics as st
from personalization.measurement.rollups import PRE_PERIOD_DAYS
from personalization.models import ContentVariant, DailyRollup, ExperimentRun, Segment


@dataclass
class Arm:
    """One arm's figures (summed over days)."""

    label: str
    control: bool
    variant_id: int | None
    weight: float = 0
    visitors: int = 0
    converters: int = 0
    orders: int = 0
    revenue: float = 0.0
    revenue_sq: float = 0.0
    orders_sq: float = 0.0
    revenue_orders: float = 0.0
    clicks: int = 0
    multi_arm: int = 0
    pre_revenue: float = 0.0
    pre_revenue_sq: float = 0.0
    pre_revenue_revenue: float = 0.0

    def add(self, row: DailyRollup) -> None:
        self.visitors += row.visitors
        self.converters += row.converters
        self.orders += row.orders
        self.revenue += float(row.revenue)
        self.revenue_sq += row.revenue_sq
        self.orders_sq += row.orders_sq
        self.revenue_orders += row.revenue_orders
        self.clicks += row.clicks
        self.multi_arm += row.multi_arm
        self.pre_revenue += row.pre_revenue
        self.pre_revenue_sq += row.pre_revenue_sq
        self.pre_revenue_revenue += row.pre_revenue_revenue

    @property
    def moments(self) -> st.Moments:
        return st.Moments(self.visitors, self.revenue, self.revenue_sq, self.pre_revenue,
                          self.pre_revenue_sq, self.pre_revenue_revenue)

    @property
    def conversion_rate(self) -> float | None:
        return self.converters / self.visitors if self.visitors else None

    @property
    def revenue_per_visitor(self) -> float | None:
        return self.revenue / self.visitors if self.visitors else None

    @property
    def average_order_value(self) -> float | None:
        return self.revenue / self.orders if self.orders else None

    @property
    def click_rate(self) -> float | None:
        return self.clicks / self.visitors if self.visitors else None


@dataclass
class Comparison:
    """A variant (or the personalized visitors) against control."""

    arm: Arm
    conversion: st.Estimate
    conversion_relative: st.Estimate
    rpv: st.Estimate
    rpv_relative: st.Estimate
    conversion_bayes: st.Bayes
    rpv_bayes: st.Bayes
    aov: st.Estimate = st.NONE
    roi: st.ReturnOnInvestment | None = None
    cuped: st.Cuped | None = None

    @property
    def rpv_judged(self) -> st.Estimate:
        """The revenue-per-visitor difference the verdict and ROI use: CUPED-adjusted when
        there was revenue before the run to adjust for, else the plain one."""
        return self.cuped.difference if self.cuped else self.rpv


@dataclass
class Report:
    title: str
    started: Any
    ended: Any
    days: int
    arms: list[Arm]
    comparisons: list[Comparison]
    srm: st.SampleRatio
    warnings: list[str] = field(default_factory=list)
    verdict: str = ""
    daily: list[dict[str, Any]] = field(default_factory=list)
    window_days: int = 7
    pre_period_days: int = PRE_PERIOD_DAYS
    bandit: Any = None  # a bandit's section (measurement.bandit_report)

    @property
    def adjusted(self) -> bool:
        """Some comparison could be adjusted for revenue before the run (CUPED)."""
        return any(c.cuped for c in self.comparisons)


def _arm_key(row: DailyRollup) -> tuple[bool, int | None]:
    return (row.control, None if row.control else row.variant_id)


def _compare(arm: Arm, control: Arm) -> Comparison:
    rpv = st.welch(arm.visitors, arm.revenue, arm.revenue_sq, control.visitors,
                   control.revenue, control.revenue_sq)
    cuped = st.cuped(arm.moments, control.moments)
    return Comparison(
        arm=arm,
        conversion=st.difference_of_proportions(arm.converters, arm.visitors,
                                                control.converters, control.visitors),
        conversion_relative=st.relative_conversion(arm.converters, arm.visitors,
                                                   control.converters, control.visitors),
        rpv=rpv,
        rpv_relative=st.relative_mean(arm.visitors, arm.revenue, arm.revenue_sq,
                                      control.visitors, control.revenue, control.revenue_sq),
        conversion_bayes=st.beta_binomial(arm.converters, arm.visitors, control.converters,
                                          control.visitors),
        rpv_bayes=st.normal_bayes(cuped.difference if cuped else rpv),
        cuped=cuped,
        aov=st.ratio_difference(
            (arm.visitors, arm.revenue, arm.revenue_sq, arm.orders, arm.orders_sq,
             arm.revenue_orders),
            (control.visitors, control.revenue, control.revenue_sq, control.orders,
             control.orders_sq, control.revenue_orders)),
    )


def _daily(rows: list[DailyRollup], control_key: tuple, keys: list[tuple]) -> list[dict]:
    """Per day: conversion rate and RPV per arm, and the cumulative uplift of the first
    other arm against control with its interval (for the charts and the CSV)."""
    by_day: dict[date, list[DailyRollup]] = {}
    for row in rows:
        by_day.setdefault(row.day, []).append(row)
    cumulative: dict[tuple, Arm] = {k: Arm("", k[0], k[1]) for k in keys}
    out = []
    for day in sorted(by_day):
        today = {k: Arm("", k[0], k[1]) for k in keys}
        for row in by_day[day]:
            if _arm_key(row) in today:
                today[_arm_key(row)].add(row)
                cumulative[_arm_key(row)].add(row)
        entry: dict[str, Any] = {"day": day, "arms": {}}
        for key, arm in today.items():
            entry["arms"][key] = {"visitors": arm.visitors, "converters": arm.converters,
                                  "revenue": arm.revenue, "conversion_rate": arm.conversion_rate,
                                  "rpv": arm.revenue_per_visitor}
        others = [k for k in keys if k != control_key]
        if others and control_key in cumulative:
            a, c = cumulative[others[0]], cumulative[control_key]
            entry["uplift"] = st.difference_of_proportions(a.converters, a.visitors,
                                                           c.converters, c.visitors)
        out.append(entry)
    return out


def _guards(report: Report, control: Arm | None) -> None:
    minimum = app_settings.REPORT_MIN_CONVERSIONS
    min_days = app_settings.REPORT_MIN_DAYS
    if report.srm.mismatch:
        report.warnings.append(
            f"Sample ratio mismatch (p = {report.srm.p_value:.2g}): the arms did not get the "
            "share of visitors the split promised; a bug in bucketing, caching or tracking is "
            "likely. Do not trust the comparison until it is explained.")
    short = [a.label for a in report.arms if a.converters < minimum]
    if short:
        report.warnings.append(
            f"Not enough data: each arm needs {minimum} converting visitors before a verdict "
            f"({', '.join(f'{a.label} has {a.converters}' for a in report.arms)}).")
    if report.days < min_days or report.days % 7:
        report.warnings.append(
            f"The run has lasted {report.days} day(s); judge it on whole weeks (at least "
            f"{min_days} days), since shoppers behave differently on other weekdays.")
    multi = sum(a.multi_arm for a in report.arms)
    if multi:
        report.warnings.append(
            f"{multi} visitor(s) saw more than one arm (they count in the first); many would "
            "mean the split is not sticky.")
    if control is None:
        report.verdict = "No control arm: nothing to compare against."
    elif report.srm.mismatch or short or report.days < min_days:
        report.verdict = "No verdict yet."
    else:
        winners = [c for c in report.comparisons
                   if c.rpv_judged.significant and c.rpv_judged.value > 0]
        losers = [c for c in report.comparisons
                  if c.rpv_judged.significant and c.rpv_judged.value < 0]
        if winners:
            best = max(winners, key=lambda c: c.rpv_judged.value)
            report.verdict = (f"{best.arm.label} earns more per visitor than control "
                              "(95 % interval above zero).")
        elif losers:
            report.verdict = "Control earns more per visitor than: " + ", ".join(
                c.arm.label for c in losers) + "."
        else:
            report.verdict = "No significant difference in revenue per visitor."


def run_report(run: ExperimentRun, segment: Segment | None = None) -> Report:
    """The run's report, for everybody or only the visitors whose customer is in the
    computed ``segment``."""
    rows = list(DailyRollup.objects.filter(run=run, segment=segment).order_by("day"))
    names = dict(ContentVariant.objects.filter(campaign_id=run.campaign_id)
                 .values_list("pk", "name"))
    arms: dict[tuple, Arm] = {}
    if run.holdout_percent:
        arms[(True, None)] = Arm("Control (holdout)", True, None, run.holdout_percent)
    total = sum(run.weights.values()) or 1
    for pk, weight in run.weights.items():
        share = (100 - run.holdout_percent) * weight / total
        arms[(False, int(pk))] = Arm(f"Variant '{names.get(int(pk), pk)}'", False, int(pk),
                                     share)
    for row in bandit_report.arm_rows(run, rows):  # a bandit's: period-weighted
        arms.setdefault(_arm_key(row), Arm(f"Variant #{row.variant_id}", False,
                                           row.variant_id)).add(row)
    ordered = list(arms.values())
    control = arms.get((True, None)) or (ordered[0] if len(ordered) > 1 else None)
    comparisons = [_compare(a, control) for a in ordered if control and a is not control]
    end = run.ended_at or timezone.now()
    days = max((end - run.started_at).days, 0)
    campaign = run.campaign
    margin = float(campaign.margin_percent if campaign.margin_percent is not None
                   else app_settings.MARGIN_PERCENT) / 100
    for c in comparisons:
        c.roi = st.return_on_investment(c.rpv_judged, c.arm.visitors, margin, float(campaign.cost),
                                        max(days, 1))
    report = Report(
        title=f"{campaign.name}: run {run.number}"
        + (f" · customers in '{segment.name}'" if segment else ""), started=run.started_at,
        ended=run.ended_at, days=days, arms=ordered, comparisons=comparisons,
        srm=st.sample_ratio([a.visitors for a in ordered if a.weight],
                            [a.weight for a in ordered if a.weight]),
        daily=_daily(rows, (control.control, control.variant_id) if control else (True, None),
                     list(arms)),
        window_days=app_settings.CONVERSION_WINDOW_DAYS)
    bandit_report.amend(report, run, rows, segment)  # a bandit's section and SRM check
    _guards(report, control)
    return report


def program_report(days: int = 90) -> Report:
    """Personalized visitors against the global holdout (rollups without a run)."""
    since = timezone.localdate() - timedelta(days=days)
    rows = list(DailyRollup.objects.filter(run=None, segment=None, day__gte=since)
                .order_by("day"))
    share = app_settings.GLOBAL_HOLDOUT_PERCENT
    control = Arm("Global holdout", True, None, share)
    personalized = Arm("Personalized", False, None, 100 - share)
    for row in rows:
        (control if row.control else personalized).add(row)
    arms = [control, personalized]
    measured = control.visitors > 0
    report = Report(
        title="Personalization as a whole", started=rows[0].day if rows else None,
        ended=None, days=(date.today() - rows[0].day).days if rows else 0, arms=arms,
        comparisons=[_compare(personalized, control)] if measured else [],
        srm=st.sample_ratio([control.visitors, personalized.visitors], [share, 100 - share])
        if share else st.SampleRatio(None, False),
        daily=_daily(rows, (True, None), [(True, None), (False, None)]),
        window_days=app_settings.CONVERSION_WINDOW_DAYS)
    _guards(report, control if measured else None)
    if not share:
        report.warnings.insert(0, "The global holdout is off now (GLOBAL_HOLDOUT_PERCENT = 0): "
                                  "set it to, say, 5 to keep measuring what personalization as "
                                  "a whole adds.")
    return report
