"""The history of a bandit's weights: one row per update of a run (and segment)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class BanditUpdate(models.Model):
    """The weights a bandit run gave its variants from ``at`` on, and the figures they came
    from (per arm: visitors, successes, mean, probability to be best).

    Written by ``measurement.bandits.update_bandits``; the report draws the weights over
    time from these rows, checks the sample ratio against the weights in force, and explains
    the latest move. ``segment`` is set for the weights of one audience segment of a bandit
    that learns per segment; the overall weights have none.
    """

    class Phase(models.TextChoices):
        EXPLORING = "exploring", _("Exploring: equal weights")
        LEARNING = "learning", _("Learning")
        FALLBACK = "fallback", _("Too little data in the segment: the overall weights")

    run = models.ForeignKey("personalization.ExperimentRun", on_delete=models.CASCADE,
                            related_name="bandit_updates", verbose_name=_("run"))
    segment = models.ForeignKey("personalization.Segment", on_delete=models.CASCADE,
                                null=True, blank=True, related_name="+",
                                verbose_name=_("segment"))
    at = models.DateTimeField(_("in force from"), db_index=True)
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices)
    weights = models.JSONField(_("weights"), default=dict,
                               help_text=_("Variant id → share of the bandit's traffic."))
    figures = models.JSONField(
        _("figures used"), default=dict,
        help_text=_("Variant id → visitors, successes, mean and chance to be best."))
    evidence = models.FloatField(
        _("evidence that the variants differ"), default=0,
        help_text=_("0: the weights stay equal; 1: they follow the chance to be best."))

    class Meta:
        verbose_name = _("bandit update")
        verbose_name_plural = _("bandit updates")
        ordering = ["run", "at", "pk"]
        indexes = [models.Index(fields=["run", "segment", "at"])]

    def __str__(self) -> str:
        return f"{self.run} · {self.at:%Y-%m-%d %H:%M}"
