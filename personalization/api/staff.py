"""Staff endpoints (the shop's login, staff with the model permissions): a campaign's
report as data, and why each slot shows what it shows to a customer or a visitor."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.shortcuts import get_object_or_404
from rest_framework import serializers, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from personalization.api.children import WithChildren, build_children, child_data
from personalization.api.parsers import PARSERS
from personalization.api.permissions import ModelPermissions, Needs
from personalization.api.protected import ProtectedDelete
from personalization.api.schema import OpenApiParameter, OpenApiTypes, extend_schema
from personalization.engine.context import VisitorContext
from personalization.engine.decide import choose
from personalization.engine.rulebook import get_rulebook
from personalization.models import Campaign, ExperimentRun, Segment, Slot
from personalization.touchpoints.preview import (
    CUSTOMER_PERMISSION,
    anonymous_facts,
    customer_facts,
    new_visitor_id,
    on_page,
)


class StaffView(APIView):
    """A staff endpoint; a subclass states the permission it needs in ``needs``."""

    authentication_classes = [SessionAuthentication]
    parser_classes = PARSERS
    permission_classes = [IsAdminUser, Needs]
    needs: str


def _plain(value: Any) -> Any:
    """Reports' dataclasses as JSON-ready data (floats, lists, dicts, text)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class CampaignReportView(StaffView):
    """The report of a campaign's run: each arm, each variant against control with its
    intervals, the guards and the verdict (what the admin's report page shows)."""

    needs = "personalization.view_campaign"

    @extend_schema(parameters=[
        OpenApiParameter("run", int, description="The run's number (default: the latest)."),
        OpenApiParameter("segment", str, description="A computed segment's slug: the "
                                                     "figures of its customers only.")],
        responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        campaign = get_object_or_404(Campaign, pk=pk)
        runs = ExperimentRun.objects.filter(campaign=campaign).order_by("-number")
        number = request.query_params.get("run")
        if number is not None and not number.isdigit():
            raise ValidationError({"run": ["A run number."]})
        run = runs.filter(number=int(number)).first() if number else runs.first()
        if run is None:
            raise NotFound("This campaign has no run (it has not been an experiment).")
        segment = None
        if request.query_params.get("segment"):
            segment = Segment.objects.filter(slug=request.query_params["segment"],
                                             kind=Segment.Kind.COMPUTED).first()
            if segment is None:
                raise ValidationError({"segment": ["No computed segment with this slug."]})
        from personalization.measurement.reports import run_report  # the [reports] extra

        report = run_report(run, segment)
        data = _plain(report)
        data.pop("daily", None)
        for drawing in ("chart", "chart_days", "size"):  # a bandit's: the admin's drawing
            (data.get("bandit") or {}).pop(drawing, None)
        data["run"] = run.number
        data["adjusted"] = report.adjusted
        data["state"] = report.judgement.state if report.judgement else None
        data["trusted"] = report.trusted
        if not report.trusted:  # as on the page: the reason only, no probability or ROI
            data["comparisons"] = [{"arm": c["arm"]["label"]} for c in data["comparisons"]]
        return Response(data)


class ExplainView(StaffView):
    """What each slot would show a customer (``user``, needs the permission to preview
    customers) or an anonymous visitor (``visitor`` id), on ``path``, and why."""

    needs = "personalization.view_segment"

    @extend_schema(parameters=[
        OpenApiParameter("user", str, description="A customer's username."),
        OpenApiParameter("visitor", str, description="An anonymous visitor id (UUID)."),
        OpenApiParameter("path", str, description="The page (default /), with its query "
                         "string if any (UTM parameters count as this visit's).")],
        responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        path = request.query_params.get("path", "/")[:500]
        if not path.startswith("/"):
            raise ValidationError({"path": ["A path starts with '/'."]})
        username = request.query_params.get("user")
        if username:
            if not request.user.has_perm(CUSTOMER_PERMISSION):
                raise PermissionDenied(f"Explaining a customer needs {CUSTOMER_PERMISSION}.")
            user = get_user_model()._default_manager.filter(
                **{get_user_model().USERNAME_FIELD: username}).first()
            if user is None:
                raise ValidationError({"user": ["No customer with this username."]})
            facts = customer_facts(user)
        else:
            try:
                raw = request.query_params.get("visitor")
                vid = str(uuid.UUID(raw)) if raw else new_visitor_id()
            except ValueError:
                raise ValidationError({"visitor": ["A visitor id is a UUID."]}) from None
            facts = anonymous_facts(vid)
        on_page(facts, path)
        out = []
        for key in sorted(get_rulebook().slots):
            decision = choose(key, VisitorContext(None, **facts), explain=True)
            out.append({"slot": key, "campaign": decision.campaign_id,
                        "variant": decision.variant_id, "control": decision.control,
                        "reasons": decision.reasons})
        return Response({"path": path, "decisions": out})



class SlotSerializer(serializers.ModelSerializer):
    """A slot; checked by the admin's own form, so the API says what the admin says."""

    class Meta:
        model = Slot
        fields = ["id", "key", "name", "kind", "description"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        from personalization.admin.forms import SlotForm

        data = {**({f: getattr(self.instance, f) for f in ("key", "name", "kind",
                                                          "description")}
                   if self.instance is not None else {}), **attrs}
        form = SlotForm(data=data, instance=self.instance)
        if not form.is_valid():
            raise ValidationError({k: [str(e) for e in v] for k, v in form.errors.items()})
        return attrs


class SlotViewSet(ProtectedDelete, viewsets.ModelViewSet):
    """Slots: list, read, create, change, delete (with the model permissions); a slot that
    campaigns use is not deleted (409 naming them)."""

    queryset = Slot.objects.order_by("key")
    serializer_class = SlotSerializer
    authentication_classes = [SessionAuthentication]
    parser_classes = PARSERS
    permission_classes = [IsAdminUser, ModelPermissions]


class SegmentRefreshView(StaffView):
    """Recompute a computed segment's membership now (what the admin's action does)."""

    needs = "personalization.change_segment"

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, pk: int) -> Response:
        from personalization.jobs.reach import estimate_reach
        from personalization.jobs.refresh import refresh_segment

        segment = get_object_or_404(Segment, pk=pk)
        if segment.kind != Segment.Kind.COMPUTED:
            raise ValidationError({"segment": ["Only computed segments are refreshed; a live "
                                               "segment is evaluated on every request."]})
        result = refresh_segment(segment.pk)
        estimate_reach(segment.pk)
        return Response(result.as_dict())


def _rule_types() -> dict[str, Any]:
    from personalization.rules import rule_types

    return {cls._meta.model_name: cls for cls in rule_types()}


#: Rule fields that are bookkeeping, not the rule.
_RULE_INTERNAL = {"id", "segment", "polymorphic_ctype", "rule_ptr", "position"}


def rule_data(rule: Any) -> dict[str, Any]:
    return child_data(rule, _RULE_INTERNAL)


class SegmentSerializer(WithChildren, serializers.ModelSerializer):
    """A segment with its rules, each ``{"type": "countryrule", "countries": ["NL"]}``; the
    rules are checked as in the admin (each rule's own checks, no request rule in a
    computed segment, no segment containing itself) and saved all or nothing."""

    rules = serializers.ListField(child=serializers.DictField(), required=False,
                                  max_length=50, write_only=True)
    children_field, parent_attr = "rules", "segment"

    class Meta:
        model = Segment
        fields = ["id", "name", "slug", "description", "kind", "match", "enabled", "rules",
                  "member_count", "reach", "reach_of"]
        read_only_fields = ["member_count", "reach", "reach_of"]

    def to_representation(self, instance: Segment) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["rules"] = [rule_data(r) for r in instance.rules.all().order_by("pk")]
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        from personalization.admin.forms import computed_rule_problem, cycle_problem

        types = _rule_types()
        probe = Segment(**{k: v for k, v in attrs.items() if k != "rules"})
        if self.instance is not None:
            probe = self.instance
            for key, value in attrs.items():
                if key != "rules":
                    setattr(probe, key, value)
        built, errors = build_children(
            attrs.get("rules") or [], types, _RULE_INTERNAL, "segment",
            lambda rule: computed_rule_problem(probe, rule), renames={"other": "other_id"},
            existing=self.existing_children() if "rules" in attrs else None)
        problem = cycle_problem(probe, {r.other_id for r in built if getattr(r, "other_id",
                                                                              None)})
        if problem:
            errors["non_field_errors"] = [problem]
        if errors:
            raise ValidationError({"rules": errors})
        attrs["rules"] = built
        return attrs


class SegmentViewSet(ProtectedDelete, viewsets.ModelViewSet):
    """Segments with their rules (with the model permissions); a segment a journey is aimed
    at is not deleted (409 naming it)."""

    queryset = Segment.objects.order_by("name").prefetch_related("rules")
    serializer_class = SegmentSerializer
    authentication_classes = [SessionAuthentication]
    parser_classes = PARSERS
    permission_classes = [IsAdminUser, ModelPermissions]

    def perform_create(self, serializer: SegmentSerializer) -> None:
        self._estimate(serializer.save())

    def perform_update(self, serializer: SegmentSerializer) -> None:
        self._estimate(serializer.save())

    @staticmethod
    def _estimate(segment: Segment) -> None:
        from personalization.admin.segments import estimate_later

        transaction.on_commit(lambda: estimate_later(segment.pk))
