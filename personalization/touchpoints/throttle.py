"""Rate limits for the visitor's writes: one definition for the API's throttles
(``personalization.api.visitor``, REST framework's side) and the script's endpoints that
are plain Django views (the dismiss form).

Two limits: per visitor (the id in his cookie, else his address) and per address, whatever
the cookies say. Each is a counter per ident in the app's cache, starting at the first
request and expiring ``seconds`` later (``cache.within_rate``). Without the cache nothing
can be counted and nothing is refused: the limits fail open (docs/decisions.md,
"Throttles fail open")."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from personalization.cache import within_rate
from personalization.conf import app_settings


def client_address(request: HttpRequest) -> str:
    """The connection's address, unless the shop says how many proxies stand in front of
    it (REST framework's ``NUM_PROXIES``): an ``X-Forwarded-For`` a client invents is not
    believed, so inventing one does not dodge the per-address limit."""
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = (getattr(settings, "REST_FRAMEWORK", None) or {}).get("NUM_PROXIES")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies is None or proxies == 0 or not forwarded:
        return remote
    addresses = forwarded.split(",")
    return addresses[-min(proxies, len(addresses))].strip()


def visitor_ident(request: HttpRequest) -> str:
    """The visitor's id when his cookie names a visitor he is remembered as, else his
    address."""
    ctx: Any = getattr(request, "visitor", None)
    known = request.COOKIES.get(app_settings.VISITOR_COOKIE_NAME) and ctx is not None \
        and ctx.remembered
    return f"vid:{ctx.visitor_id}" if known else f"ip:{client_address(request)}"


@dataclass
class Limit:
    """At most ``count`` writes per ``seconds`` per ident."""

    name: str
    count: int
    seconds: int
    ident: Callable[[HttpRequest], str]

    def allows(self, request: HttpRequest, scope: str) -> bool:
        """Count this request under ``scope`` (the API, the dismiss form) and say whether
        it is within the limit."""
        digest = hashlib.blake2b(self.ident(request).encode(), digest_size=12).hexdigest()
        return within_rate(f"pz:throttle:{scope}:{self.name}:{digest}", self.count,
                           self.seconds)


VISITOR_LIMIT = Limit("visitor", 120, 60, visitor_ident)
ADDRESS_LIMIT = Limit("address", 600, 60, client_address)
LIMITS = (VISITOR_LIMIT, ADDRESS_LIMIT)


def throttled(request: HttpRequest, scope: str) -> int | None:
    """Seconds to wait when this request is one too many for ``scope``, else None. Every
    limit counts the request, so one over its limit does not spare the others."""
    over = [limit for limit in LIMITS if not limit.allows(request, scope)]
    return max(limit.seconds for limit in over) if over else None
