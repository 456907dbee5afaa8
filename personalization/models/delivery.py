"""The states of an outgoing message (a sales rep's SMS, a customer's journey message):
one set of choices for the claim-then-send machine of ``messaging.delivery``."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")
    # Journey messages only: unsubscribed before it went out, and the holdout's rows.
    CANCELLED = "cancelled", _("Cancelled")
    HELD_OUT = "held_out", _("Held out")


#: The states a rep's SMS can be in (it is never cancelled or held out).
REP_ALERT_STATUSES = [(value, label) for value, label in DeliveryStatus.choices
                      if value not in (DeliveryStatus.CANCELLED, DeliveryStatus.HELD_OUT)]
