"""The single customer view: one profile per visitor, merged at login."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class VisitorProfile(models.Model):
    """What is known about one visitor across visits and devices.

    ``visitor_id`` is the canonical id used for bucketing; ids of other browsers the same
    customer used are kept as :class:`VisitorAlias` rows. ``aggregates`` caches the
    order-history figures rules read (see ``personalization.engine.profiles``).
    """

    visitor_id = models.UUIDField(_("visitor id"), unique=True, default=uuid.uuid4)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="pz_profile", verbose_name=_("customer"))
    attributes = models.JSONField(_("attributes"), default=dict, blank=True,
                                  help_text=_("First and latest campaign touch, and other facts."))
    aggregates = models.JSONField(_("order-history aggregates"), default=dict, blank=True,
                                  editable=False)
    aggregates_updated_at = models.DateTimeField(_("aggregates computed"), null=True,
                                                 blank=True, editable=False)
    arms = models.JSONField(
        _("bandit arms"), default=dict, blank=True, editable=False,
        help_text=_("The variant he was given in each bandit run (run id → variant id), "
                    "so he keeps it on every device while the weights move."))
    visit_count = models.PositiveIntegerField(_("visits"), default=0)
    first_seen = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        verbose_name = _("visitor profile")
        verbose_name_plural = _("visitor profiles")
        indexes = [models.Index(fields=["last_seen"])]

    def __str__(self) -> str:
        return str(self.user) if self.user_id else str(self.visitor_id)


class VisitorAlias(models.Model):
    """Another visitor id (browser, device) that belongs to the same profile."""

    alias = models.UUIDField(_("visitor id"), unique=True)
    profile = models.ForeignKey(VisitorProfile, on_delete=models.CASCADE,
                                related_name="aliases", verbose_name=_("profile"))
    created_at = models.DateTimeField(_("linked"), auto_now_add=True)

    class Meta:
        verbose_name = _("visitor alias")
        verbose_name_plural = _("visitor aliases")

    def __str__(self) -> str:
        return str(self.alias)
