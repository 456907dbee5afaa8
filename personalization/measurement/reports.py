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
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from personalization.conf import app_settings
from personalization.measurement import bandit_report, verdicts
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
    goals: int = 0
    goal_value: float = 0.0
    goal_value_sq: float = 0.0

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
        self.goals += row.goals
        self.goal_value += row.goal_value
        self.goal_value_sq += row.goal_value_sq

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

    @property
    def goal_rate(self) -> float | None:
        return self.goals / self.visitors if self.visitors else None

    def mean_of(self, metric: str) -> float | None:
        """The arm's figure for a decision metric, per visitor."""
        return {"conversion": self.conversion_rate, "revenue": self.revenue_per_visitor,
                "goal": self.goal_rate, "aov": self.average_order_value}[metric]


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
    #: The run's own intervals (always-valid or planned) by metric, from the verdict.
    results: dict[str, verdicts.Result] = field(default_factory=dict)
    payback: st.Estimate = st.NONE

    @property
    def decision(self) -> verdicts.Result | None:
        return next(iter(self.results.values()), None)

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
    #: How the run is judged, and the judgement (state, results per arm, guardrails).
    terms: verdicts.Terms = field(default_factory=verdicts.Terms)
    judgement: verdicts.Verdict | None = None
    #: The arm the others are compared with: the holdout, or else the first variant.
    baseline: Arm | None = None

    @property
    def trusted(self) -> bool:
        """No trust guard failed: probabilities, ROI and payback may be shown."""
        return self.judgement is None or self.judgement.trusted

    @property
    def planned_reached(self) -> bool:
        """A planned run whose every arm has its planned visitors: only then are its
        fixed-horizon figures (and chances to beat control) fit to read."""
        planned = self.terms.planned_visitors
        return bool(planned) and all(a.visitors >= planned for a in self.arms)

    @property
    def against_control(self) -> bool:
        return self.baseline is not None and self.baseline.control

    @property
    def metric_name(self) -> str:
        return verdicts.metric_name(self.terms.metric)
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


def _n(count: int) -> str:
    """A count in a sentence, as the active language groups thousands."""
    return number_format(count, 0, use_l10n=True, force_grouping=True)


def _guards(report: Report, control: Arm | None) -> None:
    """The verdict on the run's decision metric, with the trust guards, the guardrails and
    the days-of-the-week advice as warnings."""
    others = [c.arm for c in report.comparisons]
    judgement = verdicts.judge(others, control, report.terms, days=report.days,
                               srm=report.srm)
    if report.ended and judgement.state == verdicts.State.KEEP_RUNNING:
        judgement.days_left = None
        judgement.text = _("No verdict: the run ended before its figures on %(metric)s were "
                           "conclusive.") % {"metric": verdicts.metric_name(report.terms.metric)}
    report.judgement, report.verdict = judgement, judgement.text
    for comparison, results in zip(report.comparisons, judgement.results, strict=False):
        comparison.results = results
    report.warnings.extend(judgement.guardrails)
    if judgement.trusted and report.days % 7 and control is not None:
        report.warnings.append(_(
            "The run has lasted %(days)s day(s): judge it on whole weeks, since shoppers "
            "behave differently on other weekdays.") % {"days": _n(report.days)})
    multi = sum(a.multi_arm for a in report.arms)
    if multi and judgement.trusted:
        report.warnings.append(_(
            "%(n)s visitor(s) saw more than one arm (they count in the first); many would "
            "mean the split is not sticky.") % {"n": _n(multi)})


def terms_of(run: ExperimentRun) -> verdicts.Terms:
    """How the run is judged: its decision metric, analysis, plan and the guards' minimums."""
    planned = run.planned_visitors
    return verdicts.Terms(
        metric=run.metric, sequential=run.analysis == "sequential",
        tuned_for=(2 * planned if planned else verdicts.DEFAULT_TUNING),
        minimum_effect=float(run.minimum_effect_percent) / 100,
        planned_visitors=planned if run.analysis == "planned" else None,
        min_conversions=app_settings.REPORT_MIN_CONVERSIONS,
        min_days=app_settings.REPORT_MIN_DAYS)


