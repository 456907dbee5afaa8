"""Filters of a bandit's report section: a mean with its interval, and the gain."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from personalization.fields import format_money

register = template.Library()


def _with_interval(estimate: Any, shown: Any) -> SafeString | str:
    if estimate is None or estimate.value is None:
        return "–"
    return format_html('{}<br><span class="pz-ci">{} … {}</span>', shown(estimate.value),
                       shown(estimate.low), shown(estimate.high))


@register.filter
def share_interval(estimate: Any) -> SafeString | str:
    """A share of visitors with its 95 % interval: '3.52 %', '3.20 … 3.84'."""
    return _with_interval(estimate, lambda v: f"{v * 100:.2f} %")


@register.filter
def amount_interval(estimate: Any) -> SafeString | str:
    """An amount per visitor with its 95 % interval."""
    return _with_interval(estimate, lambda v: format_money(v, thousands=True))


@register.filter
def count_interval(estimate: Any) -> SafeString | str:
    """A signed count (conversions or goals gained) with its 95 % interval."""
    return _with_interval(estimate, lambda v: f"{v:+.0f}")
