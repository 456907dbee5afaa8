"""Slots (places in templates) and campaigns (what a slot shows, to whom, when)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from personalization.fields import WEEKDAY_CHOICES, ListField, MoneyField


class SlotKind(models.TextChoices):
    BANNER = "banner", _("Banner")
    POPUP = "popup", _("Popup")
    DISCOUNT = "discount", _("Discount code")
    PRODUCT_LIST = "product_list", _("Product list")
    TEXT = "text", _("Text")


class Slot(models.Model):
    """A named place in the shop's templates, e.g. ``{% personalize "home_hero" %}``."""

    key = models.SlugField(
        _("key"), max_length=80, unique=True,
        validators=[RegexValidator(r"^[a-z0-9_]+$", _("Use lowercase letters, digits and _."))],
        help_text=_("The name used in the template tag, e.g. home_hero."),
    )
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=SlotKind.choices,
                            help_text=_("Which kind of content this place shows."))
    description = models.TextField(_("description"), blank=True,
                                   help_text=_("Where the slot appears in the shop."))

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"


class Campaign(models.Model):
    """What a slot shows to an audience: the highest-priority matching campaign wins."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        LIVE = "live", _("Live")
        PAUSED = "paused", _("Paused")
        ARCHIVED = "archived", _("Archived")

    name = models.CharField(_("name"), max_length=150)
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="campaigns",
                             verbose_name=_("slot"))
    segments = models.ManyToManyField(
        "personalization.Segment", blank=True, related_name="campaigns",
        verbose_name=_("audience"),
        help_text=_("Visitors in any of these segments see the campaign. Empty: everybody."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT,
                              help_text=_("Only live campaigns are shown to visitors."))
    priority = models.IntegerField(
        _("priority"), default=0,
        help_text=_("When several campaigns could fill the slot, the highest priority wins."),
    )
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    weekdays = ListField(_("only on weekdays"), blank=True, item_choices=WEEKDAY_CHOICES,
                         help_text=_("Leave all unticked to run every day."))
    hour_start = models.PositiveSmallIntegerField(
        _("from hour"), null=True, blank=True, validators=[MaxValueValidator(23)],
        help_text=_("Daily window start (0–23, store time). Empty: all day."))
    hour_end = models.PositiveSmallIntegerField(
        _("until hour"), null=True, blank=True, validators=[MaxValueValidator(24)],
        help_text=_("Daily window end (1–24, exclusive). May be before the start to wrap "
                    "midnight."))
    holdout_percent = models.PositiveSmallIntegerField(
        _("holdout (%)"), default=0, validators=[MaxValueValidator(100)],
        help_text=_("Share of the audience that sees the default content instead, to measure "
                    "the campaign's uplift against them."))
    cap_impressions = models.PositiveIntegerField(
        _("frequency cap"), null=True, blank=True,
        help_text=_("Show at most this many times per visitor per period. Empty: no cap "
                    "(a popup: once per period, the shop's default)."))
    cap_period_hours = models.PositiveIntegerField(
        _("cap period (hours)"), default=24,
        help_text=_("Length of the frequency-cap period, e.g. 24 for 'per day'."))
    popup_on_checkout = models.BooleanField(
        _("popup on cart and checkout"), default=False,
        help_text=_("Let this campaign's popup open on the cart and checkout pages too. "
                    "Otherwise no popup interrupts a purchase."))
    waffle_flag = models.CharField(
        _("waffle flag"), max_length=100, blank=True,
        help_text=_("Show only while this django-waffle flag is active for the visitor."))
    cost = MoneyField(_("cost"), default=0,
                      help_text=_("What the campaign costs, for the ROI report."))
    margin_percent = models.DecimalField(
        _("margin (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Share of revenue that is profit, for the ROI report. Empty: the shop's "
                    "default (MARGIN_PERCENT)."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-priority", "name"]
        indexes = [models.Index(fields=["status", "slot"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The campaign ends before it starts.")
        if (self.hour_start is None) != (self.hour_end is None):
            errors["hour_end"] = _("Give both hours of the daily window, or neither.")
        elif self.hour_start is not None and self.hour_start == self.hour_end:
            errors["hour_end"] = _("The daily window is empty: both hours are equal.")
        if self.cap_impressions is not None and not self.cap_period_hours:
            errors["cap_period_hours"] = _("A frequency cap needs a period.")
        if errors:
            raise ValidationError(errors)
