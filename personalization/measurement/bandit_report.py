"""The bandit's part of a run's report: its weights over time and why they moved, each
variant's period-weighted figures, what the bandit gained against an equal split, and the
sample-ratio check against the weights that were in force.

Hooked into ``reports.run_report`` in two places: :func:`arm_rows` (the arm table and the
comparisons with control read period-weighted figures) and :func:`amend` (the section, and
the sample-ratio check replaced by the bandit's own).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext as _

from personalization.conf import app_settings
from personalization.engine.request_facts import store_timezone
from personalization.measurement import statistics as st
from personalization.measurement.bandit_estimates import (
    Period,
    gain_over_equal_split,
    period_weighted,
    period_weighted_rows,
    pooled,
    weights_by_day,
)
from personalization.models import BanditUpdate, ContentVariant, DailyRollup, ExperimentRun

#: Rollup columns that are outcomes (scaled per period), and those of them that count.
OUTCOMES = ("converters", "orders", "revenue", "revenue_sq", "orders_sq", "revenue_orders",
            "clicks", "goals", "goal_value", "goal_value_sq", "pre_revenue",
            "pre_revenue_sq", "pre_revenue_revenue")
COUNTS = ("converters", "orders", "clicks", "goals")
CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 640, 200, 30
COLORS = ("#2563eb", "#d97706", "#059669", "#9333ea", "#dc2626", "#0891b2")


def arm_rows(run: ExperimentRun, rows: list[DailyRollup]) -> list[DailyRollup]:
    """The rows the report sums per arm: for a bandit, its variants' rows scaled so each
    arm's sums give its period-weighted figures (control's share never moved)."""
    if not run.is_bandit:
        return rows
    variants = [r for r in rows if not r.control and r.variant_id is not None]
    return [r for r in rows if r.control or r.variant_id is None] + period_weighted_rows(
        variants, OUTCOMES, COUNTS)


@dataclass
class ArmLine:
    label: str
    variant_id: int
    color: str
    weight: float | None  # in force now
    p_best: float | None  # at the latest update
    visitors: int
    pooled: float | None  # the plain mean over the run (biased when weights moved)
    estimate: st.Estimate  # the period-weighted mean with its 95 % interval


@dataclass
class SegmentLine:
    name: str
    phase: str
    weights: list[tuple[str, float]]


@dataclass
class BanditSection:
    metric: str  # in words: "conversion rate", ...
    rate: bool  # the metric is a share of visitors (else an amount per visitor)
    phase: str
    frozen: bool
    explanation: str
    arms: list[ArmLine]
    gain: st.Estimate
    gain_unit: str  # "conversions", "goals" or the currency
    equal_total: float | None  # what an equal split would have earned, for scale
    srm: st.SampleRatio
    updates: int
    last_update: datetime | None
    chart: list[dict[str, Any]] = field(default_factory=list)  # one polyline per arm
    chart_days: tuple[str, str] = ("", "")
    segments: list[SegmentLine] = field(default_factory=list)
    size: tuple[int, int] = (CHART_WIDTH, CHART_HEIGHT)
    #: All the bandit's visitors against the fixed holdout (its share never moved, so the
    #: pooled figures are fair): what the bandit as a whole earns; None without a holdout.
    versus_holdout: st.Estimate | None = None


def metric_words(run: ExperimentRun) -> str:
    if run.metric == "revenue":
        return _("revenue per visitor")
    if run.metric == "goal":
        return _("reaching the goal “%(goal)s”") % {"goal": run.goal_event}
    return _("conversion rate")


def _arrays(run: ExperimentRun, rows: list[DailyRollup], keys: list[int]
            ) -> tuple[list, np.ndarray, np.ndarray, np.ndarray | None]:
    """(days, visitors, successes or sums, squares or None) per day × variant."""
    days = sorted({r.day for r in rows})
    index = {(r.day, r.variant_id): r for r in rows if not r.control}

    def grid(name: str) -> np.ndarray:
        return np.array([[float(getattr(index.get((d, k)), name, 0) or 0) for k in keys]
                         for d in days]).reshape(len(days), len(keys))

    visitors = grid("visitors")
    if run.metric == "revenue":
        return days, visitors, grid("revenue"), grid("revenue_sq")
    return days, visitors, grid("goals" if run.metric == "goal" else "converters"), None


def _explain(run: ExperimentRun, latest: BanditUpdate | None, labels: dict[str, str],
             frozen: bool, weakest: float) -> str:
    metric = metric_words(run)
    if frozen:
        return _("The weights are frozen: no update moves them until you unfreeze them.")
    if latest is None or latest.phase == BanditUpdate.Phase.EXPLORING:
        return _("Exploring: every variant gets the same share until the run has lasted "
                 "%(days)s days and every variant has %(minimum)s successes on %(metric)s "
                 "(the fewest so far: %(fewest)s).") % {
            "days": app_settings.BANDIT_EXPLORATION_DAYS,
            "minimum": app_settings.BANDIT_MIN_CONVERSIONS, "metric": metric,
            "fewest": int(weakest)}
    chances = {k: f.get("p_best", 0.0) for k, f in latest.figures.items()}
    leader = max(chances, key=chances.get) if chances else None
    if leader is None:
        return ""
    text = _("%(arm)s has a %(chance)s %% chance to be best on %(metric)s, so it gets "
             "%(weight)s %% of the bandit's traffic.") % {
        "arm": labels.get(leader, leader), "chance": round(chances[leader] * 100),
        "metric": metric, "weight": round(latest.weights.get(leader, 0) * 100)}
    if latest.evidence < 0.5:
        text += " " + _("The variants do not clearly differ yet (evidence %(evidence)s %%), "
                        "so the weights stay close to equal.") % {
            "evidence": round(latest.evidence * 100)}
    return text


def section(run: ExperimentRun, rows: list[DailyRollup], segment: Any = None
            ) -> BanditSection:
    """The bandit section of the run's report (for everybody, or one computed segment)."""
    keys = [int(k) for k in run.weights]
    names = dict(ContentVariant.objects.filter(pk__in=keys).values_list("pk", "name"))
    labels = {str(k): _("Variant “%(name)s”") % {"name": names.get(k, k)} for k in keys}
    updates = list(BanditUpdate.objects.filter(run=run, segment=None).order_by("at", "pk"))
    own = list(BanditUpdate.objects.filter(run=run, segment=segment).order_by("at", "pk")
               ) if segment is not None else []
    learning_own = [u for u in own if u.phase == BanditUpdate.Phase.LEARNING]
    in_force = learning_own or updates  # a segment's own weights where it has them
    latest = in_force[-1] if in_force else None
    days, visitors, successes, squares = _arrays(run, rows, keys)
    rate = squares is None
    if days:
        estimate, variance = period_weighted(visitors, successes, squares)
        plain = pooled(visitors, successes)
    else:
        estimate = variance = plain = np.zeros(len(keys))
    weights_now = latest.weights if latest else {}
    arms = [ArmLine(
        label=labels[str(k)], variant_id=k, color=COLORS[i % len(COLORS)],
        weight=weights_now.get(str(k)),
        p_best=(latest.figures.get(str(k)) or {}).get("p_best") if latest else None,
        visitors=int(visitors[:, i].sum()) if days else 0,
        pooled=float(plain[i]) if days and visitors[:, i].sum() else None,
        estimate=_interval(float(estimate[i]), float(variance[i]))
        if days and visitors[:, i].sum() else st.NONE)
        for i, k in enumerate(keys)]
    control_rows = [r for r in rows if r.control]
    srm = _sample_ratio(run, days, visitors, control_rows,
                        [Period(u.at, u.weights) for u in in_force], keys)
    fewest = min((f.get("successes", 0) for f in (latest.figures if latest else {}).values()),
                 default=0)
    gain = gain_over_equal_split(visitors, estimate, variance) if days else st.NONE
    total_n = visitors.sum() if days else 0
    return BanditSection(
        metric=metric_words(run), rate=rate,
        phase=latest.get_phase_display() if latest else "",
        frozen=run.campaign.bandit_frozen,
        explanation=_explain(run, latest, labels, run.campaign.bandit_frozen, fewest),
        arms=arms, gain=gain,
        gain_unit=(app_settings.CURRENCY if run.metric == "revenue" else
                   _("goals") if run.metric == "goal" else _("conversions")),
        equal_total=float(total_n * estimate.mean()) if total_n else None,
        srm=srm, updates=len(in_force), last_update=latest.at if latest else None,
        chart=_chart(in_force, arms, run.started_at), chart_days=_chart_days(in_force, run),
        segments=_segments(run, labels) if run.bandit_per_segment and segment is None else [],
        versus_holdout=_versus_holdout(run, rows))


