"""Visitor endpoints beyond decisions: events, consent choices, and the visitor's own data
(export and erasure), with the same rules as the script's endpoints and the privacy pages."""

from __future__ import annotations

from typing import Any

from django.middleware.csrf import get_token
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from personalization.api.parsers import PARSERS, loads
from personalization.api.schema import OpenApiTypes, extend_schema
from personalization.api.serializers import (
    MAX_EVENTS,
    ConsentChoicesSerializer,
    ErasureSerializer,
    EventBatchSerializer,
    EventsAnswerSerializer,
)
from personalization.conf import app_settings
from personalization.cookies import delete_app_cookies
from personalization.datarights.subjects import erase_subject, export_subject
from personalization.models import ConsentRecord
from personalization.privacy.consent import purposes, record_choices
from personalization.touchpoints.interactions import (
    custom_event,
    dismiss_campaign,
    drop_unserved,
    find_campaign,
    interaction_event,
    record,
    shown_by_script,
    variant_of,
    view_event,
)
from personalization.touchpoints.throttle import throttled


class VisitorCsrf(SessionAuthentication):
    """The shop's login, and CSRF checked on every write, logged in or not: the visitor is
    known by his cookies, so another site must not be able to write in his name."""

    def authenticate(self, request: Request) -> Any:
        found = super().authenticate(request)
        if found is None and request.method not in ("GET", "HEAD", "OPTIONS"):
            self.enforce_csrf(request)
        return found


class VisitorWriteThrottle(BaseThrottle):
    """The visitor's writes at the rates of ``touchpoints.throttle`` (120 a minute per
    visitor, 600 per address), counted in the app's cache the way the dismiss form counts
    them. While the cache cannot be reached nothing is counted and every write goes
    through (the outage is logged once by the cache, see ``personalization.cache``), so a
    visitor can still set his consent or erase his data; REST framework's own throttles
    would call the cache directly and answer 500."""

    def allow_request(self, request: Request, view: Any) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        self.wait_seconds = throttled(request._request, "api")
        return self.wait_seconds is None

    def wait(self) -> float | None:
        return self.wait_seconds


class VisitorView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = [VisitorCsrf]
    parser_classes = PARSERS
    throttle_classes = [VisitorWriteThrottle]

    @staticmethod
    def visitor(request: Request) -> Any:
        return request._request.visitor  # type: ignore[attr-defined]


