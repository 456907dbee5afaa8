"""Experiments: a campaign's runs with their locked split, and the daily figures of each arm."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from personalization.models.campaigns import Allocation, Analysis, DecisionMetric


class ExperimentRun(models.Model):
    """One run of a campaign that is an experiment (a holdout, or more than one variant).

    A run starts when the campaign goes live and ends when it is paused, archived, its split
    is changed or a winner is promoted; the split it ran with (holdout share and each
    variant's weight) is kept, so its report compares what visitors were really shown.
    """

    campaign = models.ForeignKey("personalization.Campaign", on_delete=models.CASCADE,
                                 related_name="runs", verbose_name=_("campaign"))
    number = models.PositiveIntegerField(_("run"))
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    holdout_percent = models.PositiveSmallIntegerField(_("holdout (%)"))
    weights = models.JSONField(_("variant weights"), default=dict,
                               help_text=_("Variant id → weight, as the run started."))
    control_weight = models.PositiveIntegerField(
        _("control weight"), null=True, blank=True,
        help_text=_("Control's weight beside the variants' (instead of a holdout percentage)."))
    metric = models.CharField(_("decision metric"), max_length=12,
                              choices=DecisionMetric.choices, default=DecisionMetric.CONVERSION)
    goal_event = models.CharField(_("goal event"), max_length=80, blank=True)
    analysis = models.CharField(_("analysis"), max_length=12, choices=Analysis.choices,
                                default=Analysis.SEQUENTIAL)
    allocation = models.CharField(_("allocation"), max_length=8, choices=Allocation.choices,
                                  default=Allocation.FIXED)
    bandit_per_segment = models.BooleanField(_("learns per audience segment"), default=False)
    minimum_effect_percent = models.DecimalField(_("minimum detectable effect (%)"),
                                                 max_digits=5, decimal_places=1, default=10)
    power_percent = models.PositiveSmallIntegerField(_("power (%)"), default=80)
    planned_visitors = models.PositiveIntegerField(
        _("planned visitors per arm"), null=True, blank=True,
        help_text=_("A planned run gives no verdict before every arm has this many."))
    expected_visitors = models.PositiveIntegerField(
        _("expected visitors in all"), null=True, blank=True,
        help_text=_("The sample the sequential intervals are tuned for (from the plan)."))
    winner = models.ForeignKey("personalization.ContentVariant", on_delete=models.SET_NULL,
                               null=True, blank=True, related_name="+",
                               verbose_name=_("promoted winner"))
    promoted_at = models.DateTimeField(_("promoted"), null=True, blank=True)
    promoted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("promoted by"))
    promote_verdict = models.TextField(
        _("verdict when promoted"), blank=True,
        help_text=_("What the report said when the winner was promoted."))
    promote_reason = models.TextField(
        _("reason for promoting"), blank=True,
        help_text=_("Required when a variant is promoted without a winner verdict."))
    rolled_up_to = models.DateTimeField(
        _("rolled up to"), null=True, blank=True, editable=False,
        help_text=_("Events recorded before this time are in the run's daily figures."))

    class Meta:
        verbose_name = _("experiment run")
        verbose_name_plural = _("experiment runs")
        ordering = ["campaign", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="pz_run_number"),
            models.UniqueConstraint(fields=["campaign"], condition=models.Q(ended_at=None),
                                    name="pz_one_open_run"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · run {self.number}"

    @property
    def is_running(self) -> bool:
        return self.ended_at is None

    @property
    def is_bandit(self) -> bool:
        return self.allocation == Allocation.BANDIT

    @property
    def control_share(self) -> float:
        """Control's exact share of the run's visitors (0 to 1)."""
        if self.control_weight:
            return self.control_weight / (self.control_weight + sum(self.weights.values()))
        return self.holdout_percent / 100


class DailyRollup(models.Model):
    """The figures of one arm of a run for the visitors first exposed on ``day``.

    A visitor (his canonical id: aliases are merged) counts in the arm and on the day of his
    first exposure in the run (without a run: his first visit, personalized or in the global
    holdout); his conversions within the attribution window after it are
    his arm's. Written by ``measurement.rollups.roll_up`` (set-based, idempotent).
    """

    run = models.ForeignKey(ExperimentRun, on_delete=models.CASCADE, related_name="rollups",
                            null=True, blank=True, verbose_name=_("run"),
                            help_text=_("Empty: the whole program against the global "
                                        "holdout."))
    day = models.DateField(_("day"))
    segment = models.ForeignKey("personalization.Segment", on_delete=models.CASCADE,
                                null=True, blank=True, related_name="+",
                                verbose_name=_("segment"),
                                help_text=_("Empty: every visitor; else the visitors whose "
                                            "customer is in this computed segment."))
    control = models.BooleanField(_("control"), default=False)
    variant = models.ForeignKey("personalization.ContentVariant", on_delete=models.SET_NULL,
                                null=True, blank=True, related_name="+",
                                verbose_name=_("variant"))
    visitors = models.PositiveIntegerField(_("visitors"), default=0)
    converters = models.PositiveIntegerField(_("converting visitors"), default=0)
    orders = models.PositiveIntegerField(_("orders"), default=0)
    revenue = models.DecimalField(_("revenue"), max_digits=14, decimal_places=2, default=0)
    revenue_sq = models.FloatField(_("sum of squared revenue per visitor"), default=0)
    orders_sq = models.FloatField(_("sum of squared orders per visitor"), default=0)
    revenue_orders = models.FloatField(_("sum of revenue × orders per visitor"), default=0)
    pre_revenue = models.FloatField(_("sum of revenue before the run"), default=0)
    pre_revenue_sq = models.FloatField(_("sum of squared revenue before the run"), default=0)
    pre_revenue_revenue = models.FloatField(_("sum of revenue before × revenue in the run"),
                                            default=0)
    clicks = models.PositiveIntegerField(_("clicks"), default=0)
    goals = models.PositiveIntegerField(_("visitors who reached the goal"), default=0)
    goal_value = models.FloatField(_("sum of goal values"), default=0)
    goal_value_sq = models.FloatField(_("sum of squared goal value per visitor"), default=0)
    multi_arm = models.PositiveIntegerField(
        _("visitors seen in another arm too"), default=0)

    class Meta:
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")
        ordering = ["run", "day"]
        indexes = [models.Index(fields=["run", "segment", "day"])]

    def __str__(self) -> str:
        arm = "control" if self.control else f"variant {self.variant_id}"
        return f"{self.run} · {self.day} · {arm}"


class KpiSnapshot(models.Model):
    """The shop's key figures for one week, for everybody or one segment's members (taken
    by a weekly beat task, so a merchant sees segments shift over time)."""

    week = models.DateField(_("week starting"))
    segment = models.ForeignKey("personalization.Segment", on_delete=models.CASCADE,
                                null=True, blank=True, related_name="+",
                                verbose_name=_("segment"),
                                help_text=_("Empty: every visitor and customer."))
    visitors = models.PositiveIntegerField(_("visitors"), default=0)
    transactions = models.PositiveIntegerField(_("transactions"), default=0)
    revenue = models.DecimalField(_("revenue"), max_digits=14, decimal_places=2, default=0)
    customers_to_date = models.PositiveIntegerField(_("customers so far"), default=0)
    revenue_to_date = models.DecimalField(_("revenue so far"), max_digits=16, decimal_places=2,
                                          default=0)
    rfm = models.JSONField(_("customers per RFM score"), default=dict)

    class Meta:
        verbose_name = _("KPI snapshot")
        verbose_name_plural = _("KPI snapshots")
        ordering = ["week"]
        constraints = [models.UniqueConstraint(fields=["week", "segment"],
                                               name="pz_one_snapshot_a_week"),
                       models.UniqueConstraint(fields=["week"], condition=models.Q(segment=None),
                                               name="pz_one_overall_snapshot_a_week")]

    def __str__(self) -> str:
        return f"{self.week} · {self.segment or 'everybody'}"
