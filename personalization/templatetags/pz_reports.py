"""Filters of the admin's campaign reports: shares, money and intervals in words."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from personalization.fields import format_money

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
