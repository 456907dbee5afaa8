"""The Rule base class: one hook, ``matches(ctx)``, and its explanation, ``describe()``."""

from __future__ import annotations

import re
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.formats import localize
from django.utils.text import get_text_list
from django.utils.translation import gettext_lazy as _
from polymorphic.models import PolymorphicModel

if TYPE_CHECKING:
    from personalization.rules.context import RuleContext


class Rule(PolymorphicModel):
    """One condition of a segment.

    Subclasses implement:

    - ``matches(ctx) -> bool``: pure. Everything it needs (request facts, cart, profile
      aggregates, the clock) comes from ``ctx``; it makes no query and reads no request, so a
      test can call it on an unsaved rule with ``personalization.testing.make_context()``.
    - ``describe() -> str``: the rule in the merchant's words, shown in the admin, in
      ``explain`` and in the preview panel.
    - ``customer_filter(customers) -> Q`` (optional): the same condition as SQL over the shop's
      customers (``customers`` is the engine's ``CustomerSet``, its helpers for that SQL),
      so a computed segment refreshes in one statement. Return ``None`` (the default) when
      the rule depends on the request and cannot be computed ahead of time.

    ``consent_purpose`` names the consent a rule needs because it uses personal data; without
    that consent the rule does not match. ``negate`` and the all/any combination are applied
    by the segment, never by the rule itself.
    """

    segment = models.ForeignKey(
        "personalization.Segment", on_delete=models.CASCADE, related_name="rules",
        verbose_name=_("segment"),
    )
    negate = models.BooleanField(
        _("negate"), default=False,
        help_text=_("Tick to match visitors for whom this rule is NOT true."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    #: Consent purpose this rule needs (None: contextual, no personal data).
    consent_purpose: str | None = None
    #: Family shown in the admin's "add rule" menu.
    family: str = _("Request")

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        text = str(self.describe())
        return str(_("not: %(rule)s") % {"rule": text}) if self.negate else text

    def matches(self, ctx: RuleContext) -> bool:
        raise NotImplementedError(f"{type(self).__name__} must implement matches(ctx).")

    def describe(self) -> str:
        return str(self._meta.verbose_name)

    def customer_filter(self, customers: Any) -> Q | None:
        return None

    @property
    def computable(self) -> bool:
        return type(self).customer_filter is not Rule.customer_filter

    def prepare(self) -> None:
        """Work out now what matching reads (its ``cached_property`` values: id sets,
        compiled patterns), so nothing is written into the rule once the RuleBook that holds
        it is in use. The RuleBook calls this when it is built. A value that cannot be worked
        out (a pattern that does not compile) is left to fail where the rule is asked, which
        reports the broken rule and shows the default."""
        for cls in type(self).__mro__:
            for name, attr in vars(cls).items():
                if isinstance(attr, cached_property) and name not in self.__dict__:
                    try:
                        getattr(self, name)
                    except Exception:  # noqa: BLE001, S112 (reported when the rule is asked)
                        continue


class IdSets:
    """For rules with ``product_ids``/``category_ids`` lists: the ids as sets of ints,
    converted once per rule instance (the RuleBook keeps the instance between requests)."""

    @cached_property
    def product_id_set(self) -> frozenset[int]:
        return frozenset(int(v) for v in getattr(self, "product_ids", ()))

    @cached_property
    def category_id_set(self) -> frozenset[int]:
        return frozenset(int(v) for v in getattr(self, "category_ids", ()))

    def include_descendants(self, descendants: Any) -> None:
        """Match the named categories' subcategories too: the RuleBook calls this with the
        adapter's ``category_descendants`` when it is built, so a request asks nothing."""
        if self.category_id_set:
            self.category_id_set = frozenset(descendants(self.category_id_set))


class PatternMatch:
    """For rules with a ``pattern`` field: the regular expression, compiled once."""

    @cached_property
    def pattern_re(self) -> re.Pattern:
        return re.compile(self.pattern)


def rule_types() -> list[type[Rule]]:
    """All concrete rule classes, in the order of the admin's menu (family, then name).
    Import it from ``personalization.rules``, which imports every family first."""
    seen: list[type[Rule]] = []

    def walk(cls: type[Rule]) -> None:
        for sub in cls.__subclasses__():
            if not sub._meta.abstract and not sub._meta.proxy and sub not in seen:
                seen.append(sub)
            walk(sub)

    walk(Rule)
    return sorted(seen, key=lambda c: (str(c.family).lower(),
                                       str(c._meta.verbose_name).lower()))


def between(value: Any, low: Any, high: Any) -> bool:
    """``low <= value <= high`` where a bound of None is open; None value never matches."""
    if value is None:
        return False
    if low is not None and value < low:
        return False
    return not (high is not None and value > high)


def range_text(low: Any, high: Any, unit: str = "") -> str:
    """A range in words, its numbers in the active locale's format ("≥ 50,00" in Dutch)."""
    if low is not None:
        low = localize(low, use_l10n=True)
    if high is not None:
        high = localize(high, use_l10n=True)
    if low is not None and high is not None:
        return f"{low}{unit} – {high}{unit}"
    if low is not None:
        return f"≥ {low}{unit}"
    if high is not None:
        return f"≤ {high}{unit}"
    return str(_("any"))


def any_of(values: Any, choices: Any = ()) -> str:
    """Values in words, as a list that ends "… or …" in the active language, each by its
    label in ``choices`` where it has one ("mobiele telefoon of tablet" in Dutch)."""
    labels = dict(choices)  # choices, or a mapping
    return str(get_text_list([str(labels.get(v, v)) for v in values], str(_("or"))))


def check_range(low: Any, high: Any, low_field: str = "minimum",
                high_field: str = "maximum", *, required: bool = False) -> None:
    """Reject a range whose upper bound lies below its lower bound (and, when ``required``,
    a range with no bound at all)."""
    if required and low is None and high is None:
        raise ValidationError(_("Give a minimum, a maximum or both."))
    if low is not None and high is not None and high < low:
        raise ValidationError({high_field: _("The maximum must not be below the minimum.")})
