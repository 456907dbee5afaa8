"""SMS alerts to sales reps: the merchant's settings and one record per order and rep."""

from __future__ import annotations

import re
import string
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from personalization.models.delivery import REP_ALERT_STATUSES, DeliveryStatus

#: Placeholders a message template may use, with what they stand for.
PLACEHOLDERS: dict[str, Any] = {
    "customer": _("customer name"),
    "account": _("customer's company (account)"),
    "order_number": _("order number"),
    "lines": _("number of order lines"),
    "order_lines": _("the order lines counted in words, e.g. “1 line”, “3 lines”"),
    "total": _("order total, e.g. 1234.50"),
    "amount": _("order total with its currency, e.g. €1234.50"),
    "admin_url": _("link to the order in the admin"),
    "rep": _("the sales rep's name"),
}

DEFAULT_TEMPLATE = ("New order {{ order_number }} from {{ customer }}: {{ order_lines }}, "
                    "total {{ amount }}. {{ admin_url }}")

#: ``{{ name }}``: the placeholder syntax of journeys and text variants.
_DOUBLE = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")
#: ``{{ name }}`` with spaces inside is meant as a placeholder, never as literal braces.
_SPACED = re.compile(r"\{\{\s+([A-Za-z_]\w*)\s+\}\}")


def format_string(template: str) -> str:
    """The template in ``str.format`` syntax. ``{{ name }}`` (as in journeys and text
    variants) is the placeholder ``name``; the older ``{name}`` is still accepted, and
    ``{{``/``}}`` around anything else are literal braces, as they were."""
    return _DOUBLE.sub(lambda m: "{" + m.group(1) + "}" if m.group(1) in PLACEHOLDERS
                       else m.group(0), template)


def validate_message_template(value: str) -> None:
    """Reject unknown placeholders, attribute access, format specs and stray braces."""
    names: list[str] = ["{{ " + m.group(1) + " }}" for m in _SPACED.finditer(value)
                        if m.group(1) not in PLACEHOLDERS]
    try:
        for _literal, field, spec, conversion in string.Formatter().parse(
                format_string(value)):
            if field is None:
                continue
            if field not in PLACEHOLDERS or spec or conversion:
                names.append("{" + field + (f"!{conversion}" if conversion else "")
                             + (f":{spec}" if spec else "") + "}")
    except ValueError as exc:
        raise ValidationError(
            _("The template has an unbalanced brace (%(error)s). Write {{ and }} for a literal "
              "brace."), code="braces", params={"error": exc}) from exc
    if names:
        raise ValidationError(
            _("Unknown placeholder(s): %(names)s. Allowed: %(allowed)s."), code="placeholder",
            params={"names": ", ".join(names),
                    "allowed": ", ".join("{{ " + n + " }}" for n in PLACEHOLDERS)})


class QuietHoursMixin:
    """One rule for every model with ``quiet_hours_start`` and ``quiet_hours_end`` (the rep
    SMS settings, journeys): both times or neither, and not the same time."""

    quiet_hours_start: Any
    quiet_hours_end: Any

    def clean_quiet_hours(self) -> None:
        if (self.quiet_hours_start is None) != (self.quiet_hours_end is None):
            raise ValidationError(_("Give both quiet-hour times, or neither."))
        if self.quiet_hours_start is not None and self.quiet_hours_start == self.quiet_hours_end:
            raise ValidationError(_("Quiet hours must start and end at different times."))


class RepAlertSettings(QuietHoursMixin, models.Model):
    """The merchant's settings for sales-rep SMS alerts (one row; see :meth:`load`)."""

    enabled = models.BooleanField(
        _("send SMS alerts"), default=True,
        help_text=_("Send the account's sales rep an SMS when a customer places an order."))
    minimum_order_value = models.DecimalField(
        _("minimum order value"), max_digits=12, decimal_places=2, default=Decimal("0"),
        help_text=_("Orders below this total do not trigger an SMS."))
    quiet_hours_start = models.TimeField(
        _("quiet hours from"), null=True, blank=True,
        help_text=_("Store time. Messages for orders placed from this time wait until the "
                    "quiet hours end. Leave both times empty to send at any hour."))
    quiet_hours_end = models.TimeField(
        _("quiet hours until"), null=True, blank=True,
        help_text=_("Store time at which waiting messages are sent, e.g. 07:30. May be "
                    "earlier than the start (overnight quiet hours)."))
    skip_orders_entered_by_rep = models.BooleanField(
        _("skip orders the rep entered himself"), default=True,
        help_text=_("No SMS when the rep placed the order for the customer."))
    message_template = models.TextField(
        _("message template"), default=DEFAULT_TEMPLATE,
        validators=[validate_message_template],
        help_text=_("Text of the SMS. Placeholders, written as in journeys: {{ customer }}, "
                    "{{ account }}, {{ order_number }}, {{ lines }}, {{ order_lines }} "
                    "(“3 lines”), {{ total }}, {{ amount }} (the total with its currency), "
                    "{{ admin_url }}, {{ rep }}. The older {customer} is still accepted."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("sales-rep SMS settings")
        verbose_name_plural = _("sales-rep SMS settings")

    def __str__(self) -> str:
        return str(_("Sales-rep SMS settings"))

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1  # a singleton: there is one set of settings per shop
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.clean_quiet_hours()

    @classmethod
    def load(cls) -> RepAlertSettings:
        """The settings row, created with the defaults on first use."""
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class RepNotification(models.Model):
    """One SMS alert to one sales rep about one order.

    The unique (order reference, rep reference) pair is what makes a duplicated or retried
    task send one SMS: see ``personalization.messaging.alerts`` for the state machine.
    Everything is stored as text, so the record stays readable when the shop's order or rep
    changes.
    """

    Status = DeliveryStatus

    order_reference = models.CharField(_("order number"), max_length=64)
    rep_reference = models.CharField(
        _("rep reference"), max_length=64,
        help_text=_("The shop's identifier of the sales rep."))
    rep_name = models.CharField(_("sales rep"), max_length=150, blank=True)
    phone = PhoneNumberField(_("mobile number"), blank=True)
    customer_name = models.CharField(_("customer"), max_length=200, blank=True)
    order_total = models.DecimalField(_("order total"), max_digits=12, decimal_places=2,
                                      null=True, blank=True)
    admin_url = models.CharField(_("order in the admin"), max_length=500, blank=True)
    body = models.TextField(_("message"), blank=True)
    status = models.CharField(_("status"), max_length=8, choices=REP_ALERT_STATUSES,
                              default=Status.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(
        _("attempts"), default=0, help_text=_("How often the provider was called."))
    provider_message_id = models.CharField(_("provider message id"), max_length=100,
                                           blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    send_after = models.DateTimeField(
        _("send after"), help_text=_("Later than the order when it came in in quiet hours."))
    claimed_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Optional link to the shop's order object (generic: the app never imports the shop).
    order_type = models.ForeignKey(ContentType, on_delete=models.SET_NULL, null=True,
                                   blank=True, verbose_name=_("order type"))
    order_id = models.CharField(_("order id"), max_length=64, blank=True)
    order = GenericForeignKey("order_type", "order_id")

    class Meta:
        verbose_name = _("sales-rep SMS")
        verbose_name_plural = _("sales-rep SMS")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["order_reference", "rep_reference"],
                                    name="pz_rep_notification_once"),
        ]
        indexes = [models.Index(fields=["status", "send_after"])]

    def __str__(self) -> str:
        return f"{self.order_reference} → {self.rep_name or self.rep_reference}"
