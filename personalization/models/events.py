"""Exposures and conversions: the append-only record reports are computed from."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """One thing that happened to a visitor: saw a campaign, clicked, dismissed, converted,
    or one of the shop's own custom events."""

    class Type(models.TextChoices):
        IMPRESSION = "impression", _("Impression")
        CLICK = "click", _("Click")
        DISMISS = "dismiss", _("Dismissal")
        CONVERSION = "conversion", _("Conversion")
        #: A visit to a personalized page, once per visit, with ``control`` for a visitor in
        #: the global holdout: what the program-impact report compares.
        VISIT = "visit", _("Visit")
        #: One of the shop's own events, sent through the API (its name in ``reference``).
        CUSTOM = "custom", _("Custom event")

    visitor_id = models.UUIDField(_("visitor id"), db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+", verbose_name=_("customer"))
    type = models.CharField(_("type"), max_length=12, choices=Type.choices)
    slot = models.CharField(_("slot"), max_length=80, blank=True)
    campaign = models.ForeignKey("personalization.Campaign", on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="events",
                                 verbose_name=_("campaign"))
    variant = models.ForeignKey("personalization.ContentVariant", on_delete=models.SET_NULL,
                                null=True, blank=True, related_name="events",
                                verbose_name=_("variant"))
    control = models.BooleanField(_("holdout (control)"), default=False,
                                  help_text=_("The visitor was held out and saw the default."))
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2, null=True,
                                blank=True)
    reference = models.CharField(_("reference"), max_length=64, blank=True,
                                 help_text=_("Order number of a conversion; name of a custom "
                                             "event."))
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["campaign", "type", "created_at"])]
        constraints = [
            # A conversion is recorded once per order and campaign, however often the
            # order signal is delivered.
            models.UniqueConstraint(
                fields=["reference", "campaign"], condition=models.Q(type="conversion"),
                name="pz_event_conversion_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.slot} {self.created_at:%Y-%m-%d %H:%M}"
