"""Filters of the admin's campaign reports: shares, money and intervals in words."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f} %"


@register.filter
def eur(value: float | None) -> str:
    return "–" if value is None else f"€{value:,.2f}"


@register.filter
def pct_interval(estimate: Any) -> str:
    """'+1.2 pp (−0.3 … +2.7)': a difference of shares in percentage points."""
    if estimate is None or estimate.value is None:
        return "–"
    return (f"{estimate.value * 100:+.2f} pp ({estimate.low * 100:+.2f} … "
            f"{estimate.high * 100:+.2f})")


@register.filter
def rel_interval(estimate: Any) -> str:
    if estimate is None or estimate.value is None:
        return "–"
    return (f"{estimate.value * 100:+.1f} % ({estimate.low * 100:+.1f} … "
            f"{estimate.high * 100:+.1f})")


@register.filter
def eur_interval(estimate: Any) -> str:
    if estimate is None or estimate.value is None:
        return "–"
    return f"€{estimate.value:+,.2f} (€{estimate.low:+,.2f} … €{estimate.high:+,.2f})"
