"""Helpers for your own tests: build a visitor context from plain facts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .adapters import CartLine, CartSnapshot
from .context import VisitorContext, VisitorState
from .profiles import ProfileSnapshot


def make_context(*, cart_total: Decimal | int | str | None = None,
                 profile: ProfileSnapshot | dict[str, Any] | None = None,
                 visitor_id: str = "00000000-0000-0000-0000-000000000001",
                 **facts: Any) -> VisitorContext:
    """A :class:`VisitorContext` with the given facts and harmless defaults for the rest.

    ``cart_total`` builds a one-line cart; ``profile`` may be a dict of
    :class:`ProfileSnapshot` fields. Other keywords are facts (``country="NL"``,
    ``device="mobile"``, ``now=...``, ``segments={"cat-owners"}``, ``flags={"beta"}``).
    """
    if cart_total is not None and "cart" not in facts:
        facts["cart"] = CartSnapshot(lines=(CartLine(product_id=0, category_ids=(),
                                                     quantity=1, price=Decimal(cart_total)),))
    if isinstance(profile, dict):
        profile = ProfileSnapshot(**{"profile_id": 0, "visitor_id": visitor_id, **profile})
    facts.setdefault("profile", profile)
    facts.setdefault("is_authenticated", profile is not None)
    facts.setdefault("user", None)
    facts.setdefault("state", VisitorState(vid=visitor_id))
    defaults = {"device": "desktop", "country": None, "language": "en", "referrer": "",
                "referrer_class": "direct", "utm_first": {}, "utm_last": {}, "path": "/",
                "query": {}, "category_ids": (), "cart": CartSnapshot(), "temperature": None,
                "consents": {}}
    for key, value in defaults.items():
        facts.setdefault(key, value)
    return VisitorContext(None, **facts)