def _versus_holdout(run: ExperimentRun, rows: list[DailyRollup]) -> st.Estimate | None:
    held = [r for r in rows if r.control]
    served = [r for r in rows if not r.control]
    if not held or not served:
        return None

    def sums(part: list[DailyRollup], name: str) -> float:
        return float(sum(getattr(r, name) or 0 for r in part))

    n1, n0 = int(sums(served, "visitors")), int(sums(held, "visitors"))
    if run.metric == "revenue":
        return st.welch(n1, sums(served, "revenue"), sums(served, "revenue_sq"),
                        n0, sums(held, "revenue"), sums(held, "revenue_sq"))
    column = "goals" if run.metric == "goal" else "converters"
    return st.difference_of_proportions(int(sums(served, column)), n1,
                                        int(sums(held, column)), n0)


def _interval(value: float, variance: float) -> st.Estimate:
    se = variance ** 0.5
    return st.Estimate(value, value - st.Z95 * se, value + st.Z95 * se)


def _sample_ratio(run: ExperimentRun, days: list, visitors: np.ndarray, control_rows: list,
                  periods: list[Period], keys: list[int]) -> st.SampleRatio:
    """Each arm's visitors against the weights in force on their day (and control's fixed
    share): a bandit that learns per segment is checked per segment only."""
    if not days or (run.bandit_per_segment and not periods):
        return st.SampleRatio(None, False)
    tz = store_timezone()
    shares = weights_by_day(periods, days, tz, [str(k) for k in keys])
    control = run.control_share
    if control:
        by_day = {r.day: r.visitors for r in control_rows}
        held = np.array([by_day.get(d, 0) for d in days], dtype=float)[:, None]
        counts = np.hstack([held, visitors])
        shares = np.hstack([np.full((len(days), 1), control), (1 - control) * shares])
    else:
        counts = visitors
    expected = (counts.sum(axis=1, keepdims=True) * shares).sum(axis=0)
    return st.sample_ratio([int(v) for v in counts.sum(axis=0)], list(expected))


