"""Visitor endpoints: what each slot of a page shows this visitor, through the same
decision path as the template tags (the visitor cookie and consent apply as on a page)."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from personalization.api.schema import OpenApiParameter, extend_schema
from personalization.api.serializers import (
    DecisionQuery,
    DecisionsSerializer,
    variant_fields,
)
from personalization.engine.decide import choose
from personalization.touchpoints.exposure import exposure_token
from personalization.touchpoints.rendering import personal_part, render_decision


def _content(decision: Any, ctx: Any, request: Any) -> dict[str, Any] | None:
    if not decision.shows_variant:
        return None
    fields = variant_fields(decision.variant)
    personal = personal_part(decision, ctx)  # once: the markup uses it too
    if decision.slot_kind == "text":
        fields["text"] = str(personal.text) if personal.text is not None else None
    elif decision.slot_kind == "discount":
        fields["code"] = personal.code
    elif decision.slot_kind == "product_list":
        fields["products"] = [getattr(p, "pk", None) for p in personal.items or []]
    html = render_decision(decision, ctx, request, personal)
    return {"html": str(html) if html is not None else None, "fields": fields}


class DecisionsView(APIView):
    """What each slot shows the visitor making the request."""

    permission_classes = [AllowAny]
    # The shop's login, as on a page (an empty list would make DRF overwrite the request's
    # user with an anonymous one); the visitor cookie is read by the middleware.
    authentication_classes = [SessionAuthentication]

    @extend_schema(
        parameters=[OpenApiParameter("slot", str, many=True, required=True,
                                     pattern=r"^[a-z0-9_-]{1,80}$",
                                     description="A slot key; repeat for several."),
                    OpenApiParameter("path", str, pattern=r"^/",
                                     description="The storefront page."),
                    OpenApiParameter("category", int, many=True,
                                     description="Category ids being viewed, nearest first.")],
        responses=DecisionsSerializer)
    def get(self, request: Request) -> Response:
        query = DecisionQuery(data={"slot": request.query_params.getlist("slot"),
                                    "path": request.query_params.get("path", "/"),
                                    "category": request.query_params.getlist("category")})
        query.is_valid(raise_exception=True)
        ctx = request._request.visitor  # type: ignore[attr-defined]
        ctx.set_fact("path", query.validated_data["path"])
        ctx.set_fact("category_ids", tuple(query.validated_data["category"]))
        out = []
        for slot in query.validated_data["slot"]:
            decision = choose(slot, ctx)
            out.append({
                "slot": slot, "kind": decision.slot_kind, "campaign": decision.campaign_id,
                "variant": decision.variant_id, "control": decision.control,
                "shows_variant": decision.shows_variant,
                "token": exposure_token(ctx, decision),
                "content": _content(decision, ctx, request._request),
            })
        return Response({"decisions": out})
