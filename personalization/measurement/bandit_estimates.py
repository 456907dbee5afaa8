"""Estimates that stay right while a bandit's weights move.

Pooling an arm's visitors over a run whose weights changed mixes periods in proportions
that differ from arm to arm: an arm that got most of its traffic in a good season looks
better than it is (Simpson's paradox). Each day of first exposure is a stratum here: an
arm's rate (or mean) is the average of its daily rates weighted by the day's share of all
the bandit's visitors, the same weights for every arm, so the comparison is like for like.
Days are the strata because the rollups are daily; the weights in force on a day are the
time-weighted average of the updates in force during it (see docs/bandits.md).

Arrays are (periods, ..., arms); every function is plain numpy on the rollups' sums.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from personalization.measurement import statistics as st


def pooled(visitors: np.ndarray, successes: np.ndarray) -> np.ndarray:
    """Each arm's plain rate over all periods (biased when the weights moved)."""
    n = visitors.sum(axis=0)
    return successes.sum(axis=0) / np.maximum(n, 1)


def period_shares(visitors: np.ndarray) -> np.ndarray:
    """Per period and arm, the weight of the arm's period mean in its estimate: the
    period's share of all visitors, over the periods in which the arm had visitors."""
    per_period = visitors.sum(axis=-1, keepdims=True) * np.ones_like(visitors)
    present = np.where(visitors > 0, per_period, 0.0)
    return present / np.maximum(present.sum(axis=0, keepdims=True), 1e-300)


def period_weighted(visitors: np.ndarray, successes: np.ndarray,
                    squares: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(estimate, its variance) of each arm's mean: ``successes`` are 0/1 counts (a rate)
    or, with ``squares``, sums of a value (revenue per visitor)."""
    w = period_shares(visitors)
    n = np.maximum(visitors, 1)
    mean = successes / n
    # The spread of one visitor's outcome from the arm's whole run, not from each period:
    # a period with few visitors and no conversion would claim no spread at all.
    total = np.maximum(visitors.sum(axis=0), 1)
    overall = successes.sum(axis=0) / total
    if squares is None:
        var = overall * (1 - overall)
    else:
        var = np.maximum(squares.sum(axis=0) - successes.sum(axis=0) * overall, 0) / \
            np.maximum(total - 1, 1)
    estimate = (w * mean).sum(axis=0)
    variance = (w * w / n).sum(axis=0) * var
    return estimate, variance


def gain_over_equal_split(visitors: np.ndarray, estimate: np.ndarray,
                          variance: np.ndarray) -> st.Estimate:
    """What the bandit's allocation earned against splitting the same visitors equally
    (conversions, goals or revenue), with its 95 % interval: Σ (Nₐ − N/k) · meanₐ."""
    n = visitors.sum(axis=0).astype(float)
    if n.sum() <= 0 or len(n) < 2:
        return st.NONE
    excess = n - n.sum() / len(n)
    value = float((excess * estimate).sum())
    se = float(np.sqrt((excess * excess * variance).sum()))
    return st.Estimate(value, value - st.Z95 * se, value + st.Z95 * se)


@dataclass(frozen=True)
class Period:
    """Weights in force from ``start`` (a bandit update), variant id -> share."""

    start: datetime
    weights: dict[str, float]


def weights_by_day(periods: Sequence[Period], days: Sequence[date], tz: Any,
                   keys: Sequence[str], now: datetime | None = None) -> np.ndarray:
    """The weights in force on each day (time-weighted over its updates), (days, arms);
    before the first update: equal. Today counts up to ``now`` only: an update made this
    morning was not in force over the hours still to come, and counting them made the
    sample-ratio check cry mismatch early in every day after an update."""
    out = np.full((len(days), len(keys)), 1 / max(len(keys), 1))
    ordered = sorted(periods, key=lambda p: p.start)
    now = now if now is not None else datetime.now(tz)
    for i, day in enumerate(days):
        start = datetime.combine(day, time(), tz)
        end = min(start + timedelta(days=1), max(now, start))
        total = np.zeros(len(keys))
        covered = 0.0
        for j, period in enumerate(ordered):
            until = ordered[j + 1].start if j + 1 < len(ordered) else end
            seconds = (min(until, end) - max(period.start, start)).total_seconds()
            if seconds > 0:
                total += seconds * np.array([period.weights.get(k, 0.0) for k in keys])
                covered += seconds
        if covered > 0:
            out[i] = total / covered
    return out


def sample_ratio(visitors: np.ndarray, weights: np.ndarray) -> st.SampleRatio:
    """The arms' visitors against the weights that were in force on each day (the
    bandit's sample-ratio check): expected visitors = Σ day's visitors × day's weight."""
    expected = (visitors.sum(axis=-1, keepdims=True) * weights).sum(axis=0)
    return st.sample_ratio([int(v) for v in visitors.sum(axis=0)], list(expected))


def period_weighted_rows(rows: list[Any], fields: Sequence[str], counts: Sequence[str],
                         ) -> list[Any]:
    """Copies of a bandit's daily rollup rows (variants only; control's share is fixed)
    with their outcome ``fields`` scaled so that an arm's sums give its period-weighted
    mean over its visitors (``counts`` are rounded to whole numbers): the report's arm
    table and comparisons then read period-weighted figures."""
    days = sorted({r.day for r in rows})
    keys = sorted({r.variant_id for r in rows})
    if not days or not keys:
        return list(rows)
    index = {(r.day, r.variant_id): r for r in rows}
    visitors = np.array([[getattr(index.get((d, k)), "visitors", 0) for k in keys]
                         for d in days], dtype=float)
    shares = period_shares(visitors)
    arm_totals = visitors.sum(axis=0)
    out = []
    for i, day in enumerate(days):
        for j, key in enumerate(keys):
            row = index.get((day, key))
            if row is None or not row.visitors:
                continue
            factor = shares[i, j] * arm_totals[j] / row.visitors
            scaled = {f: _scale(getattr(row, f), factor) for f in fields}
            out.append(replace_row(row, {f: round(v) if f in counts else v
                                         for f, v in scaled.items()}))
    return out


def _scale(value: Any, factor: float) -> Any:
    if isinstance(value, Decimal):
        return (value * Decimal(str(float(factor)))).quantize(Decimal("0.01"))
    return value * factor


def replace_row(row: Any, values: dict[str, Any]) -> Any:
    """An unsaved copy of a rollup row with some fields replaced."""
    copy = type(row)(**{f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields})
    for name, value in values.items():
        setattr(copy, name, value)
    return copy

