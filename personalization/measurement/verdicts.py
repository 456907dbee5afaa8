"""A run's verdict in words, from each arm's sums: always-valid or planned intervals on the
run's decision metric, Holm's correction across variants, trust guards, futility and the
guardrails. Pure: it takes figures, not rows, so simulations judge thousands of runs
through exactly the code the report uses. See docs/measurement.md."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

from django.utils.formats import localize, number_format
from django.utils.translation import gettext as _
from scipy import stats

from personalization.fields import format_money
from personalization.measurement import statistics as st

#: Metrics a run can be judged on, and the secondary ones watched as guardrails.
DECISION_METRICS = ("conversion", "revenue", "goal")
GUARDRAILS = ("conversion", "revenue", "aov")
#: Share of a run's visitors seen in more than one arm beyond which it is not trusted.
MULTI_ARM_LIMIT = 0.01
#: The sample a sequential run is tuned for when it has no plan (visitors in a comparison).
DEFAULT_TUNING = 10_000


class Figures(Protocol):
    """One arm's sums (measurement.reports.Arm)."""

    label: str
    visitors: int
    converters: int
    orders: int
    revenue: float
    revenue_sq: float
    orders_sq: float
    revenue_orders: float
    goals: int
    multi_arm: int

    @property
    def moments(self) -> st.Moments: ...

    def mean_of(self, metric: str) -> float | None: ...


class State:
    KEEP_RUNNING = "keep_running"
    WINNER = "winner"
    CONTROL_BETTER = "control_better"
    FUTILE = "futile"
    UNTRUSTED = "untrusted"
    NO_CONTROL = "no_control"


@dataclass(frozen=True)
class Terms:
    """How a run is judged (from the run: its metric, analysis and plan)."""

    metric: str = "conversion"
    sequential: bool = True
    tuned_for: float = DEFAULT_TUNING
    minimum_effect: float = 0.10
    planned_visitors: int | None = None
    min_conversions: int = 100
    min_days: int = 7
    alpha: float = st.ALPHA


@dataclass(frozen=True)
class Result:
    """One metric of one arm against control: the difference, its interval at ``level``
    (always-valid or fixed-horizon, as the run is judged) and its p-value."""

    metric: str
    interval: st.Estimate
    p_value: float | None
    level: float
    significant: bool

    @property
    def better(self) -> bool:
        return self.significant and (self.interval.value or 0) > 0

    @property
    def worse(self) -> bool:
        return self.significant and (self.interval.value or 0) < 0


@dataclass
class Verdict:
    state: str
    text: str
    winner: Figures | None = None
    #: Per arm compared (in order), its results by metric: the decision metric's and the
    #: guardrails'. Empty when the run is not trusted.
    results: list[dict[str, Result]] = field(default_factory=list)
    days_left: int | None = None
    guardrails: list[str] = field(default_factory=list)
    distrust: list[str] = field(default_factory=list)

    @property
    def trusted(self) -> bool:
        return self.state != State.UNTRUSTED


def metric_name(metric: str) -> str:
    return {"conversion": _("conversion rate"), "revenue": _("revenue per visitor"),
            "goal": _("goal rate"), "aov": _("average order value")}[metric]


def show(metric: str, value: float | None) -> str:
    """A difference in the metric's unit, signed, in the active language's format: the same
    words as the report's tables ("+1.20 pp", "−€ 0,30")."""
    if value is None:
        return "–"
    sign = "+" if value >= 0 else "−"
    if metric in ("revenue", "aov"):
        return sign + format_money(abs(value), thousands=True, localize=True)
    return sign + _("%(number)s pp") % {"number": number_format(
        abs(value) * 100, 2, use_l10n=True, force_grouping=True)}


def difference(metric: str, arm: Figures, control: Figures) -> tuple[float, float] | None:
    """(arm − control, its standard error) on ``metric``, or None without enough data.
    Revenue per visitor is CUPED-adjusted where there was revenue before the run."""
    n1, n0 = arm.visitors, control.visitors
    if n1 < 2 or n0 < 2:
        return None
    if metric in ("conversion", "goal"):
        x1, x0 = (arm.converters, control.converters) if metric == "conversion" else (
            arm.goals, control.goals)
        p1, p0 = x1 / n1, x0 / n0
        return p1 - p0, math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    if metric == "revenue":
        adjusted = st.cuped_moments(arm.moments, control.moments)
        if adjusted is None:
            (m1, v1) = st.mean_and_variance(n1, arm.revenue, arm.revenue_sq)
            (m0, v0) = st.mean_and_variance(n0, control.revenue, control.revenue_sq)
        else:
            (m1, v1), (m0, v0) = adjusted
        return m1 - m0, math.sqrt(v1 / n1 + v0 / n0)
    estimate = st.ratio_difference(
        (n1, arm.revenue, arm.revenue_sq, arm.orders, arm.orders_sq, arm.revenue_orders),
        (n0, control.revenue, control.revenue_sq, control.orders, control.orders_sq,
         control.revenue_orders))
    if estimate.value is None:
        return None
    return estimate.value, (estimate.high - estimate.low) / (2 * st.Z95)


