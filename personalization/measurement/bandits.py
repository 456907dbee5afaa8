"""Bandit campaigns: the weights each update gives the variants, on a beat cadence.

A bandit's weights are each variant's posterior probability of being best on the run's
decision metric (Thompson sampling, computed from the daily rollups with a fixed seed, never
per request): Beta posteriors for a conversion rate or a goal, normal approximations for
revenue per visitor. Two guards keep it honest:

- exploration: equal weights until the run has lasted BANDIT_EXPLORATION_DAYS and every
  variant has BANDIT_MIN_CONVERSIONS converting visitors (or goals);
- evidence: the weights move from equal towards the chance to be best only as far as an
  always-valid test says the variants differ at all (the leader against each other
  variant, Bonferroni-corrected). Chance to be best alone swings around forever when the
  variants are equal (it is uniformly spread, however much data there is), which would send
  most traffic to an arm that is no better; with the evidence gate equal variants keep
  about equal traffic, and a real difference moves it as soon as it shows.

Then every variant keeps BANDIT_FLOOR_PERCENT of the bandit's traffic, so a variant that
started badly goes on being measured and can recover. A fixed holdout stays outside the
bandit. The weights reach web processes through the RuleBook (``Campaign.bandit_weights``,
compiled into it); every update is stored as a :class:`BanditUpdate`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from django.db import router, transaction
from django.db.models import Sum
from django.utils import timezone

from personalization.cache import app_cache
from personalization.conf import app_settings
from personalization.engine import rulebook
from personalization.measurement.statistics import sequence_p_value
from personalization.models import (
    Allocation,
    BanditUpdate,
    Campaign,
    DailyRollup,
    ExperimentRun,
)

#: Posterior draws per update for the chance to be best (±1 percentage point or better).
DRAWS = 2000
#: The sample the evidence gate's confidence sequences are tuned for when the run's plan
#: names none (visitors in two arms together).
DEFAULT_TUNED_FOR = 10_000
LOCK_KEY = "pz:bandits:updating"


@dataclass(frozen=True)
class ArmFigures:
    """One variant's sums over a run (or one segment of it), for one metric."""

    visitors: int
    successes: float  # converting visitors, or visitors who reached the goal
    total: float = 0.0  # revenue (or goal value), for revenue per visitor
    squares: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {"visitors": self.visitors, "successes": self.successes,
                "total": round(self.total, 2), "squares": round(self.squares, 2)}


def figures_of(row: dict[str, Any], metric: str) -> ArmFigures:
    """An arm's figures for ``metric`` from summed rollup columns."""
    visitors = int(row.get("visitors") or 0)
    if metric == "goal":
        return ArmFigures(visitors, float(row.get("goals") or 0),
                          float(row.get("goal_value") or 0),
                          float(row.get("goal_value_sq") or 0))
    return ArmFigures(visitors, float(row.get("converters") or 0),
                      float(row.get("revenue") or 0), float(row.get("revenue_sq") or 0))


# -- The weights: pure functions on arrays of shape (..., arms) ----------------------------

