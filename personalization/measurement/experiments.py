"""Experiment runs: a campaign with a holdout or several variants runs with a locked split.

A run starts when such a campaign is live and ends when it stops being live or an
experiment, when its split changes (the next run starts with the new split: visitors are
never silently reshuffled within a run) or when a winner is promoted.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from personalization.measurement.bandits import follow_run
from personalization.measurement.planning import plan_for
from personalization.models import Campaign, ContentVariant, ExperimentRun

#: What a running experiment locks: its split, and how it is judged.
LOCKED_WHILE_RUNNING = ("holdout_percent", "control_weight", "decision_metric", "goal_event",
                        "analysis", "minimum_effect_percent", "power_percent",
                        "planned_visitors")


def split_of(campaign: Campaign) -> tuple[int, dict[str, int]]:
    """(holdout %, {variant id: weight}) of the variants that can be shown (weight > 0)."""
    weights = {str(pk): weight for pk, weight in
               ContentVariant.objects.filter(campaign=campaign, weight__gt=0)
               .order_by("pk").values_list("pk", "weight")}
    return campaign.holdout_percent, weights


def is_experiment(holdout: int, weights: dict[str, int], control_weight: int | None = None
                  ) -> bool:
    return bool(weights) and (holdout > 0 or bool(control_weight) or len(weights) > 1)


def run_terms(campaign: Campaign) -> dict[str, Any]:
    """What a run locks when it starts, besides the split: the control's weight, the
    decision metric and how the run is judged."""
    return {"control_weight": campaign.control_weight, "metric": campaign.decision_metric,
            "goal_event": campaign.goal_event if campaign.decision_metric == "goal" else "",
            "analysis": campaign.analysis, "allocation": campaign.allocation,
            "bandit_per_segment": campaign.bandit_per_segment
            and campaign.allocation == "bandit",
            "minimum_effect_percent": campaign.minimum_effect_percent,
            "power_percent": campaign.power_percent}


def open_run(campaign: Campaign) -> ExperimentRun | None:
    return ExperimentRun.objects.filter(campaign=campaign, ended_at=None).first()


@transaction.atomic
def sync_run(campaign: Campaign) -> ExperimentRun | None:
    """Start, keep or end the campaign's run to match what it is now; returns the open run."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    holdout, weights = split_of(campaign)
    terms = run_terms(campaign)
    run = open_run(campaign)
    wanted = campaign.status == Campaign.Status.LIVE and is_experiment(
        holdout, weights, campaign.control_weight)
    if run is not None and (not wanted or (run.holdout_percent, run.weights) != (holdout,
                                                                                 weights)
                            or any(getattr(run, k) != v for k, v in terms.items())):
        run.ended_at = timezone.now()
        run.save(update_fields=["ended_at"])
        run = None
    if run is None and wanted:
        number = (ExperimentRun.objects.filter(campaign=campaign)
                  .aggregate(n=Max("number"))["n"] or 0) + 1
        run = ExperimentRun.objects.create(campaign=campaign, number=number,
                                           started_at=timezone.now(),
                                           holdout_percent=holdout, weights=weights, **terms)
        plan_run(run, campaign)
    follow_run(campaign, run)  # a new bandit run starts with equal weights; none: no weights
    return run


def plan_run(run: ExperimentRun, campaign: Campaign) -> None:
    """Fix the run's planned size (a planned run) and the sample its sequential intervals
    are tuned for, from the campaign's plan; set when the run starts."""
    plan = plan_for(campaign)
    planned = campaign.planned_visitors or (plan.visitors_per_arm if plan else None)
    arms = len(run.weights) + (1 if run.control_share else 0)
    run.planned_visitors = planned
    run.expected_visitors = planned * arms if planned else None
    run.save(update_fields=["planned_visitors", "expected_visitors"])


@transaction.atomic
def promote_winner(run: ExperimentRun, winner: ContentVariant, *,
                   keep_holdout: bool = False, by: Any = None, verdict: str = "",
                   reason: str = "") -> None:
    """Show ``winner`` to everybody in the audience (the other variants' weights become 0;
    the holdout stays only with ``keep_holdout``), and conclude the run, recording who
    promoted, what the report said then and, without a winner verdict, why."""
    if winner.campaign_id != run.campaign_id:
        raise ValueError("The winner must be a variant of the run's campaign.")
    ContentVariant.objects.filter(campaign_id=run.campaign_id).exclude(pk=winner.pk) \
        .update(weight=0)
    if not winner.weight:
        ContentVariant.objects.filter(pk=winner.pk).update(weight=1)
    campaign = run.campaign
    if not keep_holdout and (campaign.holdout_percent or campaign.control_weight):
        campaign.holdout_percent, campaign.control_weight = 0, None
        campaign.save(update_fields=["holdout_percent", "control_weight", "updated_at"])
    now = timezone.now()
    ExperimentRun.objects.filter(pk=run.pk).update(
        ended_at=run.ended_at or now, winner=winner, promoted_at=now,
        promoted_by=by if getattr(by, "pk", None) else None, promote_verdict=verdict,
        promote_reason=reason)
    sync_run(campaign)  # with the holdout kept, a new run measures the winner against it


def on_campaign_change(sender: Any, instance: Any = None, **kwargs: Any) -> None:
    """After a campaign or one of its variants is saved or deleted, on commit."""
    campaign_id = getattr(instance, "campaign_id", None) if not isinstance(
        instance, Campaign) else instance.pk
    if campaign_id is None:
        return

    def sync() -> None:
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is not None:
            sync_run(campaign)

    transaction.on_commit(sync)


def connect_signals() -> None:
    # Variants are polymorphic: their signals name the subclass as sender; listen to all.
    def changed(sender: Any, instance: Any = None, **kwargs: Any) -> None:
        if isinstance(instance, (Campaign, ContentVariant)):
            on_campaign_change(sender, instance)

    post_save.connect(changed, weak=False, dispatch_uid="pz_experiment_save")
    post_delete.connect(changed, weak=False, dispatch_uid="pz_experiment_delete")
