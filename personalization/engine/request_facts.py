"""Facts read from a request: device class, referrer class, UTM keys, the store's clock."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings

from personalization.adapters import get_adapter
from personalization.conf import app_settings

if TYPE_CHECKING:
    from django.http import HttpRequest

logger = logging.getLogger(__name__)

UTM_KEYS = ("source", "medium", "campaign")
SEARCH_HOSTS = ("google.", "bing.", "duckduckgo.", "yahoo.", "ecosia.", "baidu.", "yandex.")
SOCIAL_HOSTS = ("facebook.", "instagram.", "t.co", "twitter.", "x.com", "linkedin.",
                "pinterest.", "tiktok.", "reddit.", "youtube.")
EMAIL_HOSTS = ("mail.", "outlook.", "webmail")


def device_class(user_agent: str, mobile_hint: str = "") -> str:
    """mobile / tablet / desktop / bot, from the User-Agent (and the Sec-CH-UA-Mobile hint).

    ua-parser keeps the browsers it has seen (2,000, its own cache), so nothing here does;
    with the ``fast-ua`` extra it matches a new one in its Rust regex engine (about 10 µs,
    against about 0.5 ms in Python: docs/decisions.md)."""
    if mobile_hint == "?1":
        return "mobile"
    ua = user_agent.lower()
    if not ua:
        return "desktop"
    if any(b in ua for b in ("bot", "crawl", "spider", "slurp", "headlesschrome")):
        return "bot"
    from ua_parser import parse_device

    device = parse_device(user_agent)
    family = (device.family if device else "") or ""
    if "ipad" in ua or "tablet" in ua or ("android" in ua and "mobile" not in ua):
        return "tablet"
    if "mobi" in ua or "iphone" in ua or family in ("iPhone", "Generic Smartphone"):
        return "mobile"
    if family == "Spider":
        return "bot"
    return "desktop"


def referrer_class(referrer: str, own_host: str) -> str:
    if not referrer:
        return "direct"
    host = (urlsplit(referrer).hostname or "").lower()
    if not host:
        return "other"
    if own_host and host == own_host.split(":")[0].lower():
        return "internal"
    if any(s in host for s in SEARCH_HOSTS):
        return "search"
    if any(s in host for s in SOCIAL_HOSTS):
        return "social"
    if any(host.startswith(s) or s in host for s in EMAIL_HOSTS):
        return "email"
    return "other"


def store_timezone() -> ZoneInfo:
    return ZoneInfo(app_settings.TIME_ZONE or settings.TIME_ZONE)


def is_checkout(request: HttpRequest | None, path: str) -> bool:
    """Whether ``path`` (this request's, or one given to ``explain``) is the cart or the
    checkout, where no popup opens unless its campaign allows it: the adapter's answer, or
    a path in ``CHECKOUT_PATHS``."""
    if path.startswith(tuple(app_settings.CHECKOUT_PATHS)):
        return True
    adapter = get_adapter()
    try:
        if request is None or request.path != path:
            return path.startswith(tuple(adapter.checkout_paths()))
        return bool(adapter.is_checkout(request))
    except Exception:  # an adapter's mistake must not break the page
        logger.exception("The commerce adapter's is_checkout() failed")
        return False