def means_and_variances(metric: str, n: np.ndarray, successes: np.ndarray,
                        total: np.ndarray, squares: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Each arm's mean and per-visitor variance: of a 0/1 outcome, or of revenue."""
    safe = np.maximum(n, 1)
    if metric == "revenue":
        mean = total / safe
        var = np.maximum(squares - total * total / safe, 0) / np.maximum(n - 1, 1)
        return mean, var
    mean = successes / safe
    return mean, mean * (1 - mean)


def posterior_draws(rng: np.random.Generator, metric: str, n: np.ndarray,
                    successes: np.ndarray, total: np.ndarray, squares: np.ndarray,
                    draws: int = DRAWS) -> np.ndarray:
    """Draws of every arm's mean from its posterior, shape (..., draws, arms): Beta(1 + s,
    1 + n − s) for a rate, normal around revenue per visitor with its standard error."""
    size = (*n.shape[:-1], draws, n.shape[-1])
    if metric != "revenue":
        a = (1 + successes)[..., None, :]
        b = (1 + np.maximum(n - successes, 0))[..., None, :]
        return rng.beta(a, b, size=size)
    mean, var = means_and_variances(metric, n, successes, total, squares)
    # An arm with next to no visitors knows nothing: a spread as wide as the others' means.
    vague = np.maximum(np.abs(mean).max(axis=-1, keepdims=True), 1.0) * 10
    se = np.where(n >= 2, np.sqrt(var / np.maximum(n, 1)), vague)
    return rng.normal(mean[..., None, :], np.maximum(se, 1e-12)[..., None, :], size=size)


def probability_best(draws: np.ndarray) -> np.ndarray:
    """Share of the draws in which each arm is best, shape (..., arms)."""
    arms = draws.shape[-1]
    best = draws.argmax(axis=-1)
    return np.stack([(best == k).mean(axis=-1) for k in range(arms)], axis=-1)


_p_value = np.vectorize(sequence_p_value, otypes=[float])


def evidence(metric: str, n: np.ndarray, successes: np.ndarray, total: np.ndarray,
             squares: np.ndarray, tuned_for: float = DEFAULT_TUNED_FOR) -> np.ndarray:
    """How sure an always-valid test is that the variants differ at all, 0 to 1, shape
    (...): one minus the smallest Bonferroni-corrected p-value of the leader against each
    other arm (confidence sequences: valid however often the weights are updated)."""
    mean, var = means_and_variances(metric, n, successes, total, squares)
    arms = n.shape[-1]
    if arms < 2:
        return np.zeros(n.shape[:-1])
    lead = mean.argmax(axis=-1)[..., None]
    pick = np.take_along_axis
    d = pick(mean, lead, -1) - mean
    se = np.sqrt(pick(var, lead, -1) / np.maximum(pick(n, lead, -1), 1)
                 + var / np.maximum(n, 1))
    total_n = (pick(n, lead, -1) + n).astype(int)
    p = _p_value(d, se, total_n, float(tuned_for))
    p = np.where(np.arange(arms) == lead, np.inf, p)
    return 1 - np.minimum(1, p.min(axis=-1) * (arms - 1))


def allocate(p_best: np.ndarray, gate: np.ndarray, floor: float) -> np.ndarray:
    """The weights: from equal towards the chance to be best as far as the evidence goes,
    then every arm given at least ``floor`` (exactly, without renormalising it away)."""
    arms = p_best.shape[-1]
    mixed = (1 - gate[..., None]) / arms + gate[..., None] * p_best
    floor = min(max(floor, 0.0), 0.5 / arms)
    return floor + (1 - arms * floor) * mixed


def thompson_weights(rng: np.random.Generator, metric: str, n: np.ndarray,
                     successes: np.ndarray, total: np.ndarray, squares: np.ndarray, *,
                     days: float | np.ndarray, floor: float | None = None,
                     tuned_for: float = DEFAULT_TUNED_FOR, draws: int = DRAWS,
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(weights, chance to be best, evidence, explored) for arrays of the arms' figures,
    shape (..., arms); equal weights where exploration is not over (the run is younger
    than BANDIT_EXPLORATION_DAYS or an arm has fewer than BANDIT_MIN_CONVERSIONS)."""
    floor = app_settings.BANDIT_FLOOR_PERCENT / 100 if floor is None else floor
    p_best = probability_best(posterior_draws(rng, metric, n, successes, total, squares,
                                              draws))
    gate = evidence(metric, n, successes, total, squares, tuned_for)
    done = (np.asarray(days) >= app_settings.BANDIT_EXPLORATION_DAYS) & (
        successes.min(axis=-1) >= app_settings.BANDIT_MIN_CONVERSIONS)
    weights = np.where(done[..., None], allocate(p_best, gate, floor),
                       1 / n.shape[-1])
    return weights, p_best, gate, done


# -- One update of one run -----------------------------------------------------------------

@dataclass
class Step:
    """The weights an update gives (variant id -> share), and what they came from."""

    phase: str
    weights: dict[str, float]
    p_best: dict[str, float] = field(default_factory=dict)
    evidence: float = 0.0
    figures: dict[str, ArmFigures] = field(default_factory=dict)

    def stored_figures(self) -> dict[str, dict[str, float]]:
        return {key: {**f.as_dict(), "p_best": round(self.p_best.get(key, 0.0), 4)}
                for key, f in self.figures.items()}


def equal(keys: Iterable[str]) -> dict[str, float]:
    keys = list(keys)
    return {k: 1 / len(keys) for k in keys} if keys else {}


def step(metric: str, figures: dict[str, ArmFigures], *, days: float, seed: Any,
         tuned_for: float | None = None) -> Step:
    """The weights of one update from the arms' figures (keys: variant ids)."""
    keys = list(figures)
    if len(keys) < 2:
        return Step(BanditUpdate.Phase.LEARNING, equal(keys), {k: 1.0 for k in keys}, 0.0,
                    figures)
    arrays = [np.array([getattr(figures[k], name) for k in keys], dtype=float)
              for name in ("visitors", "successes", "total", "squares")]
    weights, p_best, gate, done = thompson_weights(
        np.random.default_rng(seed), metric, *arrays, days=days,
        tuned_for=tuned_for or DEFAULT_TUNED_FOR)
    return Step(BanditUpdate.Phase.LEARNING if done else BanditUpdate.Phase.EXPLORING,
                {k: float(w) for k, w in zip(keys, weights, strict=True)},
                {k: float(p) for k, p in zip(keys, p_best, strict=True)}, float(gate),
                figures)


# -- The beat task ---------------------------------------------------------------------------

def bandit_runs() -> list[ExperimentRun]:
    """Open bandit runs of live campaigns whose weights are not frozen."""
    return list(ExperimentRun.objects.filter(
        ended_at=None, allocation=Allocation.BANDIT,
        campaign__status=Campaign.Status.LIVE, campaign__bandit_frozen=False)
        .select_related("campaign").order_by("pk"))


def _sums(runs: list[ExperimentRun]) -> dict[tuple[int, int | None, int], dict[str, Any]]:
    """(run, segment, variant) -> summed rollup columns of the runs' variants (one query),
    from the primary: the weights decide, so they never read a replica that lags."""
    primary = router.db_for_write(DailyRollup)
    rows = (DailyRollup.objects.using(primary)
            .filter(run__in=runs, control=False, variant__isnull=False)
            .values("run_id", "segment_id", "variant_id")
            .annotate(visitors=Sum("visitors"), converters=Sum("converters"),
                      revenue=Sum("revenue"), revenue_sq=Sum("revenue_sq"),
                      goals=Sum("goals"), goal_value=Sum("goal_value"),
                      goal_value_sq=Sum("goal_value_sq")))
    return {(r["run_id"], r["segment_id"], r["variant_id"]): r for r in rows}


def _audiences(runs: list[ExperimentRun]) -> dict[int, list[int]]:
    """Campaign id -> its computed audience segments, for runs learning per segment."""
    ids = [r.campaign_id for r in runs if r.bandit_per_segment]
    through = Campaign.segments.through
    out: dict[int, list[int]] = {}
    for campaign_id, segment_id in through.objects.filter(
            campaign_id__in=ids, segment__kind="computed").order_by(
            "segment_id").values_list("campaign_id", "segment_id"):
        out.setdefault(campaign_id, []).append(segment_id)
    return out


def update_bandits(now: datetime | None = None) -> int:
    """Give every open bandit run its new weights from the rollups (Celery beat, every
    BANDIT_UPDATE_INTERVAL): store each update, put the weights on the campaigns and make
    every web process rebuild its RuleBook. Returns the number of runs updated."""
    cache = app_cache()
    if not cache.add(LOCK_KEY, 1, 600):
        return 0  # another update is under way
    try:
        return _update(now or timezone.now())
    finally:
        cache.delete(LOCK_KEY)


@transaction.atomic
def _update(now: datetime) -> int:
    runs = bandit_runs()
    if not runs:
        return 0
    sums = _sums(runs)
    audiences = _audiences(runs)
    updates: list[BanditUpdate] = []
    campaigns: list[Campaign] = []
    for run in runs:
        keys = list(run.weights)
        days = (now - run.started_at).total_seconds() / 86400
        seed = [run.pk, int(now.timestamp())]

        def figures(segment: int | None, run: ExperimentRun = run, keys: list = keys
                    ) -> dict[str, ArmFigures]:
            return {k: figures_of(sums.get((run.pk, segment, int(k)), {}), run.metric)
                    for k in keys}

        overall = step(run.metric, figures(None), days=days, seed=seed,
                       tuned_for=run.expected_visitors)
        updates.append(_row(run, None, now, overall))
        state = {"run": run.pk, "weights": overall.weights, "segments": {},
                 "at": now.isoformat()}
        for segment in audiences.get(run.campaign_id, ()) if run.bandit_per_segment else ():
            own = step(run.metric, figures(segment), days=days, seed=[*seed, segment],
                       tuned_for=run.expected_visitors)
            if own.phase == BanditUpdate.Phase.EXPLORING:  # too little data: the overall
                own = Step(BanditUpdate.Phase.FALLBACK, overall.weights, own.p_best,
                           own.evidence, own.figures)
            else:
                state["segments"][str(segment)] = own.weights
            updates.append(_row(run, segment, now, own))
        run.campaign.bandit_weights = state
        campaigns.append(run.campaign)
    BanditUpdate.objects.bulk_create(updates, batch_size=1000)
    Campaign.objects.bulk_update(campaigns, ["bandit_weights"], batch_size=500)
    _publish()
    return len(runs)


def _publish() -> None:
    """Make every web process rebuild its RuleBook with the new weights: now (this
    transaction's own next decision) and on commit (no process keeps the old ones)."""
    rulebook.invalidate()
    transaction.on_commit(rulebook.invalidate)


def _row(run: ExperimentRun, segment: int | None, now: datetime, s: Step) -> BanditUpdate:
    return BanditUpdate(run=run, segment_id=segment, at=now, phase=s.phase,
                        weights={k: round(w, 6) for k, w in s.weights.items()},
                        figures=s.stored_figures(),
                        evidence=round(s.evidence, 4) if math.isfinite(s.evidence) else 0)


def follow_run(campaign: Campaign, run: ExperimentRun | None) -> None:
    """Keep the campaign's bandit weights in step with its open run (called when a run
    starts or ends): a new bandit run starts with equal weights, recorded as its first
    update; without a bandit run the campaign has none."""
    state = campaign.bandit_weights or {}
    if run is None or not run.is_bandit:
        if state:
            Campaign.objects.filter(pk=campaign.pk).update(bandit_weights={})
            _publish()
        return
    if state.get("run") == run.pk:
        return
    weights = equal(run.weights)
    BanditUpdate.objects.create(run=run, at=run.started_at, phase=BanditUpdate.Phase.EXPLORING,
                                weights=weights)
    state = {"run": run.pk, "weights": weights, "segments": {},
             "at": run.started_at.isoformat()}
    Campaign.objects.filter(pk=campaign.pk).update(bandit_weights=state)
    campaign.bandit_weights = state
    _publish()


def set_frozen(campaign: Campaign, frozen: bool) -> None:
    """Freeze the bandit's weights where they are (no update moves them), or thaw them."""
    Campaign.objects.filter(pk=campaign.pk).update(bandit_frozen=frozen)
    campaign.bandit_frozen = frozen
