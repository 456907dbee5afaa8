"""PersonalizationMiddleware: the visitor context on every request, and what follows."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers

from personalization.conf import app_settings
from personalization.cookies import delete_app_cookies, set_app_cookie
from personalization.engine.context import VisitorContext
from personalization.engine.cookies import VisitorState
from personalization.engine.decide import DEFERRED_KINDS, Page, in_global_holdout, page_of
from personalization.engine.profiles import record_visit
from personalization.engine.sticky import save as save_bandit_arms
from personalization.measurement.event_rows import event_row
from personalization.measurement.events import buffer_events
from personalization.privacy.consent import ANALYTICS, PERSONALIZATION
from personalization.touchpoints import preview

logger = logging.getLogger(__name__)

_current_request: ContextVar[HttpRequest | None] = ContextVar("pz_current_request",
                                                               default=None)


def current_request() -> HttpRequest | None:
    """The request this middleware is serving in this thread or task, or None (a worker,
    a management command). For shops whose own "order placed" signal carries no request
    (django-oscar's): their adapter passes this one on, so the order is attributed to the
    buyer's browser and its consent."""
    return _current_request.get()


class PersonalizationMiddleware:
    """Sets ``request.visitor`` (a lazy :class:`VisitorContext`).

    On the way out: marks any response a decision touched as private to this visitor
    (``Vary: Cookie``, ``Cache-Control: private``), writes the visitor and frequency-cap
    cookies when they changed, and hands the impressions to the event buffer.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from_headers = _state_from_headers(request)
        ctx = preview.context_for(request) or VisitorContext(request)
        request.visitor = ctx  # type: ignore[attr-defined]
        token = _current_request.set(request)
        try:
            with preview.in_chosen_language(ctx, request):
                response = self.get_response(request)
        finally:
            _current_request.reset(token)
        if self._is_asset(request):
            return response
        if isinstance(ctx, preview.PreviewContext):  # staff preview: show, record nothing
            preview.finish(ctx, request, response)
            return response
        try:
            self.finish(request, ctx, response)
        except Exception:  # bookkeeping must never cost the visitor his page
            logger.exception("Personalization bookkeeping failed")
        if from_headers:
            _state_to_headers(response)
        return response

    @staticmethod
    def _is_asset(request: HttpRequest) -> bool:
        static = getattr(settings, "STATIC_URL", None) or "/static/"
        return request.path.startswith("/" + static.lstrip("/"))

    def finish(self, request: HttpRequest, ctx: VisitorContext, response: HttpResponse) -> None:
        page = page_of(ctx)
        if page is not None:  # a slot was decided: the page is this visitor's
            patch_vary_headers(response, ("Cookie",))
            patch_cache_control(response, private=True)
            if "public" in response.get("Cache-Control", ""):
                response["Cache-Control"] = ", ".join(
                    p for p in response["Cache-Control"].split(", ") if p != "public")
        consent = ctx.consent if ctx.is_loaded("consent") else None
        if consent is not None and consent.changed:
            set_app_cookie(response, request, app_settings.CONSENT_COOKIE_NAME, consent.dumps())
        if response.status_code >= 400:
            return
        if not ctx.remembered:
            # No visitor-id cookie before consent, and none kept after it is withdrawn.
            if app_settings.VISITOR_COOKIE_NAME in request.COOKIES:
                delete_app_cookies(response, app_settings.VISITOR_COOKIE_NAME)
        else:
            state = ctx.state
            if 200 <= response.status_code < 300:
                state.record_view(ctx.category_ids)
            if state.new_visit and ctx.is_authenticated and ctx.has_consent(PERSONALIZATION):
                record_visit(ctx.user.pk)
            if page is not None and state.recorded_visit != state.visits:
                self._record_program_visit(ctx, state, page)
            if state.changed:
                set_app_cookie(response, request, app_settings.VISITOR_COOKIE_NAME,
                               state.dumps())
        if page is not None:
            self._record_impressions(ctx, page)
            save_bandit_arms(ctx)  # a customer's new bandit arms, on his profile
        caps = ctx.caps if ctx.is_loaded("caps") else None
        if caps is not None and caps.changed:
            set_app_cookie(response, request, app_settings.CAP_COOKIE_NAME, caps.dumps())

    @staticmethod
    def _record_program_visit(ctx: VisitorContext, state: VisitorState, page: Page) -> None:
        """Once per visit to a personalized page: in the global holdout or not (what the
        program-impact report compares)."""
        state.recorded_visit = state.visits
        state.changed = True
        if not ctx.has_consent(ANALYTICS):
            return
        user = ctx.user
        buffer_events([event_row(
            visitor_id=ctx.bucket_id, type="visit",
            control=page.held_out if page.held_out is not None else in_global_holdout(ctx),
            user_id=user.pk if user is not None and user.is_authenticated else None)])

    @staticmethod
    def _record_impressions(ctx: VisitorContext, page: Page) -> None:
        exposures = page.exposures
        if not exposures:
            return
        now = int(time.time())
        created_at = timezone.now().isoformat()
        measured = ctx.has_consent(ANALYTICS)
        user = ctx.user
        user_id = user.pk if user is not None and user.is_authenticated else None
        rows = []
        for decision in exposures:
            if decision.slot_kind in DEFERRED_KINDS:
                continue  # recorded when the script shows it (touchpoints.views.shown)
            campaign = decision.campaign
            if campaign.cap_impressions is not None:
                ctx.caps.add(campaign.id, campaign.cap_period_hours, now)
            if not measured:
                continue  # without analytics consent nothing is recorded
            rows.append(event_row(
                visitor_id=ctx.bucket_id, user_id=user_id, type="impression",
                slot=decision.slot, campaign_id=campaign.id, variant_id=decision.variant_id,
                control=decision.control, created_at=created_at))
        buffer_events(rows)


#: A native app without cookies sends and keeps its state in these headers instead: the
#: same signed values as the cookies (visitor, consent, frequency caps).
STATE_HEADERS = {"HTTP_X_PZ_VISITOR": "VISITOR_COOKIE_NAME",
                 "HTTP_X_PZ_CONSENT": "CONSENT_COOKIE_NAME",
                 "HTTP_X_PZ_CAPS": "CAP_COOKIE_NAME"}


def _state_from_headers(request: HttpRequest) -> bool:
    """Read the app's state headers as the cookies they stand for (a cookie wins);
    returns whether the request used them (the answer then carries them back)."""
    used = False
    for header, setting in STATE_HEADERS.items():
        value = request.META.get(header)
        name = getattr(app_settings, setting)
        if value and name not in request.COOKIES:
            request.COOKIES = {**request.COOKIES, name: value[:4096]}
            used = True
    return used


def _state_to_headers(response: HttpResponse) -> None:
    """What the response would set as cookies, as the app's state headers."""
    for header, setting in STATE_HEADERS.items():
        morsel = response.cookies.get(getattr(app_settings, setting))
        if morsel is not None:
            response["X-PZ-" + header.rsplit("_", 1)[1].title()] = morsel.value
