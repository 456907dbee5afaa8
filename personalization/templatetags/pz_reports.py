"""Filters of the admin's reports: counts, shares, money and intervals, each written as the
active language writes them ("€13,147.93" and "4.6 %" in English, "€ 13.147,93" and
"4,6 %" in Dutch). Every figure on a report, the key figures and their charts goes through
these, so one page never mixes two ways of writing a number."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from personalization.fields import format_money
from personalization.measurement import verdicts

register = template.Library()
NONE = "–"


def _number(value: float, digits: int) -> str:
    """With a true minus sign, as amounts and differences have."""
    text = number_format(value, digits, use_l10n=True, force_grouping=True)
    return "−" + text[1:] if text.startswith("-") else text


def _signed(value: float, text: str) -> str:
    """A difference always shows its sign: "+1.2", "−0.3" (a true minus sign)."""
    return ("+" if value >= 0 else "−") + text.lstrip("-−")


@register.filter
def num(value: int | float | None) -> str:
    """A count, with the language's thousands separator: "12,000", "12.000"."""
    return NONE if value is None else _number(value, 0)


@register.filter
def pct(value: float | None, digits: int = 1) -> str:
    """A share as a percentage: "4.6 %", "4,6 %"."""
    if value is None:
        return NONE
    return _("%(number)s %%") % {"number": _number(value * 100, int(digits))}


@register.filter
def eur(value: float | None) -> str:
    """An amount in the shop's currency (whatever it is: the name is historical)."""
    return NONE if value is None else format_money(value, thousands=True, localize=True)


def _interval(estimate: Any, shown: Callable[[float], str]) -> SafeString | str:
    """The estimate, and under it its 95 % interval, which may break after "…" in a
    narrow column (Dutch "+1,95 %-punt" is longer than "+1.95 pp"), never inside a
    figure."""
    if estimate is None or estimate.value is None:
        return NONE
    return format_html('<span class="pz-figure-value">{}</span><br><span class="pz-ci">'
                       '<span>{} …</span> <span>{}</span></span>', shown(estimate.value),
                       shown(estimate.low), shown(estimate.high))


def _points(v: float) -> str:
    return _signed(v, _("%(number)s pp") % {"number": _number(v * 100, 2)})


def _relative(v: float) -> str:
    return _signed(v, _("%(number)s %%") % {"number": _number(v * 100, 1)})


def _money(v: float) -> str:
    return _signed(v, format_money(v, thousands=True, localize=True))


@register.filter
def pct_interval(estimate: Any) -> SafeString | str:
    """A difference of shares in percentage points: "+1.20 pp", "(−0.30 … +2.70)"."""
    return _interval(estimate, _points)


@register.filter
def rel_interval(estimate: Any) -> SafeString | str:
    """A relative difference: "+12.5 %"."""
    return _interval(estimate, _relative)


@register.filter
def eur_interval(estimate: Any) -> SafeString | str:
    """A difference of amounts: "+€1.20", "−€ 0,30"."""
    return _interval(estimate, _money)


@register.filter
def eur_difference(estimate: Any) -> str:
    """A difference of amounts without its interval: "+€1.20"."""
    return NONE if estimate is None or estimate.value is None else _money(estimate.value)


@register.filter
def metric_label(metric: str) -> str:
    """'conversion' → 'conversion rate', in the active language."""
    return verdicts.metric_name(metric)


@register.filter
def result_interval(result: Any) -> SafeString | str:
    """A verdict's result: the difference in its metric's unit, and under it its interval
    at the level it was judged (always-valid or planned, corrected for several variants)."""
    if result is None or result.interval.value is None:
        return "–"
    return _interval(result.interval, lambda v: verdicts.show(result.metric, v))


@register.simple_tag
def interval_note(report: Any) -> str:
    """Which kind of interval the report shows, and why, in words."""
    terms = report.terms
    arms = len(report.comparisons)
    if terms.sequential:
        text = _("Intervals are always-valid %(level)s confidence sequences: they stay right "
                 "however often you read this report, so you may stop as soon as it names a "
                 "winner.") % {"level": "95 %"}
    else:
        text = _("Intervals are fixed-horizon %(level)s intervals: this run was planned for "
                 "%(n)s visitors per arm and is judged once, at that size; read before it, "
                 "they call winners too often.") % {
            "n": number_format(terms.planned_visitors or 0, force_grouping=True),
            "level": "95 %"}
    if arms > 1:
        text += " " + _("With %(k)s variants against one control each comparison is "
                        "corrected (Holm), so the chance of any false winner stays at 5 %%."
                        ) % {"k": arms}
    return text


@register.filter
def days_interval(estimate: Any) -> SafeString | str:
    """A payback in days with its interval."""
    return _interval(estimate, lambda v: _("%(days)s days") % {
        "days": number_format(v, 0, force_grouping=True)})
