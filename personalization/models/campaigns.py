"""Slots (places in templates) and campaigns (what a slot shows, to whom, when)."""

from __future__ import annotations

import re
from decimal import Decimal

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


#: A custom event's name, as the events API and {% pz_goal %} take it.
GOAL_NAME = re.compile(r"[a-z0-9_.-]{1,64}")


class DecisionMetric(models.TextChoices):
    """What an experiment's verdict is about (chosen when its run starts, then locked)."""

    CONVERSION = "conversion", _("Conversion rate")
    REVENUE = "revenue", _("Revenue per visitor")
    GOAL = "goal", _("Goal (a custom event)")


class Allocation(models.TextChoices):
    """How a campaign shares its audience among its variants."""

    FIXED = "fixed", _("Fixed split (an experiment)")
    BANDIT = "bandit", _("Bandit: move traffic to the best variant")


class Analysis(models.TextChoices):
    """How a run is judged: always-valid intervals for a report read any day, or a planned
    size with fixed-horizon intervals read once at the end."""

    SEQUENTIAL = "sequential", _("Sequential: read the report whenever you like")
    PLANNED = "planned", _("Planned: judge once, at the planned size")


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
    control_weight = models.PositiveIntegerField(
        _("control weight"), null=True, blank=True,
        help_text=_("Instead of a holdout percentage, give control a weight like a "
                    "variant's: control 1, A 1, B 1 is an exact three-way split. Empty: "
                    "use the holdout percentage."))
    decision_metric = models.CharField(
        _("decision metric"), max_length=12, choices=DecisionMetric.choices,
        default=DecisionMetric.CONVERSION,
        help_text=_("What the experiment's verdict is about; the other figures are shown "
                    "as secondary. Locked while a run goes on."))
    goal_event = models.CharField(
        _("goal event"), max_length=80, blank=True,
        help_text=_("With the goal metric: the name of the custom event that counts as "
                    "reaching the goal (recorded through the API or the pz_goal tag)."))
    analysis = models.CharField(
        _("analysis"), max_length=12, choices=Analysis.choices, default=Analysis.SEQUENTIAL,
        help_text=_("Sequential intervals stay valid however often the report is read. A "
                    "planned run gives no verdict before its planned size."))
    minimum_effect_percent = models.DecimalField(
        _("minimum detectable effect (%)"), max_digits=5, decimal_places=1, default=10,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(500)],
        help_text=_("The smallest relative change worth finding, in per cent of the baseline "
                    "(10: ±10 per cent). Used to plan the run and to call a run futile."))
    power_percent = models.PositiveSmallIntegerField(
        _("power (%)"), default=80, validators=[MinValueValidator(50), MaxValueValidator(99)],
        help_text=_("The chance to find an effect of the minimum size, for planning."))
    planned_visitors = models.PositiveIntegerField(
        _("planned visitors per arm"), null=True, blank=True,
        help_text=_("A planned run's size. Empty: the size the plan estimates when the run "
                    "starts."))
    allocation = models.CharField(
        _("allocation"), max_length=8, choices=Allocation.choices, default=Allocation.FIXED,
        help_text=_("A fixed split keeps the variants' weights, to measure them. A bandit "
                    "learns from the decision metric and moves traffic to the variant most "
                    "likely to be best (the holdout stays fixed, outside the bandit)."))
    bandit_per_segment = models.BooleanField(
        _("learn per audience segment"), default=False,
        help_text=_("A bandit learns separate weights for each computed segment of the "
                    "audience; a segment with too little data uses the overall weights."))
    bandit_frozen = models.BooleanField(
        _("bandit weights frozen"), default=False,
        help_text=_("Keep the bandit's current weights: no more updates until unfrozen."))
    #: The bandit's weights in force, written by measurement.bandits (never by a form) and
    #: compiled into the RuleBook: {"run": id, "weights": {variant id: share},
    #: "segments": {segment id: {variant id: share}}, "at": ISO time}.
    bandit_weights = models.JSONField(_("bandit weights in force"), default=dict,
                                      blank=True, editable=False)
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

    def control_share(self, variant_weights: int) -> float:
        """Control's exact share of the audience (0 to 1), beside variants weighing
        ``variant_weights`` in all."""
        if self.control_weight:
            return self.control_weight / (self.control_weight + variant_weights)
        return self.holdout_percent / 100

    def clean(self) -> None:
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The campaign ends before it starts.")
        if (self.hour_start is None) != (self.hour_end is None):
            errors["hour_end"] = _("Give both hours of the daily window, or neither.")
        elif self.hour_start is not None and self.hour_start == self.hour_end:
            errors["hour_end"] = _("The daily window is empty: both hours are equal.")
        if self.decision_metric == DecisionMetric.GOAL and not self.goal_event:
            errors["goal_event"] = _("Name the custom event that counts as the goal.")
        elif self.goal_event and not GOAL_NAME.fullmatch(self.goal_event):
            errors["goal_event"] = _("An event name is 1 to 64 lower-case letters, digits, "
                                     "'.', '-' and '_': the shop records it so.")
        if self.control_weight is not None and self.holdout_percent:
            errors["control_weight"] = _("Give control either a holdout percentage or a "
                                         "weight, not both.")
        if self.cap_impressions is not None and not self.cap_period_hours:
            errors["cap_period_hours"] = _("A frequency cap needs a period.")
        if errors:
            raise ValidationError(errors)
