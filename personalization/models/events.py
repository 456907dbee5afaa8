"""Exposures and conversions: the append-only record reports are computed from.

On PostgreSQL the event table is partitioned by month of ``created_at`` (see
``models/partitions.py`` and docs/events-storage.md); Django still sees ``id`` as the
primary key, the table's is (id, created_at). On SQLite it is a plain table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
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
    #: When the row reached the database (``created_at`` is when it happened, set in the
    #: request): rollups find late events by it.
    ingested_at = models.DateTimeField(_("recorded"), db_default=Now(), editable=False)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["campaign", "type", "created_at"])]
        # No unique constraint: on a partitioned table it would have to include the
        # partition key. An order's conversions are recorded once through RecordedOrder.

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.slot} {self.created_at:%Y-%m-%d %H:%M}"


class RecordedOrder(models.Model):
    """An order whose conversions were recorded: recording it again changes nothing.

    Kept apart from the (partitioned) event table, whose unique constraints could only
    hold within one month.
    """

    reference = models.CharField(_("order"), max_length=64, unique=True)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("recorded order")
        verbose_name_plural = _("recorded orders")

    def __str__(self) -> str:
        return self.reference
