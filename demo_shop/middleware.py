"""Demo only: pretend to visit from another country with ``?country=ES``."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

COOKIE = "demo_country"


class DemoCountryMiddleware:
    """``?country=XX`` sets the country header personalization reads (``CF-IPCountry``, as
    a CDN would send it) for this and later requests, through a cookie; ``?country=`` (empty)
    forgets it. A real ``CF-IPCountry`` header is left alone. Off unless the setting
    ``DEMO_COUNTRY_HELPER`` is true: never let visitors choose their country in production.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not getattr(settings, "DEMO_COUNTRY_HELPER", False):
            return self.get_response(request)
        asked = request.GET.get("country")
        country = (asked if asked is not None else request.COOKIES.get(COOKIE, "")).upper()
        if not (len(country) == 2 and country.isalpha()):
            country = ""
        if country and "HTTP_CF_IPCOUNTRY" not in request.META:
            request.META["HTTP_CF_IPCOUNTRY"] = country
        response = self.get_response(request)
        if asked is not None:
            if country:
                response.set_cookie(COOKIE, country, max_age=7 * 86400, samesite="Lax")
            else:
                response.delete_cookie(COOKIE, samesite="Lax")
        return response


class DemoJourneyClockMiddleware:
    """Demo only: the journeys' scheduled run without Celery beat. ``make demo`` runs Celery
    eagerly, with no worker and no beat, so nothing would scan for due journey messages;
    here, after a response, at most once every ``DEMO_JOURNEY_CLOCK`` seconds (per
    process), the beat task runs the way beat would start it (eagerly: in this process, its
    messages sent right away). With a broker (REDIS_URL) beat does it: this steps aside.
    Decided in docs/decisions.md ("The demo runs its journeys by itself")."""

    KEY = "demo:journey-clock"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from django.core.exceptions import MiddlewareNotUsed

        self.interval = int(getattr(settings, "DEMO_JOURNEY_CLOCK", 0) or 0)
        if self.interval <= 0 or not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(("/static/", "/img/")) and self.due():
            self.tick()
        return response

    def due(self) -> bool:
        from django.core.cache import cache

        try:
            return bool(cache.add(self.KEY, 1, self.interval))
        except Exception:  # no cache: no clock, the page is served all the same
            return False

    @staticmethod
    def tick() -> None:
        import logging

        from personalization.jobs.tasks import scan_journeys

        try:
            scan_journeys.delay()
        except Exception:  # a journey that fails must not fail the page that woke it
            logging.getLogger(__name__).exception("The demo's journey scan failed")
