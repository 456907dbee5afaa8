"""The example's template filters."""

from __future__ import annotations

from typing import Any

from django import template

from personalization.adapters import get_adapter

register = template.Library()


@register.filter
def voucher_name(voucher: Any) -> str:
    """A voucher's name in the page's language (the adapter's, for the codes it made)."""
    return get_adapter().voucher_name(voucher)
