"""Sanitising merchant-entered HTML and inserting profile fields into text safely."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "abbr", "b", "br", "em", "i", "li", "ol", "p", "span", "strong", "small", "u", "ul",
    "h2", "h3", "h4",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "span": {"class"}}
FIELD_RE = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")

_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes={"http", "https", "mailto", "tel"},
    link_rel="noopener noreferrer",
    clean_content_tags={"script", "style"},
)


def sanitize(html: str) -> str:
    """Merchant HTML reduced to a small allow-list of tags; scripts and handlers removed.
    Cleaned when a variant is saved, and again when its markup is rendered ahead of time
    (once per RuleBook: not per page)."""
    return _cleaner.clean(html or "")


def safe_html(html: str) -> SafeString:
    return mark_safe(sanitize(html))  # noqa: S308  (sanitised just now)


def placeholders(text: str) -> list[str]:
    return FIELD_RE.findall(text or "")


def insert_fields(text: str, values: Mapping[str, Any],
                  markup: Mapping[str, SafeString] | None = None) -> SafeString | None:
    """Replace ``{{ field }}`` with escaped values, or with ``markup``'s HTML as it is (a
    message's cart lines); None when a field has no value."""
    missing = False

    def replace(match: re.Match) -> str:
        nonlocal missing
        if markup is not None and match.group(1) in markup:
            return str(markup[match.group(1)])
        value = values.get(match.group(1))
        if value in (None, ""):
            missing = True
            return ""
        return str(escape(value))

    cleaned = sanitize(text)
    result = FIELD_RE.sub(replace, cleaned)
    return None if missing else mark_safe(result)  # noqa: S308


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_control_characters(value: str) -> str:
    """``value`` without NUL and the other control characters (tabs and newlines stay):
    text from a request that is stored or compared in the database (PostgreSQL refuses NUL)."""
    return _CONTROL.sub("", value)
