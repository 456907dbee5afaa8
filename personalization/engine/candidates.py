"""The candidate index: per slot, which campaigns this visitor's cheap facts leave in the race.

Built with the RuleBook, from the rules alone (nothing is learnt from traffic, nothing about
a visitor is kept). A campaign is keyed by the requirements every segment of its audience
shares: facts that are cheap to read (country, device, language, logged in, category, path
prefix, has a customer profile, has a cart worth something) and the values each must take
for any of its segments to match, as read off the segments' rules. The others (audience
"everybody", or no shared requirement) are unkeyed. :meth:`CandidateIndex.candidates`
gives the unkeyed campaigns and those whose every requirement this visitor's values meet,
in the slot's priority order; every campaign left out would have been skipped as "not in
its audience" by the plain walk, which ``explain`` and the preview still take (see
decide.py). A property test holds the two walks to the same decision
(tests/test_candidate_index.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from personalization.rules.commerce import (
    AverageOrderValueRule,
    CartValueRule,
    DaysSinceLastOrderRule,
    OrderCountRule,
    PurchasedRule,
    TotalSpentRule,
    UsedDiscountCodeRule,
)
from personalization.rules.request import (
    CountryRule,
    CurrentCategoryRule,
    DeviceRule,
    LanguageRule,
    LoggedInRule,
    PathRule,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from personalization.engine.segments import CompiledSegment
    from personalization.rules.base import Rule
    from personalization.rules.context import RuleContext


class Audience(Protocol):
    """What the index reads of a campaign (the RuleBook's ``CompiledCampaign``; typed here so
    that the engine's modules import in one direction)."""

    segment_ids: tuple[int, ...]
    segments: tuple[CompiledSegment, ...]


C = TypeVar("C", bound=Audience)

#: The cheap facts, in the order a campaign's requirements are checked: "customer" is
#: whether the visitor has a customer profile (read, with the consent it needs, as the
#: order-history rules read it), "cart" whether his cart's total is above zero.
FACTS = ("country", "language", "category", "path", "device", "logged_in", "customer",
         "cart")
#: Rules that never match a visitor without a customer profile, whatever their values.
_NEED_A_PROFILE = (PurchasedRule, DaysSinceLastOrderRule, UsedDiscountCodeRule,
                   AverageOrderValueRule)

#: A requirement: a fact and the values it must take (any of them).
Requirement = tuple[str, frozenset]


def rule_requirement(rule: Rule) -> Requirement | None:
    """What ``rule.matches(ctx)`` needs of a cheap fact to be True, or None. Exact types
    only: a shop's subclass may match differently."""
    kind = type(rule)
    if kind is CountryRule:
        return "country", rule.country_set
    if kind is DeviceRule:
        return "device", frozenset(rule.devices)
    if kind is LanguageRule:
        return "language", frozenset(code.lower() for code in rule.languages)
    if kind is LoggedInRule:
        return "logged_in", frozenset({True})
    if kind is CurrentCategoryRule:
        return "category", rule.category_id_set
    if kind is PathRule:
        prefix = path_prefix(rule.pattern)
        return ("path", frozenset({prefix})) if prefix else None
    if kind in _NEED_A_PROFILE or (kind in (OrderCountRule, TotalSpentRule)
                                   and rule.minimum is not None and rule.minimum > 0):
        return "customer", frozenset({True})  # without a profile the count or sum is 0
    if kind is CartValueRule and rule.minimum is not None and rule.minimum > 0:
        return "cart", frozenset({True})
    return None


_SPECIAL = set("\\.^$*+?{}[]|()")
_REPEATS = set("*+?{")


def path_prefix(pattern: str) -> str:
    """The literal text every path the pattern finds must start with ("^/c/cat-" gives
    "/c/cat-"), or "" when the pattern does not say (no "^", an alternation)."""
    if not pattern.startswith("^") or "|" in pattern:
        return ""
    prefix = ""
    for char in pattern[1:]:
        if char in _SPECIAL:
            if char in _REPEATS:  # the last character may repeat or be left out
                prefix = prefix[:-1]
            break
        prefix += char
    return prefix


def segment_requirements(segment: CompiledSegment) -> dict[str, frozenset]:
    """Per cheap fact, the values it must take for the visitor to be in the segment: from
    any rule (not negated) of an all-of segment, or from an any-of segment whose rules all
    require the same fact. A rule that fails or lacks consent never matches, so it still
    requires what it requires."""
    if not segment.enabled or segment.computed or not segment.checks:
        return {}
    found = [None if check.negate else rule_requirement(check.rule)
             for check in segment.checks]
    if not segment.match_any:
        requirements: dict[str, frozenset] = {}
        for requirement in found:
            if requirement is not None:
                requirements.setdefault(*requirement)  # the first rule on the fact
        return requirements
    facts = {requirement[0] if requirement else None for requirement in found}
    if len(facts) != 1 or None in facts:
        return {}
    return {facts.pop(): frozenset().union(*(values for _fact, values in found))}


def campaign_keys(campaign: Audience) -> tuple[Requirement, ...]:
    """The requirements all the campaign's segments share (per fact in :data:`FACTS` they
    all require, the values any of them accepts); none for an audience of everybody."""
    if not campaign.segment_ids or len(campaign.segments) != len(campaign.segment_ids):
        return ()  # everybody, or an unknown segment (unkeyed: the walk says so)
    each = [segment_requirements(segment) for segment in campaign.segments]
    return tuple((fact, frozenset().union(*(requirements[fact] for requirements in each)))
                 for fact in FACTS if all(fact in requirements for requirements in each))


@dataclass
class CandidateIndex(Generic[C]):
    """One slot's campaigns, each with the requirements it is keyed by (none: unkeyed)."""

    campaigns: list[C]
    keys: list[tuple[Requirement, ...]] = field(default_factory=list)
    #: The lengths of the path prefixes keyed (a path is looked up by its prefixes).
    path_lengths: tuple[int, ...] = ()

    @classmethod
    def build(cls, campaigns: list[C]) -> CandidateIndex[C]:
        keys = [campaign_keys(campaign) for campaign in campaigns]
        return cls(campaigns=campaigns, keys=keys,
                   path_lengths=tuple(sorted({len(prefix) for requirements in keys
                                              for fact, values in requirements
                                              if fact == "path" for prefix in values})))

    def candidates(self, ctx: RuleContext) -> Iterator[C]:
        """The campaigns this visitor may be in the audience of, highest priority first:
        the unkeyed ones and those whose every requirement one of his values meets.
        Lazily: a walk that stops at the first campaign pays for no more."""
        values: dict[str, set | None] = {}  # the visitor's, read when a campaign asks first
        for campaign, requirements in zip(self.campaigns, self.keys, strict=True):
            for fact, accepted in requirements:
                if fact not in values:
                    values[fact] = self._read(fact, ctx)
                seen = values[fact]
                if seen is not None and seen.isdisjoint(accepted):
                    break
            else:
                yield campaign

    def _read(self, fact: str, ctx: RuleContext) -> set | None:
        """:meth:`values_of`, or None when reading the fact raised (a broken cart or
        profile): the index then passes over nothing, and the rules that read the fact
        fail and say so, as on the plain walk."""
        try:
            return self.values_of(fact, ctx)
        except Exception:
            return None

    def values_of(self, fact: str, ctx: RuleContext) -> set:
        """The visitor's values of a cheap fact, as the rules compare them."""
        if fact == "country":  # CountryRule
            return {ctx.country.upper()} if ctx.country else set()
        if fact == "device":  # DeviceRule
            return {ctx.device}
        if fact == "language":  # LanguageRule: "en-us" is "en-us" and "en"
            language = (ctx.language or "").lower()
            return {language, *(language[:i] for i, c in enumerate(language) if c == "-")}
        if fact == "logged_in":  # LoggedInRule
            return {bool(ctx.is_authenticated)}
        if fact == "category":  # CurrentCategoryRule
            return set(ctx.category_ids)
        if fact == "customer":  # the order-history rules
            return {ctx.profile is not None}
        if fact == "cart":  # CartValueRule with a minimum above zero
            total = ctx.cart.total
            return {total is not None and total > 0}
        path = ctx.path or ""  # PathRule: the path's prefixes of the lengths keyed
        return {path[:n] for n in self.path_lengths}
