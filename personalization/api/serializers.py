"""What the API reads and answers: checked input, and decisions as data."""

from __future__ import annotations

from typing import Any

from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from personalization.html import without_control_characters

#: At most this many slots per request.
MAX_SLOTS = 20


class DecisionQuery(serializers.Serializer):
    """``?slot=home_hero&slot=greeting&path=/c/cats/&category=12``"""

    slot = serializers.ListField(
        child=serializers.RegexField(r"^[a-z0-9_-]{1,80}$", error_messages={
            "invalid": _("A slot key is lower-case letters, digits, '-' and '_'.")}),
        min_length=1, max_length=MAX_SLOTS,
        help_text=_("The slots of the page (repeat the parameter)."))
    path = serializers.CharField(max_length=500, required=False, default="/",
                                 help_text=_("The storefront page the visitor is on."))
    category = serializers.ListField(child=serializers.IntegerField(min_value=1),
                                     required=False, default=list, max_length=20,
                                     help_text=_("The category being viewed and its "
                                                 "ancestors, nearest first."))

    def validate_path(self, value: str) -> str:
        value = without_control_characters(value)
        if not value.startswith("/"):
            raise serializers.ValidationError(_("A path starts with '/'."))
        return value


class ContentSerializer(serializers.Serializer):
    html = serializers.CharField(allow_null=True)
    fields = serializers.DictField()


class DecisionSerializer(serializers.Serializer):
    slot = serializers.CharField()
    kind = serializers.CharField()
    campaign = serializers.IntegerField(allow_null=True)
    variant = serializers.IntegerField(allow_null=True)
    control = serializers.BooleanField()
    shows_variant = serializers.BooleanField()
    token = serializers.CharField(
        allow_null=True, help_text=_("Proof that this visitor was served this campaign's arm "
                                     "here: send it back with each event about it. Null "
                                     "when no campaign won."))
    content = ContentSerializer(allow_null=True)


class DecisionsSerializer(serializers.Serializer):
    decisions = DecisionSerializer(many=True)


#: Variant fields that are bookkeeping, not content.
_INTERNAL = {"id", "polymorphic_ctype", "campaign", "contentvariant_ptr", "weight", "name",
             "translations", "created_at", "updated_at"}


def variant_fields(variant: Any) -> dict[str, Any]:
    """The variant's content as plain data (headline, body, link, code, …)."""
    out: dict[str, Any] = {}
    for field in variant._meta.concrete_fields:
        if field.name in _INTERNAL or field.name.endswith("_ptr"):
            continue
        value = getattr(variant, field.attname)
        if isinstance(value, FieldFile):  # an uploaded image: where the page loads it from
            value = value.url if value else ""
        out[field.name] = value if isinstance(value, (str, int, float, bool, list)) \
            or value is None else str(value)
    return out


#: At most this many events per batch; a larger batch is refused with 413.
MAX_EVENTS = 50


class EventSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["view", "click", "dismiss", "custom"],
        help_text=_("view: a popup was shown (or, held out, would have been); click: its "
                    "link was followed; dismiss: it was closed; custom: the shop's own "
                    "event, with a name."))
    campaign = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                        help_text=_("Required, except for a custom event."))
    variant = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    token = serializers.CharField(
        required=False, allow_blank=True, allow_null=True,
        help_text=_("The exposure token of the slot the event happened in (its data-pz-token "
                    "attribute, or the decision's token). Required with a campaign: an event "
                    "without a valid token of this visitor is dropped."))
    name = serializers.RegexField(
        r"^[a-z0-9_.-]{1,64}$", required=False,
        error_messages={"invalid": _("An event name is 1 to 64 lower-case letters, digits, "
                                     "'.', '-' and '_'.")},
        help_text=_("A custom event's name, e.g. newsletter_signup."))
    value = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0,
                                     required=False, allow_null=True,
                                     help_text=_("A custom event's value, e.g. an amount."))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        custom = attrs["type"] == "custom"
        if custom and not attrs.get("name"):
            raise serializers.ValidationError({"name": [_("A custom event needs a name.")]})
        if not custom and attrs.get("campaign") is None:
            raise serializers.ValidationError(
                {"campaign": [_("A %(type)s event needs a campaign.") % attrs]})
        for field in ("name", "value"):
            if not custom and attrs.get(field) is not None:
                raise serializers.ValidationError(
                    {field: [_("Only a custom event has a %(field)s.") % {"field": field}]})
        return attrs


class EventBatchSerializer(serializers.Serializer):
    events = EventSerializer(many=True, allow_empty=False,
                             help_text=_("1 to 50 events."))


class EventsAnswerSerializer(serializers.Serializer):
    recorded = serializers.IntegerField(
        help_text=_("Events recorded (none without the visitor's analytics consent)."))
    dropped = serializers.IntegerField(
        help_text=_("Events left out: about a campaign without a valid exposure token of "
                    "this visitor, or the same event again within a short window."))


class ConsentChoicesSerializer(serializers.Serializer):
    choices = serializers.DictField(child=serializers.BooleanField(), allow_empty=False,
                                    help_text=_("Purpose key → allowed, e.g. "
                                                '{"analytics": true, "marketing": false}.'))


class ErasureSerializer(serializers.Serializer):
    confirm = serializers.BooleanField(help_text=_("Must be true: erasure cannot be undone."))

    def validate_confirm(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError(_("Send confirm: true to erase your data."))
        return value
