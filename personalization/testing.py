"""Helpers for your own tests: build a visitor context from plain facts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from personalization.adapters import CartLine, CartSnapshot
from personalization.engine.context import VisitorContext
from personalization.engine.cookies import VisitorState
from personalization.engine.profiles import ProfileSnapshot
from personalization.privacy.consent import ANALYTICS, MARKETING, NECESSARY, PERSONALIZATION

ALL_PURPOSES = (NECESSARY, PERSONALIZATION, ANALYTICS, MARKETING)


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
    consents = facts.pop("consents", None)
    if consents is not None:  # e.g. consents={"personalization": False}
        facts["allowed_purposes"] = frozenset(
            {p for p in ALL_PURPOSES if consents.get(p, True)} | {NECESSARY})
    if isinstance(profile, dict):
        profile = ProfileSnapshot(**{"profile_id": 0, "visitor_id": visitor_id, **profile})
    facts.setdefault("profile", profile)
    facts.setdefault("is_authenticated", profile is not None)
    facts.setdefault("user", None)
    facts.setdefault("state", VisitorState(vid=visitor_id))
    defaults = {"device": "desktop", "country": None, "language": "en", "referrer": "",
                "referrer_class": "direct", "utm_first": {}, "utm_last": {}, "path": "/",
                "query": {}, "category_ids": (), "cart": CartSnapshot(), "temperature": None,
                "allowed_purposes": frozenset(ALL_PURPOSES), "remembered": True}
    for key, value in defaults.items():
        facts.setdefault(key, value)
    return VisitorContext(None, **facts)


def consent_cookie(*granted: str, user: Any = None) -> str:
    """The signed consent-cookie value of a visitor who chose, under the current policy,
    to allow ``granted`` (all optional purposes when none are named) and refuse the rest;
    with ``user``, the choice is that logged-in customer's."""
    from personalization.conf import app_settings
    from personalization.privacy.consent import ConsentState

    chosen = set(granted or ALL_PURPOSES) - {NECESSARY}
    choices = {p: p in chosen for p in ALL_PURPOSES if p != NECESSARY}
    return ConsentState(choices=choices, version=app_settings.CONSENT_POLICY_VERSION,
                        owner=user.pk if user is not None else None).dumps()


def give_consent(client: Any, *granted: str, user: Any = None) -> Any:
    """Make a Django test client a visitor who allowed ``granted`` (default: everything);
    pass ``user`` when the client is logged in as that customer."""
    from personalization.conf import app_settings

    client.cookies[app_settings.CONSENT_COOKIE_NAME] = consent_cookie(*granted, user=user)
    return client