def _chart(updates: list[BanditUpdate], arms: list[ArmLine], started: datetime
           ) -> list[dict[str, Any]]:
    """A step line per arm of its weight from update to update, up to now (coordinates
    for the template's SVG)."""
    if not updates:
        return []
    start = min(started, updates[0].at).timestamp()
    end = max(timezone.now().timestamp(), updates[-1].at.timestamp() + 1)
    width, height, pad = CHART_WIDTH, CHART_HEIGHT, CHART_PAD

    def x(t: float) -> float:
        return round(pad + (width - 2 * pad) * (t - start) / (end - start), 1)

    def y(w: float) -> float:
        return round(height - pad - (height - 2 * pad) * w, 1)

    lines = []
    for arm in arms:
        key = str(arm.variant_id)
        points: list[str] = []
        for i, update in enumerate(updates):
            weight = update.weights.get(key, 0.0)
            until = updates[i + 1].at.timestamp() if i + 1 < len(updates) else end
            points += [f"{x(update.at.timestamp())},{y(weight)}", f"{x(until)},{y(weight)}"]
        lines.append({"label": arm.label, "color": arm.color, "points": " ".join(points)})
    return lines


def _chart_days(updates: list[BanditUpdate], run: ExperimentRun) -> tuple[str, str]:
    if not updates:
        return "", ""
    first = min(run.started_at, updates[0].at)
    return (timezone.localtime(first).date().isoformat(),
            timezone.localdate().isoformat())


def _segments(run: ExperimentRun, labels: dict[str, str]) -> list[SegmentLine]:
    """The latest weights of each audience segment (own, or the overall as fallback)."""
    latest: dict[int, BanditUpdate] = {}
    for update in BanditUpdate.objects.filter(run=run, segment__isnull=False).select_related(
            "segment").order_by("at", "pk"):
        latest[update.segment_id] = update
    return [SegmentLine(u.segment.name, u.get_phase_display(),
                        [(labels.get(k, k), w) for k, w in u.weights.items()])
            for u in sorted(latest.values(), key=lambda u: u.segment.name)]


def amend(report: Any, run: ExperimentRun, rows: list[DailyRollup], segment: Any = None
          ) -> None:
    """Give a bandit's report its section and its own sample-ratio check (the locked split
    says nothing about a bandit's shares)."""
    if not run.is_bandit:
        return
    report.bandit = section(run, rows, segment)
    report.srm = report.bandit.srm
