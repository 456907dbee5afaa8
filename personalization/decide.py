"""The decision: which campaign and variant a slot shows to this visitor, and why."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .conf import app_settings
from .rulebook import Note, bucket

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
        return [str(n) for n in self.notes]

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
    """The kill switch (a django-waffle switch) turns every slot to its default.

    Read once per request, so all slots of a page agree."""
    cached = ctx.__dict__.get("_switched_off")
    if cached is not None:
        return cached
    name = app_settings.KILL_SWITCH
    off = False
    if name:
        import waffle

        off = waffle.switch_is_active(name)
    ctx.__dict__["_switched_off"] = off
    return off


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
    reasons: list[Any] = []
    if not slot.campaigns:
        reasons.append("no live campaign on this slot")
    now = ctx.now
    now_ts = int(time.time())
    for campaign in slot.campaigns:
        problem = campaign.schedule_problem(now)
        if problem:
            reasons.append(Note("{}: skipped, {}", _Label(campaign), problem))
            continue
        if slot.kind == "popup" and ctx.popup_slot and ctx.popup_slot != slot_key:
            reasons.append(Note("{}: skipped, another popup is already on this page",
                                _Label(campaign)))
            continue
        if campaign.cap_impressions is not None and ctx.caps.count(
                campaign.id, campaign.cap_period_hours, now_ts) >= campaign.cap_impressions:
            reasons.append(Note("{}: skipped, frequency cap of {} per {} h reached",
                                _Label(campaign), campaign.cap_impressions,
                                campaign.cap_period_hours))
            continue
        if campaign.waffle_flag and not ctx.flag_active(campaign.waffle_flag):
            reasons.append(Note("{}: skipped, flag '{}' is not active", _Label(campaign),
                                campaign.waffle_flag))
            continue
        matched = _audience(campaign, ctx, book)
        if matched is None:
            reasons.append(Note("{}: skipped, not in its audience ({})", _Label(campaign),
                                _AudienceNotes(campaign, ctx, book)))
            continue
        reasons.append(Note("{}: {}", _Label(campaign), matched))
        if not campaign.variants:
            reasons.append(Note("{}: has no variants, showing the default",
                                _Label(campaign)))
            return Decision(slot=slot_key, notes=reasons, slot_kind=slot.kind)
        return _bucket(slot_key, slot.kind, campaign, ctx, reasons)
    reasons.append("showing the default content")
    return Decision(slot=slot_key, notes=reasons, slot_kind=slot.kind)


class _Label:
    __slots__ = ("campaign",)

    def __init__(self, campaign: CompiledCampaign) -> None:
        self.campaign = campaign

    def __str__(self) -> str:
        return f"campaign '{self.campaign.name}' (priority {self.campaign.priority})"


class _AudienceNotes:
    __slots__ = ("book", "campaign", "ctx")

    def __init__(self, campaign: CompiledCampaign, ctx: VisitorContext, book: Any) -> None:
        self.campaign, self.ctx, self.book = campaign, ctx, book

    def __str__(self) -> str:
        notes = []
        for segment_id in self.campaign.segment_ids:
            segment = self.book.segments.get(segment_id)
            name = segment.name if segment else f"#{segment_id}"
            notes.append(f"'{name}': {self.ctx.segment_note(segment_id) or 'no match'}")
        return "; ".join(notes)


def _audience(campaign: CompiledCampaign, ctx: VisitorContext, book: Any) -> Note | None:
    if not campaign.segment_ids:
        return Note("audience is everybody")
    for segment_id in campaign.segment_ids:
        if ctx.in_segment(segment_id):
            segment = book.segments.get(segment_id)
            return Note("visitor is in segment '{}' ({})", segment.name,
                        ctx._segment_notes.get(segment_id, ""))
    return None


def _bucket(slot_key: str, kind: str, campaign: CompiledCampaign, ctx: VisitorContext,
            reasons: list[str]) -> Decision:
    bucket_id = ctx.bucket_id
    if campaign.holdout_percent and bucket(bucket_id, campaign.id) * 100 < \
            campaign.holdout_percent:
        reasons.append(Note("held out as control ({}% holdout): showing the default content",
                            campaign.holdout_percent))
        return Decision(slot=slot_key, campaign=campaign, control=True, notes=reasons,
                        slot_kind=kind)
    variant = campaign.pick_variant(bucket_id)
    if len(campaign.variants) > 1:
        reasons.append(Note("variant '{}' by weighted bucketing ({} of {})", variant,
                            variant.weight, sum(v.weight for v in campaign.variants)))
    else:
        reasons.append(Note("variant '{}'", variant))
    return Decision(slot=slot_key, campaign=campaign, variant=variant, notes=reasons,
                    slot_kind=kind)
