"""The decision: which campaign and variant a slot shows to this visitor, and why."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .rulebook import bucket, render_note

if TYPE_CHECKING:
    from .context import VisitorContext
    from .models import ContentVariant
    from .rulebook import CompiledCampaign

logger = logging.getLogger(__name__)


@dataclass
class Decision:
    """What a slot shows. ``variant`` None means the template's default content; with
    ``control`` True the visitor was held out of ``campaign`` (and that is measured)."""

    slot: str
    campaign: CompiledCampaign | None = None
    variant: ContentVariant | None = None
    control: bool = False
    notes: list[Any] = field(default_factory=list)
    slot_kind: str = ""

    @property
    def reasons(self) -> list[str]:
        """Why, in words: one line per campaign considered, then the outcome."""
        lines: list[str] = []
        for note in self.notes:
            if isinstance(note, tuple) and note[0] is _walk:
                lines.extend(render_note(n) for n in _walk(*note[1:]))
            else:
                lines.append(render_note(note))
        return lines

    @property
    def campaign_id(self) -> int | None:
        return self.campaign.id if self.campaign else None

    @property
    def variant_id(self) -> int | None:
        return self.variant.pk if self.variant is not None else None

    @property
    def shows_variant(self) -> bool:
        return self.variant is not None and not self.control


def personalization_off(ctx: VisitorContext) -> bool:
    """The kill switch (the django-waffle switch named by ``KILL_SWITCH``) turns every slot
    to its default. Its state is part of the RuleBook, so reading it costs nothing."""
    return ctx.rulebook.switched_off


def choose(slot_key: str, ctx: VisitorContext) -> Decision:
    """Decide what ``slot_key`` shows to the visitor in ``ctx`` (memoised per request).

    Campaigns of the slot are tried highest priority first; the first that is in schedule,
    under its frequency cap and whose audience matches wins. The visitor is bucketed by a
    stable hash of (visitor, campaign): the holdout share sees the default content as
    control, the rest get a variant picked by weight. Never raises: a failure is logged and
    the slot shows its default.
    """
    if slot_key in ctx.decisions:
        return ctx.decisions[slot_key]
    try:
        decision = _choose(slot_key, ctx)
    except Exception as exc:  # the page always renders
        logger.exception("Decision for slot %r failed", slot_key)
        decision = Decision(slot=slot_key, notes=[f"error, showing the default: {exc}"])
    ctx.decisions[slot_key] = decision
    ctx.touched = True
    if decision.campaign is not None:
        ctx.impressions.append(decision)
        if decision.slot_kind == "popup" and decision.shows_variant:
            ctx.popup_slot = slot_key
    return decision


def _choose(slot_key: str, ctx: VisitorContext) -> Decision:
    if personalization_off(ctx):
        return Decision(slot=slot_key, notes=["personalization is switched off"])
    book = ctx.rulebook
    slot = book.slots.get(slot_key)
    if slot is None:
        return Decision(slot=slot_key, notes=[f"no slot '{slot_key}' is defined"])
    campaigns = slot.campaigns
    if not campaigns:
        return Decision(slot=slot_key, slot_kind=slot.kind,
                        notes=["no live campaign on this slot", "showing the default content"])
    if slot.kind == "popup" and ctx.popup_slot and ctx.popup_slot != slot_key:
        return Decision(slot=slot_key, slot_kind=slot.kind, notes=[
            (_walk, campaigns, len(campaigns), {}, ctx, book, "popup"),
            "showing the default content"])
    now = ctx.now
    now_ts = int(time.time())
    memo = ctx._segments
    in_segment = ctx.in_segment
    blocked: dict[int, Any] = {}
    dismissed = ctx.caps.dismissed
    # The hot loop records nothing for a campaign whose audience does not match: the
    # reasons for those are rebuilt from the memoised segment results only when read.
    for index, campaign in enumerate(campaigns):
        if dismissed and dismissed.get(str(campaign.id), 0) > now_ts:
            blocked[index] = ("{}: skipped, dismissed by the visitor", campaign.label)
            continue
        if not campaign.simple:
            note = _blocked(campaign, ctx, now, now_ts)
            if note is not None:
                blocked[index] = note
                continue
        segment_ids = campaign.segment_ids
        if not segment_ids:
            matched: Any = "audience is everybody"
        else:
            matched = None
            for segment_id in segment_ids:
                inside = memo.get(segment_id)
                if inside is None:
                    inside = in_segment(segment_id)
                if inside:
                    matched = ("visitor is in segment '{}' ({})",
                               book.segments[segment_id].name, (ctx.segment_note, segment_id))
                    break
            if matched is None:
                continue
        notes = [(_walk, campaigns, index, blocked, ctx, book, ""),
                 ("{}: {}", campaign.label, matched)]
        if not campaign.variants:
            notes.append(("{}: has no variants, showing the default", campaign.label))
            return Decision(slot=slot_key, notes=notes, slot_kind=slot.kind)
        return _bucket(slot_key, slot.kind, campaign, ctx, notes)
    return Decision(slot=slot_key, slot_kind=slot.kind, notes=[
        (_walk, campaigns, len(campaigns), blocked, ctx, book, ""),
        "showing the default content"])


def _walk(campaigns: list[CompiledCampaign], stop: int, blocked: dict[int, Any],
          ctx: VisitorContext, book: Any, popup: str) -> list[Any]:
    """The notes of the campaigns passed over before ``stop``, in priority order."""
    if popup:
        return [("{}: skipped, another popup is already on this page", c.label)
                for c in campaigns[:stop]]
    return [blocked.get(i) or ("{}: skipped, not in its audience ({})", c.label,
                               (_audience_notes, c, ctx, book))
            for i, c in enumerate(campaigns[:stop])]


def _blocked(campaign: CompiledCampaign, ctx: VisitorContext, now: Any,
             now_ts: int) -> Any:
    """Schedule, frequency cap and waffle flag: the note of the one that rules the campaign
    out, or None."""
    if not campaign.always:
        problem = campaign.schedule_problem(now)
        if problem:
            return ("{}: skipped, {}", campaign.label, problem)
    if campaign.cap_impressions is not None and ctx.caps.count(
            campaign.id, campaign.cap_period_hours, now_ts) >= campaign.cap_impressions:
        return ("{}: skipped, frequency cap of {} per {} h reached", campaign.label,
                campaign.cap_impressions, campaign.cap_period_hours)
    if campaign.waffle_flag and not ctx.flag_active(campaign.waffle_flag):
        return ("{}: skipped, flag '{}' is not active", campaign.label, campaign.waffle_flag)
    return None


def _audience_notes(campaign: CompiledCampaign, ctx: VisitorContext, book: Any) -> str:
    parts = []
    for segment_id in campaign.segment_ids:
        segment = book.segments.get(segment_id)
        name = segment.name if segment else f"#{segment_id}"
        parts.append(f"'{name}': {ctx.segment_note(segment_id) or 'no match'}")
    return "; ".join(parts)


def _bucket(slot_key: str, kind: str, campaign: CompiledCampaign, ctx: VisitorContext,
            notes: list[Any]) -> Decision:
    if not ctx.remembered:
        # No consent to remember the visitor: no stable bucket, no experiment.
        variant = campaign.variants[0]
        notes.append(("variant '{}': the first, since the visitor is not remembered (no "
                      "personalization or analytics consent) and takes part in no experiment",
                      variant))
        return Decision(slot=slot_key, campaign=campaign, variant=variant, notes=notes,
                        slot_kind=kind)
    bucket_id = ctx.bucket_id
    if campaign.holdout_percent and bucket(bucket_id, campaign.id) * 100 < \
            campaign.holdout_percent:
        notes.append(("held out as control ({}% holdout): showing the default content",
                      campaign.holdout_percent))
        return Decision(slot=slot_key, campaign=campaign, control=True, notes=notes,
                        slot_kind=kind)
    variant = campaign.pick_variant(bucket_id)
    if len(campaign.variants) > 1:
        notes.append(("variant '{}' by weighted bucketing ({} of {})", variant,
                      variant.weight, campaign.total_weight))
    else:
        notes.append(("variant '{}'", variant))
    return Decision(slot=slot_key, campaign=campaign, variant=variant, notes=notes,
                    slot_kind=kind)
