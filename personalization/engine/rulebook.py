"""The RuleBook: live campaigns, segments, rules and variants compiled for the hot path.

Each process keeps one RuleBook in memory and checks a version number in the cache on each
request; every admin save or delete bumps the version on commit, so the next request of any
process sees the change. A warm request therefore reads the RuleBook with no query.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_noop

from personalization.adapters import get_adapter
from personalization.cache import app_cache
from personalization.conf import app_settings
from personalization.engine.candidates import CandidateIndex
from personalization.engine.segments import Check, CompiledSegment, Reason, rule_label
from personalization.rules.base import IdSets

if TYPE_CHECKING:
    from personalization.models import ContentVariant, Rule

logger = logging.getLogger(__name__)

VERSION_KEY = "pz:rulebook:version"
BOOK_KEY = "pz:rulebook:{}"
BOOK_TIMEOUT = 24 * 60 * 60


def bucket(*parts: Any) -> float:
    """A stable number in [0, 1) for the parts: same visitor, same campaign, same answer."""
    return bucket_of(":".join(map(str, parts)).encode())


def bucket_of(key: bytes) -> float:
    """:func:`bucket` of parts already joined with ":" and encoded (the hot path)."""
    return int.from_bytes(_blake2b(key, digest_size=8).digest(), "big") / 2**64


_blake2b = hashlib.blake2b


def pick_weighted(variants: list[ContentVariant], weights: tuple[float, ...],
                  point: float) -> ContentVariant:
    """The variant whose stretch of [0, total) holds ``point`` × total: a weighted pick
    by a stable point in [0, 1) (the fixed split's and the bandit's)."""
    point *= sum(weights)
    for variant, weight in zip(variants, weights, strict=True):
        point -= weight
        if point < 0:
            return variant
    return variants[-1]


@dataclass
class CompiledBandit:
    """A bandit's weights in force (see measurement.bandits), aligned with the campaign's
    variants and summing to 1: overall and, when it learns per audience segment, per
    segment."""

    run_id: int
    weights: tuple[float, ...]
    segments: dict[int, tuple[float, ...]] = field(default_factory=dict)
    #: The run id as the sticky store keys it.
    run_key: str = ""

    def __post_init__(self) -> None:
        self.run_key = str(self.run_id)

    def weights_for(self, segment_id: int | None) -> tuple[float, ...]:
        return self.segments.get(segment_id, self.weights) if segment_id else self.weights

    @classmethod
    def compile(cls, state: dict, variants: list[ContentVariant]) -> CompiledBandit | None:
        """From ``Campaign.bandit_weights``; None when it has no weights for these variants
        (the campaign then splits by its fixed weights)."""
        if not state or not state.get("run") or not variants:
            return None

        def aligned(weights: dict) -> tuple[float, ...] | None:
            values = [max(float(weights.get(str(v.pk), 0)), 0.0) for v in variants]
            total = sum(values)
            return tuple(v / total for v in values) if total > 0 else None

        overall = aligned(state.get("weights") or {})
        if overall is None:
            return None
        segments = {}
        for key, weights in (state.get("segments") or {}).items():
            values = aligned(weights)
            if values is not None:
                segments[int(key)] = values
        return cls(run_id=int(state["run"]), weights=overall, segments=segments)
_NOT_STARTED = Reason(gettext_noop("has not started yet"))
_ENDED = Reason(gettext_noop("has ended"))
_NOT_THIS_WEEKDAY = Reason(gettext_noop("does not run on this weekday"))


@dataclass
class CompiledCampaign:
    id: int
    name: str
    slot_key: str
    priority: int
    starts_at: datetime | None
    ends_at: datetime | None
    weekdays: frozenset[int]
    hour_start: int | None
    hour_end: int | None
    holdout_percent: int
    control_weight: int | None
    cap_impressions: int | None
    cap_period_hours: int
    waffle_flag: str
    segment_ids: tuple[int, ...]
    #: A popup that may open on the cart and checkout pages (others never do).
    popup_on_checkout: bool = False
    variants: list[ContentVariant] = field(default_factory=list)
    #: The audience's segments themselves (unknown ids left out), set by build(), and
    #: the words of a visitor in none of them (a format string: name, reason, ...).
    segments: tuple[CompiledSegment, ...] = ()
    audience_text: str = ""
    label: Reason = Reason("")
    always: bool = False  # no schedule: skip the schedule check
    total_weight: int = 0  # set once the variants are attached
    #: Control's exact share (0 to 1): the holdout percentage, or control's weight beside
    #: the variants'; set once the variants are attached.
    control_share: float = 0.0
    simple: bool = False  # no schedule, cap or flag: only the audience decides
    #: A bandit's weights in force (None: a fixed split), set once the variants are attached.
    bandit: CompiledBandit | None = None
    #: A bandit's variants by id (stored arms name them): (variant, its position).
    variants_by_id: dict[int, tuple[ContentVariant, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.label = Reason(gettext_noop("campaign '{}' (priority {})"),
                            (self.name, self.priority))
        self.always = not (self.starts_at or self.ends_at or self.weekdays
                           or self.hour_start is not None)
        self.simple = self.always and self.cap_impressions is None and not self.waffle_flag

    def schedule_problem(self, now: datetime) -> Reason | None:
        if self.starts_at and now < self.starts_at:
            return _NOT_STARTED
        if self.ends_at and now >= self.ends_at:
            return _ENDED
        if self.weekdays and now.weekday() not in self.weekdays:
            return _NOT_THIS_WEEKDAY
        if self.hour_start is not None and self.hour_end is not None:
            h = now.hour
            inside = (self.hour_start <= h < self.hour_end if self.hour_start < self.hour_end
                      else h >= self.hour_start or h < self.hour_end)
            if not inside:
                return Reason(gettext_noop("runs only {}:00–{}:00"),
                              (self.hour_start, self.hour_end))
        return None

    def pick_variant(self, bucket_id: str) -> ContentVariant | None:
        total = self.total_weight
        if total <= 0:
            return None
        if len(self.variants) == 1:
            return self.variants[0]
        point = bucket_of(f"{bucket_id}:{self.id}:variant".encode()) * total
        for variant in self.variants:
            point -= variant.weight
            if point < 0:
                return variant
        return self.variants[-1]


@dataclass
class CompiledSlot:
    id: int
    key: str
    name: str
    kind: str
    campaigns: list[CompiledCampaign] = field(default_factory=list)
    #: The campaigns by what their audience requires of cheap facts (see candidates.py).
    index: CandidateIndex | None = None


@dataclass
class RuleBook:
    version: str
    switched_off: bool = False
    slots: dict[str, CompiledSlot] = field(default_factory=dict)
    segments: dict[int, CompiledSegment] = field(default_factory=dict)

    @property
    def campaign_count(self) -> int:
        return sum(len(s.campaigns) for s in self.slots.values())


def build(version: str) -> RuleBook:
    """Load everything live with one query per table (plus one per rule/variant type)."""
    from waffle import get_waffle_switch_model

    from personalization.models import Campaign, ContentVariant, Rule, Segment, Slot

    name = app_settings.KILL_SWITCH
    book = RuleBook(version=version, switched_off=bool(name) and get_waffle_switch_model()
                    .objects.filter(name=name, active=True).exists())
    for seg in Segment.objects.all():
        book.segments[seg.pk] = CompiledSegment(
            id=seg.pk, slug=seg.slug, name=seg.name, computed=seg.kind == Segment.Kind.COMPUTED,
            match_any=seg.match == Segment.Match.ANY, enabled=seg.enabled)
    signatures: dict[tuple, int] = {}
    descendants = _Descendants()
    for rule in Rule.objects.order_by("segment_id", "position", "pk"):
        if isinstance(rule, IdSets):
            rule.include_descendants(descendants)
        rule.prepare()  # the RuleBook is read-only once built
        segment = book.segments.get(rule.segment_id)
        if segment is not None:
            key = signatures.setdefault(_signature(rule), len(signatures))
            segment.checks.append(Check(key=key, negate=bool(rule.negate),
                                        purpose=rule.consent_purpose or None, rule=rule,
                                        label=rule_label(rule, book.segments)))
    for segment in book.segments.values():
        segment.seal()
    slots_by_id = {}
    for slot in Slot.objects.all():
        slots_by_id[slot.pk] = book.slots[slot.key] = CompiledSlot(
            id=slot.pk, key=slot.key, name=slot.name, kind=slot.kind)
    live = Campaign.objects.filter(status=Campaign.Status.LIVE)
    audience: dict[int, list[int]] = {}
    through = Campaign.segments.through
    for campaign_id, segment_id in through.objects.filter(
            campaign__status=Campaign.Status.LIVE).values_list("campaign_id", "segment_id"):
        audience.setdefault(campaign_id, []).append(segment_id)
    campaigns = {}
    bandit_states: dict[int, dict] = {}
    for c in live:
        slot = slots_by_id[c.slot_id]
        campaigns[c.pk] = compiled = CompiledCampaign(
            id=c.pk, name=c.name, slot_key=slot.key, priority=c.priority,
            starts_at=c.starts_at, ends_at=c.ends_at,
            weekdays=frozenset(int(d) for d in c.weekdays), hour_start=c.hour_start,
            hour_end=c.hour_end, holdout_percent=c.holdout_percent,
            control_weight=c.control_weight,
            cap_impressions=_cap(c, slot.kind), cap_period_hours=c.cap_period_hours or 24,
            waffle_flag=c.waffle_flag, segment_ids=tuple(sorted(audience.get(c.pk, ()))),
            popup_on_checkout=c.popup_on_checkout)
        slot.campaigns.append(compiled)
        if c.allocation == "bandit":
            bandit_states[c.pk] = c.bandit_weights
    for variant in ContentVariant.objects.filter(campaign__status=Campaign.Status.LIVE
                                                 ).order_by("pk"):
        if variant.campaign_id in campaigns:
            campaigns[variant.campaign_id].variants.append(variant)
    for campaign in campaigns.values():
        campaign.total_weight = sum(v.weight for v in campaign.variants)
        if campaign.control_weight:
            campaign.control_share = campaign.control_weight / (
                campaign.control_weight + campaign.total_weight)
        else:
            campaign.control_share = campaign.holdout_percent / 100
        campaign.segments = tuple(book.segments[i] for i in campaign.segment_ids
                                  if i in book.segments)
        if campaign.id in bandit_states:
            campaign.bandit = CompiledBandit.compile(bandit_states[campaign.id],
                                                     campaign.variants)
            campaign.variants_by_id = {v.pk: (v, i) for i, v in enumerate(campaign.variants)}
        campaign.audience_text = "; ".join(["'{}': {}"] * len(campaign.segments))
    for slot in book.slots.values():
        slot.campaigns.sort(key=lambda c: (-c.priority, c.id))
        slot.index = CandidateIndex.build(slot.campaigns)
    return book


class _Descendants:
    """The adapter's ``category_descendants``, asked once per distinct list of categories
    while a RuleBook is built; a failing adapter leaves the categories as named."""

    def __init__(self) -> None:
        self.known: dict[frozenset[int], frozenset[int]] = {}

    def __call__(self, ids: frozenset[int]) -> frozenset[int]:
        found = self.known.get(ids)
        if found is None:
            try:
                found = ids | frozenset(get_adapter().category_descendants(ids))
            except Exception:
                logger.exception("The commerce adapter's category_descendants() failed")
                found = ids
            self.known[ids] = found
        return found


def _cap(campaign: Any, slot_kind: str) -> int | None:
    """The campaign's frequency cap; a popup without one opens ``POPUP_DEFAULT_CAP`` times
    per period, not on every page until closed."""
    if campaign.cap_impressions is None and slot_kind == "popup":
        return app_settings.POPUP_DEFAULT_CAP
    return campaign.cap_impressions


_NOT_PART_OF_THE_CONDITION = {"segment_id", "position", "negate", "polymorphic_ctype_id"}


def _signature(rule: Rule) -> tuple:
    """What the rule tests: its type and parameters (not its segment, place or negation),
    so identical rules of different segments share one result per request."""
    values = []
    for f in rule._meta.concrete_fields:
        if f.primary_key or f.attname in _NOT_PART_OF_THE_CONDITION:
            continue
        value = getattr(rule, f.attname)
        values.append(tuple(value) if isinstance(value, list) else value)
    return (type(rule), *values)


class _Local:
    lock = threading.Lock()
    book: RuleBook | None = None


def _cache():
    return app_cache()


#: The version of a RuleBook built while the cache was down.
OFFLINE = "offline"


def current_version() -> str:
    """The version every process should decide with; while the cache cannot be reached,
    the one this process already holds (it goes on deciding with its RuleBook)."""
    cache = _cache()
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY)
    if version is None:  # the cache is down
        book = _Local.book
        return book.version if book is not None else OFFLINE
    return version


def get_rulebook() -> RuleBook:
    """This process's RuleBook, rebuilt only when the version in the cache has moved."""
    version = current_version()
    book = _Local.book
    if book is not None and book.version == version:
        return book
    with _Local.lock:
        book = _Local.book
        if book is not None and book.version == version:
            return book
        cache = _cache()
        book = cache.get(BOOK_KEY.format(version))
        if book is None:
            book = build(version)
            cache.set(BOOK_KEY.format(version), book, BOOK_TIMEOUT)
        _Local.book = book
        return book


