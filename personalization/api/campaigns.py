"""Campaigns with their variants through the API, checked as in the admin (the same
functions): each variant's own checks, variants that fit the slot, weights that do not add
up to 0, a schedule that ends after it starts, and a running experiment's split locked."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAdminUser

from personalization.api.children import WithChildren, build_children, child_data
from personalization.api.parsers import PARSERS
from personalization.api.permissions import ModelPermissions
from personalization.fields import WEEKDAY_CHOICES
from personalization.models import VARIANT_KINDS, Campaign

#: Variant fields that are bookkeeping, not content.
_INTERNAL = {"id", "campaign", "polymorphic_ctype", "contentvariant_ptr", "created_at",
             "updated_at"}
#: The fields of a running experiment's split (the others lock how it is judged).
SPLIT = ("holdout_percent", "control_weight")
_JUDGED = ("How a running experiment is judged (its decision metric, goal, analysis and "
           "plan) is locked: pause the campaign to change it (the next run starts with it).")
_LOCKED = ("The split of a running experiment is locked: pause the campaign to change it "
           "(the next run starts with the new split).")


def _variant_types() -> dict[str, Any]:
    return {cls._meta.model_name: cls for cls in VARIANT_KINDS.values()}


#: A banner's or popup's uploaded image (shown as its URL) and its size: read-only here,
#: as DRF's read-only fields are (uploads go through the admin); sent back, they are
#: ignored and the stored image is kept (docs/api.md).
_READ_ONLY = {"image", "image_width", "image_height"}


def variant_data(variant: Any) -> dict[str, Any]:
    data = {**child_data(variant, _INTERNAL), "id": variant.pk}
    if "image" in data:
        data["image"] = variant.image.url if variant.image else ""
    return data


def _writable(item: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in item.items() if key not in _READ_ONLY}


class CampaignSerializer(WithChildren, serializers.ModelSerializer):
    variants = serializers.ListField(child=serializers.DictField(), required=False,
                                     max_length=20, write_only=True)
    children_field, parent_attr = "variants", "campaign"
    # A list as it is read ("weekdays": ["5", "6"]), not the text of a list.
    weekdays = serializers.ListField(child=serializers.ChoiceField(choices=WEEKDAY_CHOICES),
                                     required=False, max_length=7)

    class Meta:
        model = Campaign
        fields = ["id", "name", "slot", "status", "priority", "segments", "starts_at",
                  "ends_at", "weekdays", "hour_start", "hour_end", "holdout_percent",
                  "control_weight", "decision_metric", "goal_event", "analysis",
                  "minimum_effect_percent", "power_percent", "planned_visitors",
                  "cap_impressions", "cap_period_hours", "popup_on_checkout", "waffle_flag",
                  "cost", "margin_percent", "allocation", "bandit_per_segment",
                  "bandit_frozen", "variants"]

    def to_representation(self, instance: Campaign) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["variants"] = [variant_data(v) for v in instance.variants.all().order_by("pk")]
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        from personalization.admin.forms import variant_kind_problem, weights_problem
        from personalization.measurement.experiments import LOCKED_WHILE_RUNNING, open_run

        probe = self.instance or Campaign()
        plain = {k: v for k, v in attrs.items() if k not in ("variants", "segments")}
        running = self.instance is not None and open_run(self.instance) is not None
        if running and "holdout_percent" in plain \
                and plain["holdout_percent"] != self.instance.holdout_percent:
            raise ValidationError({"holdout_percent": [_LOCKED]})
        if running:
            changed = [key for key in LOCKED_WHILE_RUNNING
                       if key in plain and plain[key] != getattr(self.instance, key)]
            if changed:
                raise ValidationError({key: [_LOCKED if key in SPLIT else _JUDGED]
                                       for key in changed})
        for key, value in plain.items():
            setattr(probe, key, value)
        try:
            probe.full_clean(exclude=["segments"], validate_unique=False)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        if "variants" not in attrs:
            return attrs
        types = _variant_types()
        slot = probe.slot if probe.slot_id else None
        existing = self.existing_children()
        split = {pk: v.weight for pk, v in (existing or {}).items()}  # before any change
        built, errors = build_children([_writable(item) for item in attrs["variants"]],
                                       types, _INTERNAL, "campaign",
                                       lambda variant: variant_kind_problem(slot, variant),
                                       existing=existing)
        if running and not errors and {v.pk: v.weight for v in built} != split:
            # Texts may change during a run; which variants there are and their weights not.
            raise ValidationError({"variants": [_LOCKED]})
        problem = weights_problem([v.weight for v in built]) if not errors else ""
        if problem:
            errors["non_field_errors"] = [problem]
        if errors:
            raise ValidationError({"variants": errors})
        attrs["variants"] = built
        return attrs


class CampaignViewSet(viewsets.ModelViewSet):
    """Campaigns with their variants (with the model permissions)."""

    queryset = Campaign.objects.order_by("-priority", "name").prefetch_related("segments")
    serializer_class = CampaignSerializer
    authentication_classes = [SessionAuthentication]
    parser_classes = PARSERS
    permission_classes = [IsAdminUser, ModelPermissions]