def _p_value(d: float, se: float, n: int, terms: Terms) -> float:
    if terms.sequential:
        return st.sequence_p_value(d, se, n, terms.tuned_for)
    return st.fixed_p_value(d, se)


def _halfwidth(se: float, n: int, level: float, terms: Terms) -> float:
    if terms.sequential:
        return st.sequence_halfwidth(se, n, terms.tuned_for, level)
    return float(stats.norm.ppf(1 - level / 2)) * se


def _result(metric: str, d: float, se: float, n: int, level: float, terms: Terms,
            significant: bool | None = None) -> Result:
    h = _halfwidth(se, n, level, terms)
    p = _p_value(d, se, n, terms)
    low, high = d - h, d + h
    if metric in ("conversion", "goal"):  # a difference of shares lies within ±100 pp
        low, high = max(low, -1.0), min(high, 1.0)
    interval = st.Estimate(d, low, high)
    return Result(metric, interval, p, level,
                  interval.significant if significant is None else significant)


def decision_results(arms: list[Figures], control: Figures, terms: Terms
                     ) -> list[Result | None]:
    """The decision metric for each arm against control, Holm-corrected: each interval is
    read at the level Holm's step-down used for its arm, so an interval leaves out zero
    exactly when the arm's difference is called."""
    raw = []
    for arm in arms:
        figures = difference(terms.metric, arm, control)
        n = arm.visitors + control.visitors
        raw.append((figures, n, _p_value(*figures, n, terms) if figures else 1.0))
    order = sorted(range(len(arms)), key=lambda i: raw[i][2])
    m = len(arms)
    levels = [terms.alpha / m] * m
    stopped = None
    for rank, i in enumerate(order):
        level = terms.alpha / (m - rank)
        if stopped is None and raw[i][2] > level:
            stopped = level
        levels[i] = level if stopped is None else stopped
    out: list[Result | None] = []
    for (figures, n, _p), level in zip(raw, levels, strict=True):
        out.append(None if figures is None
                   else _result(terms.metric, *figures, n, level, terms))
    return out