class EventsView(VisitorView):
    """What the visitor did with campaigns' content (popups shown, clicks, dismissals) and
    the shop's custom events, in batches; recorded with analytics consent. An event about a
    campaign counts only with the exposure token of a slot that served it to this visitor,
    and once within ``EVENT_REPEAT_WINDOW``; the others are dropped (``dropped``).

    JSON with the ``X-CSRFToken`` header, or (what ``navigator.sendBeacon`` can send, as the
    bundled script does) a form with the token in ``csrfmiddlewaretoken`` and the batch as
    JSON in ``events``."""

    @extend_schema(request=EventBatchSerializer, responses={202: EventsAnswerSerializer})
    def post(self, request: Request) -> Response:
        data = request.data
        if hasattr(data, "getlist"):  # a form: the batch is JSON in its "events" field
            try:
                data = {"events": loads(data.get("events", ""))}
            except ValueError:
                raise ValidationError({"events": [_("The events field is not JSON.")]}) \
                    from None
        events = data.get("events") if isinstance(data, dict) else None
        if isinstance(events, list) and len(events) > MAX_EVENTS:
            return Response({"events": [_("At most %(n)s events per batch.")
                                        % {"n": MAX_EVENTS}]},
                            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        batch = EventBatchSerializer(data=data)
        batch.is_valid(raise_exception=True)
        ctx = self.visitor(request)
        found = []
        errors: dict[str, list[str]] = {}
        for i, event in enumerate(batch.validated_data["events"]):
            campaign = None
            if event.get("campaign") is not None:
                campaign = find_campaign(ctx, event["campaign"])
                if campaign is None:
                    errors[str(i)] = [_("Unknown campaign %(id)s.") % {"id": event["campaign"]}]
                    continue
                if event["type"] == "view" and not shown_by_script(ctx, campaign):
                    errors[str(i)] = [_("Campaign %(id)s is not shown by the script: it is "
                                        "counted when it is decided.") % {"id": campaign.id}]
                    continue
                if event.get("variant") is not None and event["type"] != "view" \
                        and variant_of(campaign, event["variant"]) is None:
                    errors[str(i)] = [_("Variant %(v)s is not campaign %(id)s's.") % {
                        "v": event["variant"], "id": campaign.id}]
                    continue
            found.append((event, campaign))
        if errors:  # nothing is half-written: the batch is refused whole
            raise ValidationError({"events": errors})
        kept, dropped = drop_unserved(ctx, found)
        rows = []
        for event, campaign, exposure, counted in kept:
            kind = event["type"]
            variant = exposure.variant_id if exposure is not None else None
            if kind == "view":
                row = view_event(ctx, campaign)  # counts toward the cap even when a repeat
                rows.append(row if counted else None)
            elif kind == "custom":
                rows.append(custom_event(ctx, event["name"], campaign, variant,
                                         event.get("value")))
            else:
                if kind == "dismiss":
                    dismiss_campaign(ctx, campaign)
                rows.append(interaction_event(ctx, campaign, kind, variant) if counted
                            else None)
        # In the database before the answer: an accepted event survives any restart.
        return Response({"recorded": record(rows), "dropped": dropped},
                        status=status.HTTP_202_ACCEPTED)


class ConsentView(VisitorView):
    """The visitor's consent choices: read them (which also sets Django's CSRF cookie, for
    an app's first write), or set them (recorded as from the banner)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        get_token(request._request)  # the CSRF cookie, for the writes that follow
        state = self.visitor(request).consent
        return Response({"decided": state.decided, "policy_version": state.version,
                         "purposes": [{"key": p.key, "name": p.display_name,
                                       "required": p.required,
                                       "granted": p.required or p.key in state.allowed}
                                      for p in purposes()]})

    @extend_schema(request=ConsentChoicesSerializer, responses=OpenApiTypes.OBJECT)
    def put(self, request: Request) -> Response:
        body = ConsentChoicesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        optional = {p.key for p in purposes() if not p.required}
        chosen = body.validated_data["choices"]
        unknown = sorted(set(chosen) - optional)
        if unknown:
            raise ValidationError({"choices": [_("Not a purpose you can choose: %(keys)s.")
                                               % {"keys": ", ".join(unknown)}]})
        ctx = self.visitor(request)
        user = request.user if request.user.is_authenticated else None
        state = record_choices(choices={k: bool(chosen.get(k, False)) for k in optional},
                               source=ConsentRecord.Source.BANNER, user=user,
                               visitor_id=ctx.visitor_id)
        ctx.set_fact("consent", state)  # the middleware writes the cookie
        ctx.forget_facts("allowed_purposes", "remembered")
        if ctx.remembered:
            ctx.state.changed = True
        return self.get(request)


class MeView(VisitorView):
    """The visitor's own data: everything held on him (his account and this browser), and
    its erasure."""

    def _subject(self, request: Request) -> dict[str, Any]:
        ctx = self.visitor(request)
        user = request.user if request.user.is_authenticated else None
        remembered = request.COOKIES.get(app_settings.VISITOR_COOKIE_NAME) and ctx.remembered
        return {"user": user, "visitor_id": ctx.visitor_id if remembered else None}

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        return Response(export_subject(**self._subject(request)))

    @extend_schema(request=ErasureSerializer, responses=OpenApiTypes.OBJECT)
    def delete(self, request: Request) -> Response:
        ErasureSerializer(data=request.data).is_valid(raise_exception=True)
        counts = erase_subject(**self._subject(request))
        self.visitor(request).forget_visitor()
        response = Response({"erased": counts})
        delete_app_cookies(response)
        return response
