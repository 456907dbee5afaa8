"""Rules on who the customer is: group, interests, surroundings, other segments, flags."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from personalization.fields import (
    CatalogIdsField,
    ListField,
    catalog_text,
    validate_slug_item,
)
from personalization.rules.base import IdSets, Rule, any_of, between, check_range, range_text

if TYPE_CHECKING:
    from personalization.rules.context import RuleContext

HISTORY = "personalization"


class CustomerGroupRule(Rule):
    """Matches a customer group (e.g. retail, farm, vip) and/or business (B2B) accounts."""

    class Business(models.TextChoices):
        ANY = "any", _("B2B or B2C")
        B2B = "b2b", _("Business account (B2B) only")
        B2C = "b2c", _("Consumers (B2C) only")

    groups = ListField(_("customer groups"), blank=True, item_validator=validate_slug_item,
                       help_text=_("Any of these groups, comma-separated. Empty: any group."))
    business = models.CharField(_("account type"), max_length=3, choices=Business.choices,
                                default=Business.ANY)

    family = _("Customer")
    consent_purpose = HISTORY

    class Meta:
        verbose_name = _("customer group or B2B account")
        verbose_name_plural = _("customer-group rules")

    def clean(self):
        if not self.groups and self.business == self.Business.ANY:
            raise ValidationError(_("Name a customer group or choose an account type."))

    def matches(self, ctx: RuleContext) -> bool:
        profile = ctx.profile
        if profile is None:
            return False
        if self.groups and profile.customer_group not in self.groups:
            return False
        if self.business == self.Business.B2B:
            return profile.is_b2b
        if self.business == self.Business.B2C:
            return not profile.is_b2b
        return True

    def customer_filter(self, customers):
        return customers.group_filter(self.groups, self.business)

    def describe(self):
        parts = []
        if self.groups:
            parts.append(str(_("customer group %(g)s") % {"g": any_of(self.groups)}))
        if self.business != self.Business.ANY:
            parts.append(str(self.get_business_display()))
        return ", ".join(parts)


class CategoryAffinityRule(IdSets, Rule):
    """Matches visitors with a strong interest in some categories.

    Interest is the share of the customer's ordered lines in those categories, or, for
    visitors with no orders, the share of their recent product views (docs/rules.md).
    """

    category_ids = CatalogIdsField(_("categories"), kind="category",
                                   help_text=_("Category ids, comma-separated."))
    min_share = models.PositiveSmallIntegerField(
        _("minimum share (%)"), default=30,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("At least this percentage of what the visitor bought or viewed."),
    )

    family = _("Customer")
    consent_purpose = HISTORY

    class Meta:
        verbose_name = _("category affinity")
        verbose_name_plural = _("category-affinity rules")

    def clean(self):
        from personalization.rules.commerce import shop_has

        segment = getattr(self, "segment", None)  # unset: RelatedObjectDoesNotExist
        # A live segment still reads the categories viewed; a computed one has only orders.
        if getattr(segment, "kind", "") == "computed" and not shop_has("category"):
            raise ValidationError(_(
                "This shop's orders record no categories (its commerce adapter's "
                "order_fields.category is None): a computed segment cannot measure "
                "interest in a category. Use a live segment (categories viewed)."))

    def matches(self, ctx: RuleContext) -> bool:
        affinity = ctx.category_affinity
        share = sum(affinity.get(c, 0.0) for c in self.category_id_set)
        return share * 100 >= self.min_share

    def customer_filter(self, customers):
        return customers.category_share_at_least(
            {int(c) for c in self.category_ids}, self.min_share)

    def describe(self):
        return str(_("%(p)s%% or more of interest in category %(ids)s") % {
            "p": self.min_share, "ids": catalog_text("category", self.category_ids)})


class TemperatureRule(Rule):
    """Matches on the outside temperature at the visitor's location (°C).

    The temperature comes from the provider in ``PERSONALIZATION["TEMPERATURE_PROVIDER"]``;
    when it knows nothing, the rule does not match.
    """

    minimum = models.DecimalField(_("from °C"), max_digits=4, decimal_places=1, null=True,
                                  blank=True,
                                  validators=[MinValueValidator(-90), MaxValueValidator(60)])
    maximum = models.DecimalField(_("to °C"), max_digits=4, decimal_places=1, null=True,
                                  blank=True,
                                  validators=[MinValueValidator(-90), MaxValueValidator(60)])

    family = _("Context")

    class Meta:
        verbose_name = _("temperature")
        verbose_name_plural = _("temperature rules")

    def clean(self):
        check_range(self.minimum, self.maximum, required=True)

    def matches(self, ctx: RuleContext) -> bool:
        return between(ctx.temperature, self.minimum, self.maximum)

    def describe(self):
        return str(_("temperature %(r)s") % {"r": range_text(self.minimum, self.maximum, "°C")})


WEATHER_CHOICES = [("clear", _("clear sky")), ("clouds", _("clouds")), ("fog", _("fog")),
                   ("rain", _("rain or showers")), ("snow", _("snow")),
                   ("storm", _("thunderstorm"))]


class WeatherRule(Rule):
    """Matches the weather now at the visitor's location (from ``WEATHER_PROVIDER``); when
    the weather is unknown (no provider, no location, the service down) it does not match."""

    conditions = ListField(_("weather"), item_choices=WEATHER_CHOICES,
                           help_text=_("The rule matches any of the ticked conditions."))

    family = _("Context")

    class Meta:
        verbose_name = _("weather")
        verbose_name_plural = _("weather rules")

    def matches(self, ctx: RuleContext) -> bool:
        weather = ctx.weather
        return weather is not None and weather.condition in self.conditions

    def describe(self):
        return str(_("weather is %(list)s") % {"list": any_of(self.conditions,
                                                               WEATHER_CHOICES)})


class InSegmentRule(Rule):
    """Matches visitors who are in another segment."""

    other = models.ForeignKey(
        "personalization.Segment", on_delete=models.CASCADE, related_name="+",
        verbose_name=_("segment"),
    )

    family = _("Customer")

    class Meta:
        verbose_name = _("in another segment")
        verbose_name_plural = _("in-segment rules")

    def clean(self):
        if self.other_id and self.other_id == self.segment_id:
            raise ValidationError({"other": _("A segment cannot contain itself.")})

    def matches(self, ctx: RuleContext) -> bool:
        return ctx.in_segment(self.other_id)

    def customer_filter(self, customers):
        return customers.segment_filter(self.other_id)

    def describe(self):
        return str(_("in segment %(name)s") % {"name": f"#{self.other_id}"})


class WaffleFlagRule(Rule):
    """Matches when a django-waffle flag is active for this request."""

    flag = models.CharField(_("waffle flag"), max_length=100,
                            help_text=_("Name of a flag from the Waffle section of the admin."))

    family = _("Context")

    class Meta:
        verbose_name = _("waffle flag active")
        verbose_name_plural = _("waffle-flag rules")

    def matches(self, ctx: RuleContext) -> bool:
        return ctx.flag_active(self.flag)

    def describe(self):
        return str(_("flag %(f)s is active") % {"f": self.flag})
