"""A strict Content-Security-Policy for the browser tests, as a shop would turn one on
(Django 6's ContentSecurityPolicyMiddleware, or django-csp on 5.2): no inline script, no
inline style, nothing from another origin. Off unless a test sets ``TEST_STRICT_CSP``
(the ``settings`` fixture), so one test can tour the shop under it; Django 5.2 has no CSP
middleware of its own, and this header is all the tour needs."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

#: 'report-sample': a violation's report carries the start of what was blocked.
STRICT_POLICY = ("default-src 'self'; script-src 'self' 'report-sample'; "
                 "style-src 'self' 'report-sample'; img-src 'self' data:; font-src 'self'; "
                 "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
                 "frame-ancestors 'none'")


class StrictCSPMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(settings, "TEST_STRICT_CSP", False):
            response["Content-Security-Policy"] = STRICT_POLICY
        return response
