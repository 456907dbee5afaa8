"""The decision: which campaign and variant a slot shows to this visitor, and why."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from personalization.engine.rulebook import DENIED, answer_rule, bucket_of, render_note

if TYPE_CHECKING:
    from personalization.engine.context import VisitorContext
    from personalization.engine.rulebook import CompiledCampaign
    from personalization.models import ContentVariant

logger = logging.getLogger(__name__)


@dataclass(slots=True)
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
            (_walk, campaigns, len(campaigns), ctx, book, 0, "popup"),
            "showing the default content"])
    now_ts = int(time.time())
    found = _find(slot, ctx, book, now_ts)
    if found is None:
        return Decision(slot=slot_key, slot_kind=slot.kind, notes=[
            (_walk, campaigns, len(campaigns), ctx, book, now_ts),
            "showing the default content"])
    index, segment_id = found
    campaign = campaigns[index]
    notes = [(_walk, campaigns, index, ctx, book, now_ts),
             (_matched, campaign, segment_id, ctx, book)]
    if not campaign.variants:
        notes.append(("{}: has no variants, showing the default", campaign.label))
        return Decision(slot=slot_key, notes=notes, slot_kind=slot.kind)
    return _bucket(slot_key, slot.kind, campaign, ctx, notes)


# -- finding the winner ----------------------------------------------------------------
#
# The winner of a slot is the first campaign, in priority order, that is not blocked and
# whose audience matches. Which one that is depends only on the answers to a few questions
# asked in a fixed order: "what does rule k say?", "is the visitor in computed segment s?",
# "is campaign i blocked (schedule, cap, flag)?". Each slot keeps those questions as a
# decision tree, grown from the visitors seen so far: a visitor whose answers follow a
# known path gets the winner after as many dictionary steps as questions on the path
# (rules themselves still run once per request, memoised), instead of walking every
# campaign and segment. A new combination of answers walks the campaigns once and adds
# its path. The tree lives and dies with the RuleBook, and stops growing at TREE_BUDGET
# nodes per slot (visitors off the tree then take the walk).

TREE_BUDGET = 20_000

_RULE, _SEGMENT, _CAMPAIGN = 0, 1, 2


def _find(slot: Any, ctx: VisitorContext, book: Any,
          now_ts: int) -> tuple[int, int | None] | None:
    """(index of the winning campaign, the segment that let the visitor in, or None for
    an audience of everybody), or None when no campaign wins."""
    if ctx.dismissed_any or "segments" in ctx._given:
        # Dismissals and simulated memberships are this visitor's own: no shared tree.
        return _search(slot, ctx, book, now_ts, None)
    node = slot.facts  # [fact or question, {value or answer: node}], or a leaf (found,)
    if node is not None:
        try:
            while node.__class__ is list:
                ask = node[0]
                node = node[1].get(getattr(ctx, ask) if ask.__class__ is str
                                   else _answer(ask, slot, ctx, now_ts))
        except TypeError:  # an unhashable value (a dictionary)
            node = _follow_frozen(node, slot, ctx, now_ts)
        if node is not None:
            if node is _RULES:
                return _find_by_rules(slot, ctx, book, now_ts)
            return node[0]
    found = _find_by_rules(slot, ctx, book, now_ts)
    slot.facts_misses += 1
    if (slot.facts_misses - 1) % LEARN_EVERY == 0:  # misses 1, 1 + LEARN_EVERY, ...
        _learn(slot, ctx, found, now_ts)
    return found


def _find_by_rules(slot: Any, ctx: VisitorContext, book: Any,
                   now_ts: int) -> tuple[int, int | None] | None:
    node = slot.tree  # [kind, key, purpose, rule, {answer: node}], or a leaf (found,)
    while node.__class__ is list:
        kind, key, purpose, rule, children = node
        node = children.get(answer_rule(ctx, key, purpose, rule) if kind == _RULE
                            else _answer((kind, key, purpose, rule), slot, ctx, now_ts))
    if node is not None:
        return node[0]
    path: list[tuple[tuple, Any]] = []
    found = _search(slot, ctx, book, now_ts, path)
    _grow(slot, path, (found,))
    return found


def _answer(question: tuple, slot: Any, ctx: VisitorContext, now_ts: int) -> Any:
    if question[0] == _RULE:
        return answer_rule(ctx, *question[1:])
    if question[0] == _SEGMENT:
        return ctx.in_segment(question[1])
    return _blocked(slot.campaigns[question[1]], ctx, ctx.now, now_ts) is not None


def _search(slot: Any, ctx: VisitorContext, book: Any, now_ts: int,
            path: list | None) -> tuple[int, int | None] | None:
    """Walk the campaigns in priority order; with ``path``, write down each question
    asked (once) and its answer."""
    asked: dict[tuple, Any] = {}
    simulated = "segments" in ctx._given
    caps = ctx.caps if ctx.dismissed_any else None

    def ask(question: tuple) -> Any:
        name = question[:2]  # (kind, rule key / segment id / campaign index)
        if name in asked:
            return asked[name]
        answer = asked[name] = _answer(question, slot, ctx, now_ts)
        if path is not None:
            path.append((question, answer))
        return answer

    def ask_rule(key: int, purpose: str | None, rule: Any) -> Any:
        return ask((_RULE, key, purpose, rule))

    inside: dict[int, bool] = {}

    def in_segment(segment_id: int) -> bool:
        if segment_id not in inside:
            segment = book.segments.get(segment_id)
            if simulated:
                inside[segment_id] = ctx.in_segment(segment_id)
            elif segment is None or segment.checks is None:
                # Disabled, empty or unknown: never a member; computed: ask the profile.
                inside[segment_id] = bool(
                    segment is not None and segment.enabled and segment.computed
                    and ask((_SEGMENT, segment_id, None, None)))
            else:
                inside[segment_id] = segment.matches(ctx, ask_rule)
        return inside[segment_id]

    for index, campaign in enumerate(slot.campaigns):
        if caps is not None and caps.is_dismissed(campaign.id, now_ts):
            continue
        if not campaign.simple and ask((_CAMPAIGN, index, None, None)):
            continue
        if not campaign.segment_ids:
            return index, None
        for segment_id in campaign.segment_ids:
            if in_segment(segment_id):
                return index, segment_id
    return None


def _grow(slot: Any, path: list[tuple[tuple, Any]], leaf: tuple) -> None:
    """Add a walk's questions and answers to the slot's tree (same answers so far, same
    next question: the walk is deterministic)."""
    if slot.tree_size + len(path) + 1 > TREE_BUDGET:
        return
    chain: Any = leaf
    for question, answer in reversed(path):
        chain = [*question, {answer: chain}]
    if slot.tree is None:
        slot.tree = chain
        slot.tree_size += len(path) + 1
        return
    node = slot.tree
    for depth, (question, answer) in enumerate(path):
        if type(node) is not list or (node[0], node[1]) != question[:2]:
            return  # cannot happen for a deterministic walk; never corrupt the tree
        child = node[4].get(answer)
        if child is None:
            rest: Any = leaf
            for q, a in reversed(path[depth + 1:]):
                rest = [*q, {a: rest}]
            node[4][answer] = rest
            slot.tree_size += len(path) - depth
            return
        node = child


# -- the facts behind a walk ------------------------------------------------------------
#
# Rules are pure functions of the visitor's facts, so what a walk of the rule tree decides
# follows from the facts its rules read. Each slot keeps a second, much shallower tree over
# those facts themselves ("country?", "path?", "cart?"): a visitor whose facts were seen
# before gets the winner after one dictionary step per fact read, without running a rule.
# What is not a plain fact stays a question asked live on every request, as in the rule
# tree: a schedule, a cap, a flag, a computed segment, a rule that reads the time or
# anything else. A walk through a rule that raised is not learnt. The fact tree lives and
# dies with the RuleBook, starts again empty when it reaches FACT_TREE_BUDGET nodes, and
# learns from one miss in LEARN_EVERY, which is enough for the combinations that come back.

FACT_TREE_BUDGET = 5_000
#: A slot learns from one fact-tree miss in this many: combinations of facts that come back
#: often are soon learnt, and a stream of one-off visitors costs little learning.
LEARN_EVERY = 32

#: Facts a rule's answer may be keyed by: plain values that say the same thing on the next
#: request when they are equal. Not the time, the user object, cookies' states or the
#: RuleBook; a rule that reads one of those is asked live.
MEMO_FACTS = frozenset((
    "is_authenticated", "visitor_id", "bucket_id", "visit_count", "device", "country",
    "language", "referrer", "referrer_class", "utm_first", "utm_last", "path", "query",
    "category_ids", "cart", "profile", "category_affinity", "temperature",
    "allowed_purposes", "remembered",
))


class _Reads:
    """Stands in for the visitor context while a rule runs again, writing down the names
    of the facts (and anything else) it reads, in the order first read."""

    __slots__ = ("_ctx", "_names")

    def __init__(self, ctx: VisitorContext) -> None:
        object.__setattr__(self, "_ctx", ctx)
        object.__setattr__(self, "_names", {})

    def __getattribute__(self, name: str, _get: Any = object.__getattribute__) -> Any:
        _get(self, "_names")[name] = None
        return getattr(_get(self, "_ctx"), name)


#: A fact-tree leaf for a walk that cannot be learnt (a rule on it raised, or a fact had
#: no hashable form): the rule tree decides, and nobody tries to learn it again.
_RULES = ("decided by the rule tree",)
#: A fact value with no hashable form: it cannot be a key.
_UNHASHABLE = object()
#: What a rule "read" when it gave another answer against the recording stand-in than
#: against the context: not a fact, so the rule is asked live.
_IMPURE = ("(not a pure function of the facts)",)


def _key(value: Any) -> Any:
    """``value`` as a fact-tree key: itself, or for a dictionary (UTM parameters, the
    query) a hashable stand-in equal exactly when the dictionaries are; else _UNHASHABLE."""
    try:
        hash(value)
        return value
    except TypeError:
        if isinstance(value, dict):
            try:
                return (dict, frozenset(value.items()))
            except TypeError:
                pass
        return _UNHASHABLE


def _follow_frozen(node: Any, slot: Any, ctx: VisitorContext, now_ts: int) -> Any:
    """Go on down the fact tree from ``node``, making each value a key first."""
    while node.__class__ is list:
        ask = node[0]
        if ask.__class__ is str:
            key = _key(getattr(ctx, ask))
            if key is _UNHASHABLE:
                return _RULES
        else:
            key = _answer(ask, slot, ctx, now_ts)
        node = node[1].get(key)
    return node


def _learn(slot: Any, ctx: VisitorContext, found: tuple[int, int | None] | None,
           now_ts: int) -> None:
    """Add this visitor's walk of the rule tree to the slot's fact tree: for each rule, the
    facts it read (in order) or, if it read the clock or anything else but a plain fact,
    the rule itself as a question asked live; schedules, caps, flags and computed segments
    as questions asked live too; and the winner."""
    reads_of = ctx.__dict__.get("_rule_reads")
    if reads_of is None:  # which facts each rule read, for the other slots of the page
        reads_of = ctx.__dict__["_rule_reads"] = {}
    results = ctx._rule_results
    path: list[tuple[Any, Any]] = []
    seen: set[str] = set()

    def add(names: Any) -> bool:
        """Add the facts to the path in the order read, up to one that cannot be a key
        (then False: the facts read before it still decide that the rule reads it, so
        they stay on the path, and the rule is asked live after them)."""
        for name in names:
            if name in seen:
                continue
            if name not in MEMO_FACTS:
                return False
            value = _key(getattr(ctx, name))
            if value is _UNHASHABLE:
                return False
            seen.add(name)
            path.append((name, value))
        return True

    leaf: tuple = _RULES
    node = slot.tree
    while node.__class__ is list:
        kind, key, purpose, rule, children = node
        question = (kind, key, purpose, rule)
        if kind != _RULE:  # a schedule, a cap, a flag or a computed segment: asked live
            answer = _answer(question, slot, ctx, now_ts)
            path.append((question, answer))
            node = children.get(answer)
            continue
        if purpose is not None and purpose not in ctx.allowed_purposes:
            if not add(("allowed_purposes",)):
                break
            node = children.get(DENIED)
            continue
        answer = results.get(key)
        if answer is not True and answer is not False:
            break  # failed (or unasked: the tree is out of date)
        names = reads_of.get(key)
        if names is None:
            reads = _Reads(ctx)
            try:
                pure = (True if rule.matches(reads) else False) is answer
            except Exception:
                pure = False
            names = reads_of[key] = (tuple(object.__getattribute__(reads, "_names"))
                                     if pure else _IMPURE)
        if not add(names if purpose is None else ("allowed_purposes", *names)):
            path.append((question, answer))  # the clock, a method, ...: asked live
        node = children.get(answer)
    else:
        if node is None or node[0] != found:
            return  # the rule tree is full and did not record this walk
        leaf = (found,)
    _grow_facts(slot, path, leaf)


def _grow_facts(slot: Any, path: list[tuple[Any, Any]], leaf: tuple) -> None:
    if slot.facts_size + len(path) + 1 > FACT_TREE_BUDGET:
        slot.facts, slot.facts_size = None, 0  # start again with today's visitors

    def chain(steps: list[tuple[Any, Any]]) -> Any:
        node: Any = leaf
        for ask, value in reversed(steps):
            node = [ask, {value: node}]
        return node

    if slot.facts is None:
        slot.facts, slot.facts_size = chain(path), len(path) + 1
        return
    node = slot.facts
    for depth, (name, value) in enumerate(path):
        if node.__class__ is not list or node[0] != name:
            return  # cannot happen for pure rules; never corrupt the tree
        child = node[1].get(value)
        if child is None:
            node[1][value] = chain(path[depth + 1:])
            slot.facts_size += len(path) - depth
            return
        node = child


def _walk(campaigns: list[CompiledCampaign], stop: int, ctx: VisitorContext, book: Any,
          now_ts: int, popup: str = "") -> list[Any]:
    """The notes of the campaigns passed over before ``stop``, in priority order."""
    if popup:
        return [("{}: skipped, another popup is already on this page", c.label)
                for c in campaigns[:stop]]
    caps = ctx.caps if ctx.dismissed_any else None
    notes = []
    for campaign in campaigns[:stop]:
        if caps is not None and caps.is_dismissed(campaign.id, now_ts):
            notes.append(("{}: skipped, dismissed by the visitor", campaign.label))
            continue
        note = None if campaign.simple else _blocked(campaign, ctx, ctx.now, now_ts)
        notes.append(note or ("{}: skipped, not in its audience ({})", campaign.label,
                              (_audience_notes, campaign, ctx, book)))
    return notes


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


def _matched(campaign: CompiledCampaign, segment_id: int | None, ctx: VisitorContext,
             book: Any) -> Any:
    if segment_id is None:
        return ("{}: audience is everybody", campaign.label)
    return ("{}: visitor is in segment '{}' ({})", campaign.label,
            book.segments[segment_id].name, (ctx.segment_note, segment_id))


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
    if campaign.holdout_percent and bucket_of(f"{bucket_id}:{campaign.id}".encode()) * 100 < \
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