def _needed(se: float, n: int, target: float, terms: Terms) -> int | None:
    """Visitors (in the comparison) at which the interval's half-width falls to
    ``target``, if the per-visitor spread stays as it is."""
    if target <= 0 or se <= 0:
        return None
    s2 = se * se * n

    def width(k: int) -> float:
        return _halfwidth(math.sqrt(s2 / k), k, terms.alpha, terms)

    if width(n) <= target:
        return n
    low, high = n, n
    while width(high) > target:
        high *= 2
        if high > 10**10:
            return None
    while high - low > max(1, low // 1000):
        mid = (low + high) // 2
        low, high = (low, mid) if width(mid) <= target else (mid, high)
    return high


def judge(arms: list[Figures], control: Figures | None, terms: Terms, *, days: int,
          srm: st.SampleRatio) -> Verdict:
    """The verdict on ``arms`` (every arm but control) against ``control``."""
    if control is None or not arms:
        return Verdict(State.NO_CONTROL, _("No control arm: nothing to compare against."))
    everybody = [control, *arms]
    distrust = []
    if srm.mismatch:
        distrust.append(_(
            "Sample ratio mismatch (p = %(p)s): the arms did not get the share of visitors "
            "the split promised; a bug in bucketing, caching or tracking is likely.")
            % {"p": localize(float(f"{srm.p_value:.2g}"))})
    visitors = sum(a.visitors for a in everybody)
    multi = sum(a.multi_arm for a in everybody)
    if visitors and multi / visitors > MULTI_ARM_LIMIT:
        distrust.append(_(
            "%(n)s visitors (%(share)s %%) saw more than one arm: the split is not sticky "
            "(a cache, or visitors without a lasting cookie).")
            % {"n": multi, "share": number_format(multi / visitors * 100, 1)})
    if distrust:
        return Verdict(State.UNTRUSTED, _("Do not trust this comparison until this is "
                                          "explained: ") + " ".join(distrust),
                       distrust=distrust)
    name = metric_name(terms.metric)
    decided = decision_results(arms, control, terms)
    results: list[dict[str, Result]] = []
    guardrails = []
    for arm, result in zip(arms, decided, strict=True):
        row = {terms.metric: result} if result else {}
        for metric in GUARDRAILS:
            if metric == terms.metric:
                continue
            figures = difference(metric, arm, control)
            if figures:
                n = arm.visitors + control.visitors
                row[metric] = _result(metric, *figures, n, terms.alpha, terms)
                if row[metric].worse:
                    guardrails.append(_(
                        "Guardrail: %(arm)s lowers the %(metric)s (%(value)s); weigh that "
                        "before promoting it.") % {"arm": arm.label,
                                                   "metric": metric_name(metric),
                                                   "value": show(metric,
                                                                 row[metric].interval.value)})
        results.append(row)
    verdict = Verdict(State.KEEP_RUNNING, "", results=results, guardrails=guardrails)

    # Enough data to judge at all.
    converted = [a.goals if terms.metric == "goal" else a.converters for a in everybody]
    if terms.planned_visitors and not terms.sequential:
        fewest = min(a.visitors for a in everybody)
        if fewest < terms.planned_visitors:
            rate = fewest / days if days else 0
            verdict.days_left = (math.ceil((terms.planned_visitors - fewest) / rate)
                                 if rate else None)
            verdict.text = _(
                "Keep running: this planned run is judged once every arm has %(planned)s "
                "visitors (the fewest has %(n)s so far)") % {
                "planned": number_format(terms.planned_visitors, force_grouping=True),
                "n": number_format(fewest, force_grouping=True)}
            verdict.text += _days(verdict.days_left)
            return verdict
    if min(converted) < terms.min_conversions or days < terms.min_days:
        rate = min(converted) / days if days else 0
        need = (math.ceil((terms.min_conversions - min(converted)) / rate)
                if rate and min(converted) < terms.min_conversions else 0)
        verdict.days_left = max(need, terms.min_days - days) if rate or days >= \
            terms.min_days else None
        verdict.text = _(
            "Keep running: each arm needs %(minimum)s converting visitors and the run "
            "%(days)s days before a verdict") % {"minimum": terms.min_conversions,
                                                  "days": terms.min_days}
        verdict.text += _days(verdict.days_left)
        return verdict

    winners = [(arm, r) for arm, r in zip(arms, decided, strict=True) if r and r.better]
    if winners:
        arm, result = max(winners, key=lambda w: w[1].interval.value or 0)
        verdict.state, verdict.winner = State.WINNER, arm
        verdict.text = _("%(arm)s wins on %(metric)s: %(value)s against %(control)s.") % {
            "arm": arm.label, "metric": name, "value": show(terms.metric,
                                                             result.interval.value),
            "control": control.label}
        return verdict
    base = control.mean_of(terms.metric) or 0
    margin = abs(base) * terms.minimum_effect
    worse = [r is not None and r.worse for r in decided]
    small = [r is not None and margin > 0 and -margin < r.interval.low
             and r.interval.high < margin for r in decided]
    reached = terms.planned_visitors and not terms.sequential
    if all(worse):
        verdict.state = State.CONTROL_BETTER
        verdict.text = _("%(control)s does better on %(metric)s than every variant: keep "
                         "the default.") % {"control": control.label, "metric": name}
    elif all(w or s for w, s in zip(worse, small, strict=True)) or reached:
        verdict.state = State.FUTILE
        verdict.text = (_(
            "No meaningful difference is likely: every variant is within ±%(effect)s %% of "
            "%(control)s on %(metric)s, the smallest change you said matters.") if not reached
            else _("No significant difference on %(metric)s at the planned size: the "
                   "variants are unlikely to differ from %(control)s by %(effect)s %% or "
                   "more.")) % {"effect": number_format(terms.minimum_effect * 100, 0),
                                "control": control.label, "metric": name}
        if any(worse):
            verdict.text += " " + _("Worse than control: %(arms)s.") % {"arms": ", ".join(
                a.label for a, w in zip(arms, worse, strict=True) if w)}
    else:
        needed = []
        for arm, r, w, sm in zip(arms, decided, worse, small, strict=True):
            if r is None or w or sm:
                continue
            figures = difference(terms.metric, arm, control)
            if figures is None:
                continue
            d, se = figures
            n = arm.visitors + control.visitors
            target = max(abs(d), margin - abs(d), margin / 2)
            k = _needed(se, n, target, terms)
            needed.append(None if k is None or not days else
                          math.ceil((k - n) / (n / days)))
        verdict.days_left = (max(needed) if needed and all(x is not None for x in needed)
                             else None)
        verdict.text = _("Keep running: no variant differs from %(control)s on %(metric)s "
                         "yet") % {"control": control.label, "metric": name}
        verdict.text += _days(verdict.days_left)
    return verdict


def _days(days: int | None) -> str:
    if days is None:
        return "."
    if days > 365:
        return _(" (more than a year at the current traffic: consider stopping).")
    return _(" (about %(days)s more days at the current traffic).") % {"days": max(days, 1)}
