"""Filters of the admin's campaign reports: shares, money and intervals in words."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from personalization.fields import format_money
from personalization.measurement import verdicts

register = template.Library()


@register.filter
def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f} %"


@register.filter
def eur(value: float | None) -> str:
    return "–" if value is None else format_money(value, thousands=True)


def _interval(estimate: Any, shown: Any) -> SafeString | str:
    """The estimate, and under it its 95 % interval."""
    if estimate is None or estimate.value is None:
        return "–"
    return format_html('{}<br><span class="pz-ci">{} … {}</span>', shown(estimate.value),
                       shown(estimate.low), shown(estimate.high))


@register.filter
def pct_interval(estimate: Any) -> SafeString | str:
    """A difference of shares in percentage points: '+1.20 pp', '(−0.30 … +2.70)'."""
    return _interval(estimate, lambda v: f"{v * 100:+.2f} pp")


@register.filter
def rel_interval(estimate: Any) -> SafeString | str:
    return _interval(estimate, lambda v: f"{v * 100:+.1f} %")


@register.filter
def eur_interval(estimate: Any) -> SafeString | str:
    return _interval(estimate, lambda v: ("+" if v >= 0 else "") + format_money(
        v, thousands=True))


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
