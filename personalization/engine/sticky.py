"""Sticky bandit arms: a visitor keeps the variant he was first given in a bandit run.

Hash bucketing alone would hand a visitor another variant whenever the bandit's weights
move. So the first variant drawn for him in a run (by his stable hash point, against the
weights in force then) is kept with his identity: in the signed visitor cookie (the latest
MAX_STICKY_RUNS runs) and, for a customer who allows personalization, on his profile, which
the warm path already has (the cached snapshot): reading them costs no query. Only a
remembered visitor (the consent bucketing needs) takes part; erasing him erases both.
A new arm is written to the profile once, at the end of the request that drew it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple

from personalization.engine.cookies import bounded_arms
from personalization.engine.rulebook import bucket_of, pick_weighted

if TYPE_CHECKING:
    from personalization.engine.context import VisitorContext
    from personalization.engine.rulebook import CompiledBandit, CompiledCampaign
    from personalization.models import ContentVariant

_NEW_ARMS = "personalization.sticky.new"


class BanditArm(NamedTuple):
    """The visitor's variant in a bandit run, and how he got it."""

    variant: ContentVariant
    weight: float  # its share of the bandit's traffic now, 0 to 1
    kept: bool  # stored before this request (else drawn now by the current weights)
    segment: object = None  # the audience segment whose own weights drew it, if any


def stored_arm(ctx: VisitorContext, run_key: str) -> int | None:
    """The variant id kept for the visitor in the run: his profile's, else his cookie's."""
    profile = ctx.profile
    if profile is not None and run_key in profile.arms:
        return profile.arms[run_key]
    return ctx.state.arms.get(run_key)


def bandit_arm(campaign: CompiledCampaign, ctx: VisitorContext) -> BanditArm:
    """The remembered visitor's variant in the campaign's bandit run: the one he was given
    before, else one drawn by his hash point against the weights in force (his audience
    segment's own, when the bandit learns per segment), which is then kept."""
    bandit = campaign.bandit
    segment = _learning_segment(campaign, ctx) if bandit.segments else None
    weights = bandit.weights_for(segment.id) if segment is not None else bandit.weights
    stored = stored_arm(ctx, bandit.run_key)
    found = campaign.variants_by_id.get(stored) if stored is not None else None
    if found is not None:
        variant, index = found
        if ctx.profile is not None or ctx.state.arms.get(bandit.run_key) != variant.pk:
            remember(ctx, bandit, variant.pk)  # in his cookie and on his profile both
        return BanditArm(variant, weights[index], True)
    point = bucket_of(f"{ctx.bucket_id}:{campaign.id}:variant".encode())
    variant = pick_weighted(campaign.variants, weights, point)
    remember(ctx, bandit, variant.pk)
    return BanditArm(variant, weights[campaign.variants_by_id[variant.pk][1]], False,
                     segment if segment is not None and segment.id in bandit.segments
                     else None)


def leading_variant(campaign: CompiledCampaign) -> ContentVariant:
    """The variant with the largest overall weight (for a visitor who is not remembered:
    he takes part in no experiment, and gets what earns most)."""
    weights = campaign.bandit.weights
    return campaign.variants[weights.index(max(weights))]


def _learning_segment(campaign: CompiledCampaign, ctx: VisitorContext) -> object:
    """The first audience segment the visitor is in, for a bandit learning per segment."""
    for segment in campaign.segments:
        if ctx.segment_verdict(segment.id).matched:
            return segment
    return None


def remember(ctx: VisitorContext, bandit: CompiledBandit, variant_id: int) -> None:
    """Keep the arm in his cookie and, when his profile lacks it, mark it for
    :func:`save` at the end of the request."""
    ctx.state.remember_arm(bandit.run_id, variant_id)
    profile = ctx.profile
    if profile is not None and profile.arms.get(bandit.run_key) != variant_id:
        ctx.request_memo(_NEW_ARMS, dict)[bandit.run_key] = variant_id


def save(ctx: VisitorContext) -> None:
    """Write the arms drawn on this request to the customer's profile (one UPDATE, only on
    a request that drew one) and to his cached snapshot, so the next request reads them
    without a query. Called by the middleware; never for a preview."""
    from personalization.engine.profiles import replace_cached
    from personalization.models import VisitorProfile

    new = ctx.request_memo(_NEW_ARMS)
    profile = ctx.profile if new else None
    if profile is None or ctx.is_preview:
        return
    arms = bounded_arms({**{k: v for k, v in profile.arms.items() if k not in new}, **new})
    VisitorProfile.objects.filter(pk=profile.profile_id).update(arms=arms)
    replace_cached(ctx.user.pk, replace(profile, arms=arms))
