"""Segments: named groups of visitors, defined by rules."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Segment(models.Model):
    """A group of visitors. ``live`` segments are evaluated on each request; ``computed`` ones
    are materialised into :class:`SegmentMembership` by a periodic refresh."""

    class Kind(models.TextChoices):
        LIVE = "live", _("Live (evaluated on every request)")
        COMPUTED = "computed", _("Computed (refreshed periodically from order history)")

    class Match(models.TextChoices):
        ALL = "all", _("All rules must match")
        ANY = "any", _("Any rule may match")

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(
        _("slug"), max_length=80, unique=True,
        help_text=_("Short identifier used in templates, tests and the explain command."),
    )
    description = models.TextField(
        _("description"), blank=True, help_text=_("Who is in this segment, in plain words.")
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=Kind.choices, default=Kind.LIVE,
        help_text=_(
            "Live segments use what is known at the moment of the request (page, cart, device, "
            "the customer's cached order history). Computed segments are recalculated in the "
            "background for all customers at once, and known visitors are looked up in them."
        ),
    )
    match = models.CharField(
        _("match"), max_length=3, choices=Match.choices, default=Match.ALL,
        help_text=_("Whether a visitor must satisfy all rules or at least one."),
    )
    enabled = models.BooleanField(
        _("enabled"), default=True,
        help_text=_("A disabled segment matches nobody; campaigns aimed only at it stop showing."),
    )
    last_refreshed_at = models.DateTimeField(_("last refreshed"), null=True, blank=True,
                                             editable=False)
    member_count = models.PositiveIntegerField(
        _("members"), null=True, blank=True, editable=False,
        help_text=_("Customers in the segment at the last refresh."),
    )
    entered_count = models.PositiveIntegerField(_("entered at last refresh"), default=0,
                                                editable=False)
    exited_count = models.PositiveIntegerField(_("left at last refresh"), default=0,
                                               editable=False)
    reach = models.PositiveIntegerField(
        _("reach"), null=True, blank=True, editable=False,
        help_text=_("Known customers the segment matches now (estimated in the background; "
                    "for a live segment, before what the visit itself adds)."))
    reach_of = models.PositiveIntegerField(_("known customers"), null=True, blank=True,
                                           editable=False)
    reach_depends_on_visit = models.BooleanField(
        _("reach depends on the visit"), default=False, editable=False,
        help_text=_("Some rules read the visit (page, device, cart…): the reach is an upper "
                    "bound, or unknown when any rule may match."))
    reach_estimated_at = models.DateTimeField(_("reach estimated"), null=True, blank=True,
                                              editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]
        permissions = [("preview_as_customer",
                        _("Can preview the shop as a customer (his cart, orders, segments)"))]

    def __str__(self) -> str:
        return self.name


class SegmentMembership(models.Model):
    """A customer in a computed segment, as of its last refresh."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships",
                                verbose_name=_("segment"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="pz_memberships", verbose_name=_("customer"))
    since = models.DateTimeField(_("member since"), auto_now_add=True)

    class Meta:
        verbose_name = _("segment membership")
        verbose_name_plural = _("segment memberships")
        constraints = [
            models.UniqueConstraint(fields=["segment", "user"], name="pz_membership_unique")
        ]
        indexes = [models.Index(fields=["user", "segment"])]

    def __str__(self) -> str:
        return f"{self.user} ∈ {self.segment}"
