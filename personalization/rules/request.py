"""Rules on the request: who, where from, on what device, looking at what."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from personalization.fields import (
    CatalogIdsField,
    ListField,
    catalog_text,
    validate_country_code,
    validate_language_code,
    validate_regex,
)
from personalization.rules.base import (
    IdSets,
    PatternMatch,
    Rule,
    any_of,
    check_range,
    range_text,
)

if TYPE_CHECKING:
    from personalization.rules.context import RuleContext

DEVICE_CHOICES = [
    ("mobile", _("Mobile phone")),
    ("tablet", _("Tablet")),
    ("desktop", _("Desktop or laptop")),
    ("bot", _("Bot or crawler")),
]
#: The device types as a reason names them ("device is mobile or tablet").
DEVICE_NAMES = {"mobile": _("mobile"), "tablet": _("tablet"), "desktop": _("desktop"),
                "bot": _("bot")}
REFERRER_CHOICES = [
    ("direct", _("Direct (no referrer)")),
    ("search", _("Search engine")),
    ("social", _("Social network")),
    ("email", _("E-mail or newsletter")),
    ("internal", _("This shop")),
    ("other", _("Other website")),
]


class LoggedInRule(Rule):
    """Matches a visitor who is logged in."""

    class Meta:
        verbose_name = _("logged in")
        verbose_name_plural = _("logged-in rules")

    def matches(self, ctx: RuleContext) -> bool:
        return bool(ctx.is_authenticated)

    def describe(self):
        return str(_("visitor is logged in"))


class VisitCountRule(Rule):
    """Matches on the number of visits (sessions) of this visitor, including this one."""

    minimum = models.PositiveIntegerField(
        _("at least"), null=True, blank=True, validators=[MaxValueValidator(100_000)],
        help_text=_("Smallest number of visits. 1 with no maximum: everybody; 2: returning."),
    )
    maximum = models.PositiveIntegerField(
        _("at most"), null=True, blank=True, validators=[MaxValueValidator(100_000)],
        help_text=_("Largest number of visits. Maximum 1: first-time visitors only."),
    )

    class Meta:
        verbose_name = _("new or returning visitor")
        verbose_name_plural = _("visit-count rules")

    def clean(self):
        check_range(self.minimum, self.maximum)

    def matches(self, ctx: RuleContext) -> bool:
        n = ctx.visit_count
        return (self.minimum is None or n >= self.minimum) and (
            self.maximum is None or n <= self.maximum
        )

    def describe(self):
        if self.maximum == 1 and not self.minimum:
            return str(_("first visit"))
        if self.minimum == 2 and self.maximum is None:
            return str(_("returning visitor"))
        return str(_("number of visits %(range)s") % {"range": range_text(self.minimum,
                                                                            self.maximum)})


#: The kinds of referrer as a reason names them ("came from a search engine").
REFERRER_NAMES = {"direct": _("nowhere (typed or bookmarked)"), "search": _("a search engine"),
                  "social": _("a social network"), "email": _("an e-mail"),
                  "internal": _("this shop"), "other": _("another website")}


class DeviceRule(Rule):
    """Matches the visitor's device class, derived from the user agent."""

    devices = ListField(_("devices"), item_choices=DEVICE_CHOICES,
                        help_text=_("The rule matches any of the ticked device types."))

    class Meta:
        verbose_name = _("device type")
        verbose_name_plural = _("device rules")

    def matches(self, ctx: RuleContext) -> bool:
        return ctx.device in self.devices

    def describe(self):
        return str(_("device is %(list)s") % {"list": any_of(self.devices, DEVICE_NAMES)})


class CountryRule(Rule):
    """Matches the visitor's country (from a CDN header or GeoIP)."""

    countries = ListField(
        _("countries"), item_validator=validate_country_code,
        help_text=_("Two-letter ISO codes, comma-separated, e.g. NL, BE, DE."),
    )

    class Meta:
        verbose_name = _("country")
        verbose_name_plural = _("country rules")

    def matches(self, ctx: RuleContext) -> bool:
        return bool(ctx.country) and ctx.country.upper() in self.country_set

    @cached_property
    def country_set(self) -> frozenset[str]:
        return frozenset(c.upper() for c in self.countries)

    def describe(self):
        return str(_("country is %(list)s") % {"list": ", ".join(self.countries)})


class LanguageRule(Rule):
    """Matches the visitor's language (the active language of the request)."""

    languages = ListField(
        _("languages"), item_validator=validate_language_code,
        help_text=_("Language codes, comma-separated, e.g. nl, en, de."),
    )

    class Meta:
        verbose_name = _("language")
        verbose_name_plural = _("language rules")

    def matches(self, ctx: RuleContext) -> bool:
        lang = (ctx.language or "").lower()
        return any(lang == code.lower() or lang.startswith(code.lower() + "-")
                   for code in self.languages)

    def describe(self):
        return str(_("language is %(list)s") % {"list": ", ".join(self.languages)})


