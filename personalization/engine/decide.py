"""The decision: which campaign and variant a slot shows to this visitor, and why.

Read top to bottom: :func:`choose` keeps one decision per slot and request; :func:`_decide`
walks the slot's live campaigns in priority order, and the first one the visitor may see
(schedule, cap, flag, dismissal) and whose audience he is in wins; :func:`_bucket` then
puts him in the holdout or picks a variant by weight. The walk passes only the campaigns the
slot's candidate index leaves for this visitor's cheap facts (candidates.py); ``explain``
and the preview walk them all, for a reason per campaign. Rules are answered once per
request by the context; nothing about the visitor outlives the request.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext_noop

from personalization.conf import app_settings
from personalization.engine.rulebook import bucket_of
from personalization.engine.segments import Reason
from personalization.engine.sticky import BanditArm, bandit_arm, leading_variant

if TYPE_CHECKING:
    from collections.abc import Iterable

    from personalization.engine.context import VisitorContext
    from personalization.engine.cookies import Caps
    from personalization.engine.rulebook import CompiledCampaign, CompiledSlot
    from personalization.models import ContentVariant

logger = logging.getLogger(__name__)

SWITCHED_OFF = Reason(gettext_noop("personalization is switched off"))
#: Slot kinds whose content shows later than the page (a popup on its trigger): their
#: exposure, and its frequency cap, count when the script shows it, not when it is rendered.
DEFERRED_KINDS = frozenset({"popup"})
DEFAULT = Reason(gettext_noop("showing the default content"))


@dataclass(slots=True)
class Decision:
    """What a slot shows. ``variant`` None means the template's default content; with
    ``control`` True the visitor was held out of ``campaign`` (and that is measured)."""

    slot: str
    slot_kind: str = ""
    campaign: CompiledCampaign | None = None
    variant: ContentVariant | None = None
    control: bool = False
    notes: list[Reason] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """Why, in words: one line per campaign considered, then the outcome."""
        return [str(note) for note in self.notes]

    def reasons_in_words(self) -> list[str]:
        """The reasons in the active language, numbers in its format (the preview panel);
        :attr:`reasons` stays English for logs, ``explain`` and the API."""
        return [note.in_words() for note in self.notes]

    @property
    def campaign_id(self) -> int | None:
        return self.campaign.id if self.campaign else None

    @property
    def variant_id(self) -> int | None:
        return self.variant.pk if self.variant is not None else None

    @property
    def shows_variant(self) -> bool:
        return self.variant is not None and not self.control


@dataclass
class Page:
    """The decisions of one request: a slot used twice is decided once, and only the first
    popup that shows a variant does."""

    decisions: dict[str, Decision] = field(default_factory=dict)
    popup_slot: str | None = None
    #: Whether the visitor is in the global holdout, worked out at the page's first slot.
    held_out: bool | None = None

    @property
    def exposures(self) -> list[Decision]:
        """The decisions in which a campaign won (a variant shown, or held out)."""
        return [d for d in self.decisions.values() if d.campaign is not None]


_PAGE = "personalization.decisions"


def page_of(ctx: VisitorContext) -> Page | None:
    """The decisions made so far for this request, or None when no slot was decided."""
    return ctx.request_memo(_PAGE)


def choose(slot_key: str, ctx: VisitorContext, *, explain: bool = False) -> Decision:
    """Decide what ``slot_key`` shows to the visitor in ``ctx`` (once per request).

    With ``explain`` (and in a preview) every campaign of the slot is walked, so the
    reasons name each one; otherwise only the candidates for the visitor's cheap facts are,
    and the campaigns the index left out (not in their audience) get no reason. The outcome
    is the same. Never raises: a failure is logged and the slot shows its default.
    """
    page: Page = ctx.request_memo(_PAGE, Page)
    decision = page.decisions.get(slot_key)
    if decision is not None:
        return decision
    try:
        decision = _decide(slot_key, ctx, page, explain)
    except Exception as exc:  # the page always renders
        logger.exception("Decision for slot %r failed", slot_key)
        decision = Decision(slot=slot_key, notes=[
            Reason(gettext_noop("error, showing the default: {}"), (exc,))])
    page.decisions[slot_key] = decision
    if decision.slot_kind == "popup" and decision.shows_variant:
        page.popup_slot = slot_key
    return decision


def _decide(slot_key: str, ctx: VisitorContext, page: Page, explain: bool = False
            ) -> Decision:
    book = ctx.rulebook
    if book.switched_off:  # the kill switch: every slot shows its default
        return Decision(slot=slot_key, notes=[SWITCHED_OFF])
    slot = book.slots.get(slot_key)
    if slot is None:
        return Decision(slot=slot_key, notes=[
            Reason(gettext_noop("no slot '{}' is defined"), (slot_key,))])
    if page.held_out is None:
        page.held_out = in_global_holdout(ctx)
    if page.held_out:
        return Decision(slot=slot_key, slot_kind=slot.kind, notes=[Reason(
            gettext_noop("in the global holdout ({}% of visitors see no personalization), "
                         "showing the default content"),
            (app_settings.GLOBAL_HOLDOUT_PERCENT,))])
    if not slot.campaigns:
        return Decision(slot=slot_key, slot_kind=slot.kind,
                        notes=[Reason(gettext_noop("no live campaign on this slot")), DEFAULT])
    if slot.kind == "popup" and page.popup_slot not in (None, slot_key):
        notes = [Reason(gettext_noop("{}: skipped, another popup is already on this page"),
                        (c.label,)) for c in slot.campaigns]
        return Decision(slot=slot_key, slot_kind=slot.kind, notes=[*notes, DEFAULT])
    notes: list[Reason] = []
    now_ts = int(time.time())
    caps = ctx.caps if ctx.has_dismissals() else None
    checkout = slot.kind == "popup" and ctx.on_checkout
    for campaign in _walked(slot, ctx, explain):
        if checkout and not campaign.popup_on_checkout:
            notes.append(Reason(gettext_noop("{}: skipped, no popup opens on the cart or "
                                             "checkout unless its campaign allows it"),
                                (campaign.label,)))
            continue
        if caps is not None or not campaign.simple:  # a dismissal, schedule, cap or flag
            why_not = _ruled_out(campaign, ctx, caps, now_ts)
            if why_not is not None:
                notes.append(why_not)
                continue
        inside, why = _audience(campaign, ctx)
        notes.append(why)
        if inside:
            decision = _bucket(slot, campaign, ctx, notes)
            if explain or ctx.is_preview:  # a reason for each campaign, those below too
                below = slot.campaigns[slot.campaigns.index(campaign) + 1:]
                notes += (Reason(_NOT_REACHED, (other.label,)) for other in below)
            return decision
    notes.append(DEFAULT)
    return Decision(slot=slot_key, slot_kind=slot.kind, notes=notes)


def _walked(slot: CompiledSlot, ctx: VisitorContext, explain: bool
            ) -> Iterable[CompiledCampaign]:
    """The campaigns to walk: all of them to explain (and in a preview, or with simulated
    segments, whose memberships no rule decides); else the index's candidates."""
    if explain or ctx.is_preview or ctx.simulated_segments is not None or slot.index is None:
        return slot.campaigns
    return slot.index.candidates(ctx)


