"""Consent: the purposes a visitor can allow, and the append-only record of his choices."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ConsentPurpose(models.Model):
    """Something the shop asks permission for. ``necessary`` is always granted; merchants
    may add purposes and edit the texts the banner shows."""

    key = models.SlugField(
        _("key"), max_length=50, unique=True,
        help_text=_("Used in code: necessary, personalization, analytics, marketing, ..."))
    name = models.CharField(_("name"), max_length=100,
                            help_text=_("Shown in the consent banner."))
    description = models.TextField(_("description"), blank=True,
                                   help_text=_("What the visitor allows, in plain words."))
    required = models.BooleanField(
        _("required"), default=False,
        help_text=_("Always on: needed for the shop to work (cart, login, security)."))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("consent purpose")
        verbose_name_plural = _("consent purposes")
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The name in the visitor's language. The shipped texts are the app's translation
        msgids, so kept as shipped they are shown translated; a text the merchant changed
        is shown as he wrote it."""
        return gettext(self.name) if self.name else ""

    @property
    def display_description(self) -> str:
        return gettext(self.description) if self.description else ""


def subject_hash(*, user_id: int | None = None, visitor_id: str | None = None) -> str:
    """A pseudonym of the person a record is about, kept after erasure as proof."""
    subject = f"user:{user_id}" if user_id else f"visitor:{visitor_id}"
    return hashlib.sha256(f"{settings.SECRET_KEY}|{subject}".encode()).hexdigest()


class ConsentRecord(models.Model):
    """One choice about one purpose, as it was made. Never changed: a new choice is a new
    record (erasure only removes the link to the person, leaving a pseudonym)."""

    class Source(models.TextChoices):
        BANNER = "banner", _("Consent banner")
        API = "api", _("API")
        ADMIN = "admin", _("Admin")
        SIGNUP = "signup", _("Sign-up")
        IMPORT = "import", _("Import")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="pz_consent_records",
                             verbose_name=_("customer"))
    visitor_id = models.UUIDField(_("visitor id"), null=True, blank=True, db_index=True)
    subject = models.CharField(_("pseudonym"), max_length=64, db_index=True, editable=False)
    purpose = models.CharField(_("purpose"), max_length=50)
    granted = models.BooleanField(_("granted"))
    policy_version = models.CharField(_("policy version"), max_length=40)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        state = _("granted") if self.granted else _("refused")
        return f"{self.purpose}: {state} ({self.created_at:%Y-%m-%d %H:%M})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Consent records are append-only: record a new choice instead.")
        if not self.subject:
            self.subject = subject_hash(user_id=self.user_id, visitor_id=self.visitor_id)
        super().save(*args, **kwargs)