def invalidate() -> None:
    """Make every process rebuild its RuleBook (call after bulk updates that send no signal)."""
    _cache().set(VERSION_KEY, uuid.uuid4().hex, None)


def reset_local() -> None:
    """Forget this process's copy (tests)."""
    _Local.book = None


def _changed() -> None:
    # Now, so this transaction's next request sees its own change, and again on commit,
    # so no process keeps a RuleBook built from the data before the commit.
    invalidate()
    transaction.on_commit(invalidate)


def _on_change(sender: Any, instance: Any = None, **kwargs: Any) -> None:
    from waffle import get_waffle_switch_model

    from personalization.models import Campaign, ContentVariant, Rule, Segment, Slot

    if isinstance(instance, (Segment, Rule, Slot, Campaign, ContentVariant)) or (
            isinstance(instance, get_waffle_switch_model())
            and instance.name == app_settings.KILL_SWITCH):
        _changed()


def _on_m2m(sender: Any, **kwargs: Any) -> None:
    from personalization.models import Campaign

    if sender is Campaign.segments.through:
        _changed()


def connect_signals() -> None:
    # Polymorphic children send signals with their own class as sender: listen to all.
    post_save.connect(_on_change, dispatch_uid="pz_rulebook_save")
    post_delete.connect(_on_change, dispatch_uid="pz_rulebook_delete")
    m2m_changed.connect(_on_m2m, dispatch_uid="pz_rulebook_m2m")