def in_global_holdout(ctx: VisitorContext) -> bool:
    """Whether the visitor is in the share that sees no personalization anywhere (sticky,
    by his canonical visitor id; a visitor who is not remembered is never held out). A
    segment's preview (or explain's) stands for its members, not for one visitor: the
    global holdout, a share of real visitors, is not theirs to be in."""
    return ctx.simulated_segments is None and ctx.remembered and held_out(ctx.bucket_id)


def held_out(bucket_id: object, share: float | None = None) -> bool:
    """Whether this canonical visitor id falls in the global holdout (``share`` percent,
    by default ``GLOBAL_HOLDOUT_PERCENT``)."""
    share = app_settings.GLOBAL_HOLDOUT_PERCENT if share is None else share
    return bool(share) and bucket_of(f"{bucket_id}:global".encode()) * 100 < share


def _ruled_out(campaign: CompiledCampaign, ctx: VisitorContext, caps: Caps | None,
               now_ts: int) -> Reason | None:
    """Why the visitor may not see the campaign now (a dismissal, with ``caps`` when he
    dismissed anything; its schedule, its cap or its flag), or None."""
    label = campaign.label
    if caps is not None and caps.is_dismissed(campaign.id, now_ts):
        return Reason(gettext_noop("{}: skipped, dismissed by the visitor"), (label,))
    if campaign.simple:  # no schedule, cap or flag
        return None
    if not campaign.always:
        problem = campaign.schedule_problem(ctx.now)
        if problem:
            return Reason(gettext_noop("{}: skipped, {}"), (label, problem))
    if campaign.cap_impressions is not None and ctx.caps.count(
            campaign.id, campaign.cap_period_hours, now_ts) >= campaign.cap_impressions:
        return Reason(gettext_noop("{}: skipped, frequency cap of {} per {} h reached"),
                      (label, campaign.cap_impressions, campaign.cap_period_hours))
    if campaign.waffle_flag and not ctx.flag_active(campaign.waffle_flag):
        return Reason(gettext_noop("{}: skipped, flag '{}' is not active"),
                      (label, campaign.waffle_flag))
    return None


def _audience(campaign: CompiledCampaign, ctx: VisitorContext) -> tuple[bool, Reason]:
    """Whether the visitor is in the campaign's audience (any of its segments; none named
    means everybody), and why."""
    if not campaign.segment_ids:
        return True, Reason(_EVERYBODY, (campaign.label,))
    parts: list[object] = []
    for segment in campaign.segments:
        verdict = ctx.segment_verdict(segment.id)
        if verdict.matched:
            return True, Reason(_IN_SEGMENT, (campaign.label, segment, verdict.reason))
        parts += (segment, verdict.reason)
    return False, Reason(_NOT_IN_AUDIENCE, (campaign.label,
                                            Reason(campaign.audience_text, tuple(parts))))


