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
