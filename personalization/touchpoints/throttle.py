"""Rate limits for the script's endpoints that are plain Django views (the dismiss form):
the same rates as the API's writes (``personalization.api.visitor``), which cannot be
used here since only ``api/`` imports REST framework.

A counter per visitor and per address in the app's cache, starting at the first request
and expiring a minute later. Without the cache nothing can be counted and nothing is
refused: what these views do only touches the visitor's own cookies, and the events they
record are checked one by one (exposure tokens, repeats) anyway."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from personalization.cache import CacheUnavailable, app_cache
from personalization.conf import app_settings

#: (requests, seconds) per visitor (the id in his cookie, else his address) and per
#: address: the API's ``VisitorThrottle`` and ``AddressThrottle`` rates.
VISITOR_RATE = (120, 60)
ADDRESS_RATE = (600, 60)


def client_address(request: HttpRequest) -> str:
    """The connection's address, unless the shop says how many proxies stand in front of
    it (REST framework's ``NUM_PROXIES``), as the API reads it: an ``X-Forwarded-For`` a
    client invents is not believed."""
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = (getattr(settings, "REST_FRAMEWORK", None) or {}).get("NUM_PROXIES")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies is None or proxies == 0 or not forwarded:
        return remote
    addresses = forwarded.split(",")
    return addresses[-min(proxies, len(addresses))].strip()


def _over(scope: str, ident: str, rate: tuple[int, int]) -> bool:
    limit, period = rate
    digest = hashlib.blake2b(ident.encode(), digest_size=12).hexdigest()
    key = f"pz:throttle:{scope}:{digest}"
    cache = app_cache()
    if cache.add(key, 1, period):
        return False
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired just now: a new period starts
        cache.add(key, 1, period)
        return False
    except CacheUnavailable:
        return False


def throttled(request: HttpRequest, scope: str) -> int | None:
    """Seconds to wait when this request is one too many for ``scope``, else None."""
    ctx: Any = getattr(request, "visitor", None)
    address = client_address(request)
    known = request.COOKIES.get(app_settings.VISITOR_COOKIE_NAME) and ctx is not None \
        and ctx.remembered
    visitor = f"vid:{ctx.visitor_id}" if known else f"ip:{address}"
    over_visitor = _over(f"{scope}:visitor", visitor, VISITOR_RATE)
    over_address = _over(f"{scope}:address", address, ADDRESS_RATE)
    if over_visitor or over_address:
        return max(VISITOR_RATE[1] if over_visitor else 0,
                   ADDRESS_RATE[1] if over_address else 0)
    return None
