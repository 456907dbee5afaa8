"""Journeys: messages that follow a customer off the site (an abandoned cart, a lapse, a
first order, a segment entered), by e-mail or SMS, with his marketing consent, once."""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from personalization.models.delivery import DeliveryStatus
from personalization.models.notifications import QuietHoursMixin


class Journey(QuietHoursMixin, models.Model):
    """What starts a message, to whom it goes, how and when."""

    class Trigger(models.TextChoices):
        CART_ABANDONED = "cart", _("Cart left with items")
        LAPSED = "lapsed", _("No order for a while (win-back)")
        FIRST_ORDER = "welcome", _("First order placed (welcome)")
        ENTERED_SEGMENT = "segment", _("Entered a segment")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    name = models.CharField(_("name"), max_length=120)
    enabled = models.BooleanField(_("enabled"), default=False,
                                  help_text=_("Only enabled journeys send anything."))
    trigger = models.CharField(_("trigger"), max_length=8, choices=Trigger.choices)
    hours = models.PositiveIntegerField(
        _("after (hours)"), default=4, validators=[MaxValueValidator(24 * 90)],
        help_text=_("Cart: hours the cart has been left. Welcome and segment: hours after "
                    "the first order or the entry."))
    lapsed_days = models.PositiveIntegerField(
        _("no order for (days)"), default=60, validators=[MinValueValidator(1),
                                                           MaxValueValidator(3650)],
        help_text=_("Win-back: days since the last order."))
    min_orders = models.PositiveIntegerField(
        _("after at least (orders)"), default=2, validators=[MinValueValidator(1)],
        help_text=_("Win-back: only customers with at least this many orders."))
    segment = models.ForeignKey(
        "personalization.Segment", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("entered segment"),
        help_text=_("Segment trigger: a computed segment; its new members get the message."))
    audience = models.ManyToManyField(
        "personalization.Segment", blank=True, related_name="journeys",
        verbose_name=_("audience"),
        help_text=_("Computed segments the customer must be in (all of them); empty: "
                    "every customer with marketing consent."))
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices,
                               default=Channel.EMAIL)
    priority = models.IntegerField(
        _("priority"), default=0,
        help_text=_("A customer gets at most one journey message per period; when several "
                    "are due, the highest priority wins."))
    holdout_percent = models.PositiveSmallIntegerField(
        _("holdout %"), default=10, validators=[MaxValueValidator(50)],
        help_text=_("This share of the customers it is due to get nothing, so that the "
                    "report can compare."))
    attribution_days = models.PositiveSmallIntegerField(
        _("attribution window (days)"), default=7, validators=[MinValueValidator(1),
                                                                MaxValueValidator(90)],
        help_text=_("Orders this many days after the message count as its conversions."))
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Mint a single-use code of this percentage for each message "
                    "({{ code }} in the text)."))
    quiet_hours_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_hours_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True,
                               help_text=_("E-mail only. Fields as in the text."))
    body = models.TextField(
        _("text"), default="",
        help_text=_("Simple HTML for e-mail (p, a, strong, em, ul, li, br), plain text for "
                    "SMS. Fields: {{ first_name }}, {{ name }}, {{ code }}, {{ cart }} (the "
                    "cart's lines), {{ cart_link }} (restores the cart), {{ shop_link }}."))
    #: Per language, the message in that language: {"nl": {"subject": "…", "body": "…"}},
    #: as a content variant's texts. A customer whose language has none gets the texts
    #: above, which are in the site's language (``LANGUAGE_CODE``).
    translations = models.JSONField(_("translations"), default=dict, blank=True,
                                    editable=False)
    #: The texts a merchant gives per language (the admin's "Subject (Nederlands)").
    translatable: ClassVar[tuple[str, ...]] = ("subject", "body")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("journey")
        verbose_name_plural = _("journeys")
        ordering = ["-priority", "pk"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.translations = {
            language: {name: text for name, text in texts.items()
                       if name in self.translatable and text}
            for language, texts in (self.translations or {}).items()}
        self.translations = {k: v for k, v in self.translations.items() if v.get("body")}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.clean_quiet_hours()

    def in_language(self, language: str | None) -> Message:
        """The message for a customer writing ``language``: its texts in that language (or
        its base language: nl for nl-be) when the merchant gave them, else the texts in the
        site's language. Either way one language, which its frame and links then speak."""
        wanted = (language or "").lower()
        for key in (wanted, wanted.split("-")[0]):
            texts = (self.translations or {}).get(key) if key else None
            if texts and texts.get("body"):
                return Message(texts.get("subject", ""), texts["body"], key)
        return Message(self.subject, self.body, settings.LANGUAGE_CODE)


class Message(NamedTuple):
    """A journey's texts in one language."""

    subject: str
    body: str
    language: str


class JourneyMessage(models.Model):
    """One journey's message to one customer for one occurrence of its trigger.

    Unique per (customer, journey, occurrence): a scan that runs twice, or two scans at
    once, make one row; the row is sent with the claim-then-send state machine of
    ``personalization.messaging.delivery``. A customer in the holdout gets a row too
    (``control``), never sent, so that the report can compare."""

    Status = DeliveryStatus

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="messages",
                                verbose_name=_("journey"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("customer"))
    occurrence = models.CharField(
        _("occurrence"), max_length=64,
        help_text=_("Which occurrence of the trigger this is about: the trigger and the "
                    "time it occurred (cart changed, last order, entry) as a Unix "
                    "timestamp; \"welcome\" for a first order."))
    control = models.BooleanField(_("holdout (control)"), default=False)
    channel = models.CharField(_("channel"), max_length=5, choices=Journey.Channel.choices)
    to = models.CharField(_("to"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"), blank=True)
    text = models.TextField(_("plain text"), blank=True)
    code = models.CharField(_("discount code"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=9, choices=DeliveryStatus.choices,
                              default=Status.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    provider_message_id = models.CharField(_("provider message id"), max_length=100,
                                           blank=True)
    last_error = models.TextField(_("last error / reason"), blank=True)
    send_after = models.DateTimeField(_("send after"), default=timezone.now)
    claimed_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("journey message")
        verbose_name_plural = _("journey messages")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "journey", "occurrence"],
                                               name="pz_journey_message_once")]
        indexes = [models.Index(fields=["status", "send_after"]),
                   models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.journey} → {self.to or self.user_id}"
