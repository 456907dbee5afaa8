"""Segments: the one place where rules are combined (all/any, negation) into a verdict.

The decision asks :meth:`VisitorContext.in_segment`, which keeps :func:`evaluate`'s verdict
for the request; ``explain``, the preview and the API read the same verdict's reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_noop

from personalization.privacy.consent import PERSONALIZATION

if TYPE_CHECKING:
    from personalization.models import Rule
    from personalization.rules import RuleContext


class Reason(NamedTuple):
    """Why, as a value: a format string and its arguments, put into words when read (the
    arguments may be rules, campaigns' labels or other reasons). A named tuple: made on
    every decision, so it must cost next to nothing."""

    text: str
    args: tuple[Any, ...] = ()

    def __str__(self) -> str:
        return self.text.format(*map(str, self.args)) if self.args else self.text

    def in_words(self) -> str:
        """The reason in the active language, for a person reading it (the preview panel):
        the format string through the catalog (its texts are marked with gettext_noop),
        numbers in the locale's format, nested reasons likewise. ``str()`` stays English,
        for logs, ``explain`` and the API."""
        text = gettext(self.text) if self.text else self.text  # gettext("") is the header
        return text.format(*map(in_words, self.args)) if self.args else text


def in_words(value: object) -> str:
    """One argument of a reason in the active language (see :meth:`Reason.in_words`)."""
    if isinstance(value, Reason):
        return value.in_words()
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return number_format(value)
    return str(value)


class Verdict(NamedTuple):
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
    #: How reasons name the rule (see :func:`rule_label`).
    label: object = None
    #: The verdicts of the rule's plain answers, made with the RuleBook so that a walk
    #: makes none: it matched ("rule ✓"), it did not ("rule ✗").
    passed: Verdict = field(init=False, repr=False, compare=False)
    missed: Verdict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "passed", Verdict(True, Reason("{} ✓", (self.label,))))
        object.__setattr__(self, "missed", Verdict(False, Reason("{} ✗", (self.label,))))


def rule_label(rule: Rule, segments: dict[int, CompiledSegment]) -> object:
    """How reasons name a rule: the rule itself (its ``describe()``, put into words when
    read), but an "in segment" rule by that segment's name, which the RuleBook knows without
    a query (and without writing it into the rule)."""
    other = segments.get(getattr(rule, "other_id", None))
    if other is None:
        return rule
    named = Reason(gettext_noop("in segment '{}'"), (other.name,))
    return Reason(gettext_noop("not: {}"), (named,)) if rule.negate else named


@dataclass
class CompiledSegment:
    id: int
    slug: str
    name: str
    computed: bool
    match_any: bool
    enabled: bool
    checks: list[Check] = field(default_factory=list)
    #: An any-of segment's verdict when every rule answered and none matched (each rule
    #: "✗"), made once its rules are in (:meth:`seal`), so that a walk makes none.
    none_matched: Verdict | None = None

    def __str__(self) -> str:
        return self.name

    def seal(self) -> None:
        """Make :attr:`none_matched` once the checks are all in (``rulebook.build``)."""
        misses = tuple(check.missed.reason for check in self.checks)
        self.none_matched = Verdict(False, Reason("; ".join(["{}"] * len(misses)), misses))


def evaluate(segment: CompiledSegment, ctx: RuleContext) -> Verdict:
    """Whether the visitor in ``ctx`` is in ``segment``, and why.

    A live segment combines its rules' answers (all or any; ``negate`` turns a True or
    False around; a rule that failed or lacks consent never matches). A computed segment
    reads the membership of the customer's profile at the last refresh.
    """
    if not segment.enabled:
        return _DISABLED
    if segment.computed:
        if not ctx.has_consent(PERSONALIZATION):
            return _NO_CONSENT
        profile = ctx.profile
        if profile is None:
            return _NOT_A_CUSTOMER
        return _MEMBER if segment.id in profile.segment_ids else _NOT_A_MEMBER
    if not segment.checks:
        return _NO_RULES
    if not segment.match_any:  # all of them: the first that does not match decides
        for check in segment.checks:
            answer = ctx.answer(check)
            if answer is True or answer is False:
                if answer is check.negate:
                    return check.missed
            else:
                return Verdict(False, _not_answered(check, answer, ctx))
        return _ALL_MATCH
    unanswered = False  # any of them: the first that matches decides
    for check in segment.checks:
        answer = ctx.answer(check)
        if answer is True or answer is False:
            if answer is not check.negate:
                return check.passed
        else:
            unanswered = True
    if not unanswered and segment.none_matched is not None:
        return segment.none_matched
    misses: list[Reason] = []  # a rule without consent, or one that raised, says why
    for check in segment.checks:
        answer = ctx.answer(check)  # asked above: the context kept the answer
        misses.append(check.missed.reason if answer is True or answer is False
                      else _not_answered(check, answer, ctx))
    return Verdict(False, Reason("; ".join(["{}"] * len(misses)), tuple(misses)))


def _not_answered(check: Check, answer: Answer, ctx: RuleContext) -> Reason:
    """Why a rule that lacked consent (DENIED) or raised (FAILED) does not match."""
    if answer is DENIED:
        return Reason(gettext_noop("skipped: no {} consent ({})"), (check.purpose, check.label))
    return Reason(gettext_noop("rule '{}' failed ({}); no match"),
                  (check.label, ctx.rule_error(check.key)))


_DISABLED = Verdict(False, Reason(gettext_noop("segment is disabled")))
_NO_CONSENT = Verdict(False, Reason(gettext_noop("skipped: no personalization consent")))
_NOT_A_CUSTOMER = Verdict(False, Reason(
    gettext_noop("computed segment: visitor is not a known customer")))
_MEMBER = Verdict(True, Reason(gettext_noop("member at the last refresh")))
_NOT_A_MEMBER = Verdict(False, Reason(gettext_noop("not a member at the last refresh")))
_NO_RULES = Verdict(False, Reason(gettext_noop("segment has no rules")))
_ALL_MATCH = Verdict(True, Reason(gettext_noop("all rules match")))