class ReferrerClassRule(Rule):
    """Matches where the visitor came from: search, social, e-mail, direct ..."""

    classes = ListField(_("came from"), item_choices=REFERRER_CHOICES,
                        help_text=_("The rule matches any of the ticked kinds of referrer."))

    class Meta:
        verbose_name = _("referrer type")
        verbose_name_plural = _("referrer-type rules")

    def matches(self, ctx: RuleContext) -> bool:
        return ctx.referrer_class in self.classes

    def describe(self):
        return str(_("came from %(list)s") % {"list": any_of(self.classes,
                                                             REFERRER_NAMES)})


class ReferrerPatternRule(PatternMatch, Rule):
    """Matches the referring URL against a regular expression."""

    pattern = models.CharField(
        _("referrer pattern"), max_length=500, validators=[validate_regex],
        help_text=_("Regular expression searched in the referring URL, e.g. google\\.|bing\\."),
    )

    class Meta:
        verbose_name = _("referrer URL")
        verbose_name_plural = _("referrer-URL rules")

    def matches(self, ctx: RuleContext) -> bool:
        return bool(ctx.referrer) and self.pattern_re.search(ctx.referrer) is not None

    def describe(self):
        return str(_("referrer matches /%(p)s/") % {"p": self.pattern})


class UTMRule(Rule):
    """Matches a UTM parameter of the visitor's first or latest campaign click."""

    class Parameter(models.TextChoices):
        SOURCE = "source", "utm_source"
        MEDIUM = "medium", "utm_medium"
        CAMPAIGN = "campaign", "utm_campaign"

    class Touch(models.TextChoices):
        LAST = "last", _("latest visit from a campaign")
        FIRST = "first", _("first visit from a campaign")

    parameter = models.CharField(_("parameter"), max_length=10, choices=Parameter.choices,
                                 default=Parameter.SOURCE)
    values = ListField(_("values"), help_text=_(
        "Any of these values (case-insensitive), comma-separated, e.g. newsletter, facebook."))
    touch = models.CharField(_("touch"), max_length=5, choices=Touch.choices,
                             default=Touch.LAST)

    class Meta:
        verbose_name = _("UTM parameter")
        verbose_name_plural = _("UTM rules")

    def matches(self, ctx: RuleContext) -> bool:
        utm = ctx.utm_first if self.touch == self.Touch.FIRST else ctx.utm_last
        value = (utm or {}).get(self.parameter, "")
        return bool(value) and value.lower() in self.value_set

    @cached_property
    def value_set(self) -> frozenset[str]:
        return frozenset(v.lower() for v in self.values)

    def describe(self):
        return str(_("%(touch)s utm_%(p)s is %(v)s") % {
            "touch": self.get_touch_display(), "p": self.parameter,
            "v": ", ".join(self.values)})


class QueryParameterRule(Rule):
    """Matches a query-string parameter of the current URL."""

    name = models.CharField(_("parameter name"), max_length=100)
    value = models.CharField(
        _("value"), max_length=200, blank=True,
        help_text=_("Leave empty to match whenever the parameter is present."))

    class Meta:
        verbose_name = _("query parameter")
        verbose_name_plural = _("query-parameter rules")

    def matches(self, ctx: RuleContext) -> bool:
        if self.name not in ctx.query:
            return False
        return not self.value or ctx.query.get(self.name) == self.value

    def describe(self):
        if self.value:
            return str(_("URL has ?%(n)s=%(v)s") % {"n": self.name, "v": self.value})
        return str(_("URL has ?%(n)s") % {"n": self.name})


class PathRule(PatternMatch, Rule):
    """Matches the path of the current page against a regular expression."""

    pattern = models.CharField(
        _("path pattern"), max_length=500, validators=[validate_regex],
        help_text=_("Regular expression searched in the path, e.g. ^/category/cat-"),
    )

    class Meta:
        verbose_name = _("page path")
        verbose_name_plural = _("page-path rules")

    def matches(self, ctx: RuleContext) -> bool:
        return self.pattern_re.search(ctx.path or "") is not None

    def describe(self):
        return str(_("page path matches /%(p)s/") % {"p": self.pattern})


class CurrentCategoryRule(IdSets, Rule):
    """Matches when the visitor is looking at a category (or a product in it)."""

    category_ids = CatalogIdsField(
        _("categories"), kind="category",
        help_text=_("Category ids, comma-separated. Subcategories count too."),
    )

    class Meta:
        verbose_name = _("current category")
        verbose_name_plural = _("current-category rules")

    def matches(self, ctx: RuleContext) -> bool:
        return not self.category_id_set.isdisjoint(ctx.category_ids)

    def describe(self):
        return str(_("viewing category %(ids)s")
                   % {"ids": catalog_text("category", self.category_ids)})
