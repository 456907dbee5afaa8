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

from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from .conf import app_settings

if TYPE_CHECKING:
    from .context import VisitorContext
    from .models import ContentVariant, Rule

logger = logging.getLogger(__name__)

VERSION_KEY = "pz:rulebook:version"
BOOK_KEY = "pz:rulebook:{}"
BOOK_TIMEOUT = 24 * 60 * 60
PERSONAL_DATA = "personalization"


def bucket(*parts: Any) -> float:
    """A stable number in [0, 1) for the parts: same visitor, same campaign, same answer."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass
class CompiledSegment:
    id: int
    slug: str
    name: str
    computed: bool
    match_any: bool
    enabled: bool
    rules: list[Rule] = field(default_factory=list)

    def evaluate(self, ctx: VisitorContext) -> tuple[bool, Note]:
        """(matched, the decisive reason), the reason formatted only when read."""
        if not self.enabled:
            return False, Note("segment is disabled")
        if self.computed:
            if not ctx.has_consent(PERSONAL_DATA):
                return False, Note("skipped: no personalization consent")
            profile = ctx.profile
            if profile is None:
                return False, Note("computed segment: visitor is not a known customer")
            if self.id in profile.segment_ids:
                return True, Note("member at the last refresh")
            return False, Note("not a member at the last refresh")
        if not self.rules:
            return False, Note("segment has no rules")
        misses: list[Note] = []
        for rule in self.rules:
            ok, note = self._rule(rule, ctx)
            if self.match_any and ok:
                return True, Note("{} ✓", rule)
            if not self.match_any and not ok:
                return False, note
            if note is not None:
                misses.append(note)
        if self.match_any:
            return False, Note.join(misses)
        return True, Note("all rules match")

    @staticmethod
    def _rule(rule: Rule, ctx: VisitorContext) -> tuple[bool, Note | None]:
        purpose = rule.consent_purpose
        if purpose and not ctx.has_consent(purpose):
            return False, Note("skipped: no {} consent ({})", purpose, rule)
        try:
            ok = bool(rule.matches(ctx))
        except Exception as exc:  # a broken rule never breaks a page
            logger.exception("Rule %s (%s) raised; treated as no match", rule.pk,
                             type(rule).__name__)
            return False, Note("rule '{}' failed ({}: {}); no match", rule,
                               type(exc).__name__, exc)
        ok = ok != rule.negate
        return ok, None if ok else Note("{} ✗", rule)


class Note:
    """A reason whose text is built only if somebody reads it (explain, preview, API)."""

    __slots__ = ("args", "template")

    def __init__(self, template: str, *args: Any) -> None:
        self.template = template
        self.args = args

    def __str__(self) -> str:
        return self.template.format(*self.args) if self.args else self.template

    @classmethod
    def join(cls, notes: list[Note]) -> Note:
        return cls("; ".join(["{}"] * len(notes)), *notes) if notes else cls("no rule matched")


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
    cap_impressions: int | None
    cap_period_hours: int
    waffle_flag: str
    segment_ids: tuple[int, ...]
    variants: list[ContentVariant] = field(default_factory=list)

    def schedule_problem(self, now: datetime) -> str | None:
        if self.starts_at and now < self.starts_at:
            return "has not started yet"
        if self.ends_at and now >= self.ends_at:
            return "has ended"
        if self.weekdays and now.weekday() not in self.weekdays:
            return "does not run on this weekday"
        if self.hour_start is not None and self.hour_end is not None:
            h = now.hour
            inside = (self.hour_start <= h < self.hour_end if self.hour_start < self.hour_end
                      else h >= self.hour_start or h < self.hour_end)
            if not inside:
                return f"runs only {self.hour_start}:00–{self.hour_end}:00"
        return None

    def pick_variant(self, bucket_id: str) -> ContentVariant | None:
        total = sum(v.weight for v in self.variants)
        if total <= 0:
            return None
        point = bucket(bucket_id, self.id, "variant") * total
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


@dataclass
class RuleBook:
    version: str
    slots: dict[str, CompiledSlot] = field(default_factory=dict)
    segments: dict[int, CompiledSegment] = field(default_factory=dict)

    @property
    def campaign_count(self) -> int:
        return sum(len(s.campaigns) for s in self.slots.values())


def build(version: str) -> RuleBook:
    """Load everything live with one query per table (plus one per rule/variant type)."""
    from .models import Campaign, ContentVariant, Rule, Segment, Slot

    book = RuleBook(version=version)
    for seg in Segment.objects.all():
        book.segments[seg.pk] = CompiledSegment(
            id=seg.pk, slug=seg.slug, name=seg.name, computed=seg.kind == Segment.Kind.COMPUTED,
            match_any=seg.match == Segment.Match.ANY, enabled=seg.enabled)
    for rule in Rule.objects.order_by("segment_id", "position", "pk"):
        if hasattr(rule, "other_id"):  # name the other segment without a query later
            other = book.segments.get(rule.other_id)
            rule.other_name = f"'{other.name}'" if other else None
        segment = book.segments.get(rule.segment_id)
        if segment is not None:
            segment.rules.append(rule)
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
    for c in live:
        slot = slots_by_id[c.slot_id]
        campaigns[c.pk] = compiled = CompiledCampaign(
            id=c.pk, name=c.name, slot_key=slot.key, priority=c.priority,
            starts_at=c.starts_at, ends_at=c.ends_at,
            weekdays=frozenset(int(d) for d in c.weekdays), hour_start=c.hour_start,
            hour_end=c.hour_end, holdout_percent=c.holdout_percent,
            cap_impressions=c.cap_impressions, cap_period_hours=c.cap_period_hours or 24,
            waffle_flag=c.waffle_flag, segment_ids=tuple(sorted(audience.get(c.pk, ()))))
        slot.campaigns.append(compiled)
    for variant in ContentVariant.objects.filter(campaign__status=Campaign.Status.LIVE
                                                 ).order_by("pk"):
        if variant.campaign_id in campaigns:
            campaigns[variant.campaign_id].variants.append(variant)
    for slot in book.slots.values():
        slot.campaigns.sort(key=lambda c: (-c.priority, c.id))
    return book


class _Local:
    lock = threading.Lock()
    book: RuleBook | None = None


def _cache():
    return caches[app_settings.CACHE_ALIAS]


def current_version() -> str:
    cache = _cache()
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY)
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


def _on_change(sender: Any, instance: Any = None, **kwargs: Any) -> None:
    from .models import Campaign, ContentVariant, Rule, Segment, Slot

    if isinstance(instance, (Segment, Rule, Slot, Campaign, ContentVariant)):
        transaction.on_commit(invalidate)


def _on_m2m(sender: Any, **kwargs: Any) -> None:
    from .models import Campaign

    if sender is Campaign.segments.through:
        transaction.on_commit(invalidate)


def connect_signals() -> None:
    # Polymorphic children send signals with their own class as sender: listen to all.
    post_save.connect(_on_change, dispatch_uid="pz_rulebook_save")
    post_delete.connect(_on_change, dispatch_uid="pz_rulebook_delete")
    m2m_changed.connect(_on_m2m, dispatch_uid="pz_rulebook_m2m")
