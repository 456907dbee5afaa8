"""Visitor endpoints beyond decisions: events, consent choices, and the visitor's own data
(export and erasure), with the same rules as the script's endpoints and the privacy pages."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from personalization.api.serializers import (
    MAX_EVENTS,
    ConsentChoicesSerializer,
    ErasureSerializer,
    EventBatchSerializer,
)
from personalization.conf import app_settings
from personalization.models import ConsentRecord
from personalization.privacy.consent import purposes, record_choices
from personalization.privacy.subjects import erase_subject, export_subject
from personalization.touchpoints.views import dismiss_campaign, find_campaign, record_interaction


class VisitorCsrf(SessionAuthentication):
    """The shop's login, and CSRF checked on every write, logged in or not: the visitor is
    known by his cookies, so another site must not be able to write in his name."""

    def authenticate(self, request: Request) -> Any:
        found = super().authenticate(request)
        if found is None and request.method not in ("GET", "HEAD", "OPTIONS"):
            self.enforce_csrf(request)
        return found


class VisitorThrottle(AnonRateThrottle):
    """Per visitor (the id in his cookie, else his address): 120 writes a minute."""

    scope = "pz_visitor"
    rate = "120/min"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        ctx = getattr(request._request, "visitor", None)
        known = request.COOKIES.get(app_settings.VISITOR_COOKIE_NAME) and ctx is not None \
            and ctx.remembered
        return self.cache_format % {"scope": self.scope, "ident": ctx.visitor_id if known
                                    else self.get_ident(request)}


class AddressThrottle(AnonRateThrottle):
    """Per address, whatever the cookies say: 600 writes a minute."""

    scope = "pz_address"
    rate = "600/min"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class VisitorView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = [VisitorCsrf]
    throttle_classes = [VisitorThrottle, AddressThrottle]

    @staticmethod
    def visitor(request: Request) -> Any:
        return request._request.visitor  # type: ignore[attr-defined]


class EventsView(VisitorView):
    """Clicks and dismissals of campaigns, in batches (recorded with analytics consent)."""

    @extend_schema(request=EventBatchSerializer, responses={202: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        events = request.data.get("events") if isinstance(request.data, dict) else None
        if isinstance(events, list) and len(events) > MAX_EVENTS:
            return Response({"events": [_("At most %(n)s events per batch.")
                                        % {"n": MAX_EVENTS}]},
                            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        batch = EventBatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        ctx = self.visitor(request)
        found = [(e, find_campaign(ctx, e["campaign"])) for e in batch.validated_data["events"]]
        unknown = sorted({e["campaign"] for e, campaign in found if campaign is None})
        if unknown:  # nothing is half-written: the batch is refused whole
            raise ValidationError({"events": [_("Unknown campaign(s): %(ids)s.") % {
                "ids": ", ".join(map(str, unknown))}]})
        recorded = 0
        for event, campaign in found:
            if event["type"] == "dismiss":
                dismiss_campaign(ctx, campaign)
            recorded += record_interaction(ctx, campaign, event["type"], event.get("variant"))
        return Response({"recorded": recorded}, status=status.HTTP_202_ACCEPTED)


class ConsentView(VisitorView):
    """The visitor's consent choices: read them, or set them (recorded as from the banner)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        state = self.visitor(request).consent
        return Response({"decided": state.decided, "policy_version": state.version,
                         "purposes": [{"key": p.key, "name": p.name, "required": p.required,
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
        for name in (app_settings.VISITOR_COOKIE_NAME, app_settings.CAP_COOKIE_NAME,
                     app_settings.CONSENT_COOKIE_NAME):
            response.delete_cookie(name, samesite="Lax")
        return response