def run_report(run: ExperimentRun, segment: Segment | None = None) -> Report:
    """The run's report, for everybody or only the visitors whose customer is in the
    computed ``segment``."""
    rows = list(DailyRollup.objects.filter(run=run, segment=segment).order_by("day"))
    names = dict(ContentVariant.objects.filter(campaign_id=run.campaign_id)
                 .values_list("pk", "name"))
    arms: dict[tuple, Arm] = {}
    control_share = run.control_share * 100
    if control_share:
        arms[(True, None)] = Arm(_("Control (holdout)"), True, None, control_share)
    total = sum(run.weights.values()) or 1
    for n, (pk, weight) in enumerate(run.weights.items()):
        share = (100 - control_share) * weight / total
        name = names.get(int(pk), pk)
        label = (_("Variant '%(name)s' (baseline)") if n == 0 and not control_share
                 else _("Variant '%(name)s'")) % {"name": name}
        arms[(False, int(pk))] = Arm(label, False, int(pk), share)
    for row in bandit_report.arm_rows(run, rows):  # a bandit's: period-weighted
        arms.setdefault(_arm_key(row), Arm(_("Variant #%(id)s") % {"id": row.variant_id},
                                           False, row.variant_id)).add(row)
    ordered = list(arms.values())
    control = arms.get((True, None)) or (ordered[0] if len(ordered) > 1 else None)
    comparisons = [_compare(a, control) for a in ordered if control and a is not control]
    end = run.ended_at or timezone.now()
    days = max((end - run.started_at).days, 0)
    campaign = run.campaign
    margin = float(campaign.margin_percent if campaign.margin_percent is not None
                   else app_settings.MARGIN_PERCENT) / 100
    report = Report(
        title=(_("%(campaign)s: run %(n)s · customers in '%(segment)s'") % {
            "campaign": campaign.name, "n": run.number, "segment": segment.name} if segment
            else _("%(campaign)s: run %(n)s") % {"campaign": campaign.name, "n": run.number}),
        started=run.started_at,
        ended=run.ended_at, days=days, arms=ordered, comparisons=comparisons,
        srm=st.sample_ratio([a.visitors for a in ordered if a.weight],
                            [a.weight for a in ordered if a.weight]),
        daily=_daily(rows, (control.control, control.variant_id) if control else (True, None),
                     list(arms)),
        window_days=app_settings.CONVERSION_WINDOW_DAYS, terms=terms_of(run), baseline=control)
    bandit_report.amend(report, run, rows, segment)  # a bandit's section and SRM check
    _guards(report, control)
    _returns(report, margin, float(campaign.cost))
    return report


def _returns(report: Report, margin: float, cost: float) -> None:
    """ROI and payback from the revenue-per-visitor interval the run is judged with (the
    always-valid one for a sequential run), so they are no surer than the verdict."""
    for c in report.comparisons:
        revenue = c.results.get("revenue")
        uplift = revenue.interval if revenue is not None else c.rpv_judged
        c.roi = st.return_on_investment(uplift, c.arm.visitors, margin, cost,
                                        max(report.days, 1))
        c.payback = st.payback_days(c.roi.incremental_margin, cost, max(report.days, 1))


def program_report(days: int = 90) -> Report:
    """Personalized visitors against the global holdout (rollups without a run)."""
    since = timezone.localdate() - timedelta(days=days)
    rows = list(DailyRollup.objects.filter(run=None, segment=None, day__gte=since)
                .order_by("day"))
    share = app_settings.GLOBAL_HOLDOUT_PERCENT
    control = Arm(_("Global holdout"), True, None, share)
    personalized = Arm(_("Personalized"), False, None, 100 - share)
    for row in rows:
        (control if row.control else personalized).add(row)
    arms = [control, personalized]
    measured = control.visitors > 0
    report = Report(
        title=_("Personalization as a whole"), started=rows[0].day if rows else None,
        ended=None, days=(date.today() - rows[0].day).days if rows else 0, arms=arms,
        comparisons=[_compare(personalized, control)] if measured else [],
        srm=st.sample_ratio([control.visitors, personalized.visitors], [share, 100 - share])
        if share else st.SampleRatio(None, False),
        daily=_daily(rows, (True, None), [(True, None), (False, None)]),
        window_days=app_settings.CONVERSION_WINDOW_DAYS, baseline=control,
        terms=verdicts.Terms(metric="revenue", min_conversions=app_settings.REPORT_MIN_CONVERSIONS,
                             min_days=app_settings.REPORT_MIN_DAYS))
    _guards(report, control if measured else None)
    if not share:
        report.warnings.insert(0, _(
            "The global holdout is off now (GLOBAL_HOLDOUT_PERCENT = 0): set it to, say, 5 to "
            "keep measuring what personalization as a whole adds."))
    return report