_WEIGHTED = gettext_noop("variant '{}' by weighted bucketing ({} of {})")
_VARIANT = gettext_noop("variant '{}'")
_EVERYBODY = gettext_noop("{}: audience is everybody")
_IN_SEGMENT = gettext_noop("{}: visitor is in segment '{}' ({})")
_NOT_IN_AUDIENCE = gettext_noop("{}: skipped, not in its audience ({})")
_NOT_REACHED = gettext_noop("{}: not reached, a campaign above it won")


def arm_of(campaign: CompiledCampaign, ctx: VisitorContext) -> tuple[bool, ContentVariant | None]:
    """(held out as control, the variant): the visitor's arm of the campaign, by a stable
    hash of (visitor, campaign). A visitor who is not remembered gets the first variant (a
    bandit's leading one). A bandit's holdout is the same fixed hash; its variant is the
    one he was given before in the run, else one drawn by the weights in force."""
    control, variant, _bandit = _arm(campaign, ctx)
    return control, variant


def _arm(campaign: CompiledCampaign, ctx: VisitorContext
         ) -> tuple[bool, ContentVariant | None, BanditArm | None]:
    """:func:`arm_of`, and how a bandit gave the variant (None: no bandit drew it)."""
    if not campaign.variants:
        return False, None, None
    if not ctx.remembered:
        return False, (leading_variant(campaign) if campaign.bandit is not None
                       else campaign.variants[0]), None
    bucket_id = ctx.bucket_id
    if campaign.control_share and (
            bucket_of(f"{bucket_id}:{campaign.id}".encode()) < campaign.control_share):
        return True, None, None
    if campaign.bandit is not None:
        arm = bandit_arm(campaign, ctx)
        return False, arm.variant, arm
    return False, campaign.pick_variant(bucket_id), None


def _leading(campaign: CompiledCampaign) -> Reason:
    return Reason(gettext_noop("bandit's leading one (bandit weight {} %)"), (
        round(max(campaign.bandit.weights) * 100),))


def _bandit_reason(arm: BanditArm) -> Reason:
    """"variant 'B' (bandit weight 62 %)", and whether he keeps it or it was drawn now."""
    if arm.kept:
        return Reason(_KEPT, (arm.variant, round(arm.weight * 100)))
    if arm.segment is not None:
        return Reason(_DRAWN_FOR_SEGMENT, (arm.variant, round(arm.weight * 100), arm.segment))
    return Reason(_DRAWN, (arm.variant, round(arm.weight * 100)))


_KEPT = gettext_noop("variant '{}' (bandit weight {} %), kept from his first exposure in "
                     "this run")
_DRAWN = gettext_noop("variant '{}' (bandit weight {} %), drawn by the current weights")
_DRAWN_FOR_SEGMENT = gettext_noop("variant '{}' (bandit weight {} %), drawn by the current "
                                  "weights learnt for segment '{}'")


def _bucket(slot: CompiledSlot, campaign: CompiledCampaign, ctx: VisitorContext,
            notes: list[Reason]) -> Decision:
    """The holdout or a variant (see :func:`arm_of`), and why."""
    decision = Decision(slot=slot.key, slot_kind=slot.kind, campaign=campaign, notes=notes)
    chosen = ctx.chosen_arm(campaign) if ctx.is_preview else None  # a staff preview's pick
    if chosen is not None:
        (control, variant), bandit = chosen, None
    else:
        control, variant, bandit = _arm(campaign, ctx)
    if chosen is not None:
        decision.control = control
        notes.append(Reason(gettext_noop("{} chosen for this preview"), (
            Reason(gettext_noop("control (the default content)")) if control
            else Reason(gettext_noop("variant '{}'"), (variant,)),)))
    elif control:
        decision.control = True
        share = round(campaign.control_share * 100, 1)
        notes.append(Reason(gettext_noop("held out as control ({}% holdout): showing the "
                                         "default content"),
                            (int(share) if share.is_integer() else share,)))
    elif variant is None:
        notes.append(Reason(gettext_noop("{}: has no variants, showing the default"),
                            (campaign.label,)))
        decision.campaign = None
    elif not ctx.remembered:
        # No consent to remember the visitor: no stable bucket, no experiment.
        if campaign.bandit is None:
            notes.append(Reason(gettext_noop(
                "variant '{}': the first, since the visitor is not remembered (no "
                "personalization or analytics consent) and takes part in no experiment"),
                (variant,)))
        else:
            notes.append(Reason(gettext_noop(
                "variant '{}': the {}, since the visitor is not remembered (no "
                "personalization or analytics consent) and takes part in no experiment"),
                (variant, _leading(campaign))))
    elif bandit is not None:
        notes.append(_bandit_reason(bandit))
    elif len(campaign.variants) > 1:
        notes.append(Reason(_WEIGHTED, (variant, variant.weight, campaign.total_weight)))
    else:
        notes.append(Reason(_VARIANT, (variant,)))
    # The merchant's texts in the visitor's language, where he gave them (the same variant).
    decision.variant = variant.in_language(ctx.language) if variant is not None else None
    return decision
