"""Segments: the one place where rules are combined (all/any, negation) into a verdict.

The decision asks :meth:`VisitorContext.in_segment`, which keeps :func:`evaluate`'s verdict
for the request; ``explain``, the preview and the API read the same verdict's reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from personalization.privacy.consent import PERSONALIZATION

if TYPE_CHECKING:
    from personalization.engine.context import VisitorContext
    from personalization.models import Rule


@dataclass(frozen=True, slots=True)
class Reason:
    """Why, as a value: a format string and its arguments, put into words when read (the
    arguments may be rules, campaigns' labels or other reasons)."""

    text: str
    args: tuple[Any, ...] = ()

    def __str__(self) -> str:
        return self.text.format(*map(str, self.args)) if self.args else self.text


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether the visitor is in a segment, and the reason that decided it."""

    matched: bool
    reason: Reason


class Answer:
    """A rule's answer other than True or False (compared by identity)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: A rule that raised: it counts as no match, whatever its negation.
FAILED = Answer("FAILED")
#: A rule whose consent purpose the visitor has not given: no match, whatever its negation.
DENIED = Answer("DENIED")


@dataclass(frozen=True, slots=True)
class Check:
    """One rule of a compiled segment. Rules that test the same thing (same type and
    parameters) share ``key``, so a request asks each of them once."""

    key: int
    negate: bool
    purpose: str | None
    rule: Rule


@dataclass
class CompiledSegment:
    id: int
    slug: str
    name: str
    computed: bool
    match_any: bool
    enabled: bool
    checks: list[Check] = field(default_factory=list)


def evaluate(segment: CompiledSegment, ctx: VisitorContext) -> Verdict:
    """Whether the visitor in ``ctx`` is in ``segment``, and why.

    A live segment combines its rules' answers (all or any; ``negate`` turns a True or
    False around; a rule that failed or lacks consent never matches). A computed segment
    reads the membership of the customer's profile at the last refresh.
    """
    if not segment.enabled:
        return Verdict(False, Reason("segment is disabled"))
    if segment.computed:
        if not ctx.has_consent(PERSONALIZATION):
            return Verdict(False, Reason("skipped: no personalization consent"))
        profile = ctx.profile
        if profile is None:
            return Verdict(False, Reason("computed segment: visitor is not a known customer"))
        if segment.id in profile.segment_ids:
            return Verdict(True, Reason("member at the last refresh"))
        return Verdict(False, Reason("not a member at the last refresh"))
    if not segment.checks:
        return Verdict(False, Reason("segment has no rules"))
    match_any = segment.match_any
    misses: list[Reason] = []
    for check in segment.checks:
        answer = ctx.answer(check)
        if answer is DENIED:
            ok, why = False, Reason("skipped: no {} consent ({})", (check.purpose, check.rule))
        elif answer is FAILED:
            ok, why = False, Reason("rule '{}' failed ({}); no match",
                                    (check.rule, ctx.rule_error(check.key)))
        else:
            ok = answer != check.negate
            why = Reason("{} ✓" if ok else "{} ✗", (check.rule,))
        if ok and match_any:
            return Verdict(True, why)
        if not ok:
            if not match_any:
                return Verdict(False, why)
            misses.append(why)
    if match_any:
        return Verdict(False, Reason("; ".join(["{}"] * len(misses)), tuple(misses)))
    return Verdict(True, Reason("all rules match"))
