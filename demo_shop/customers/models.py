"""Sales reps, customer accounts (B2C or B2B) and the profile of each shop user."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


class SalesRep(models.Model):
    """A sales representative looking after business accounts; alerted by SMS on their orders."""

    name = models.CharField(_("name"), max_length=150)
    mobile = PhoneNumberField(
        _("mobile number"),
        help_text=_("International format (E.164), e.g. +31612345678."),
    )
    email = models.EmailField(_("email"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sales_rep",
        verbose_name=_("user"),
        help_text=_("The login of this rep, if they use the shop or the admin."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("sales rep")
        verbose_name_plural = _("sales reps")

    def __str__(self) -> str:
        return self.name


class Account(models.Model):
    """A customer account: one consumer (B2C) or a business with one or more users (B2B)."""

    class Kind(models.TextChoices):
        B2C = "b2c", _("Consumer")
        B2B = "b2b", _("Business")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=3, choices=Kind.choices, default=Kind.B2C)
    sales_rep = models.ForeignKey(
        SalesRep,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="accounts",
        verbose_name=_("sales rep"),
        help_text=_("The rep who looks after this account and is alerted of its orders."),
    )
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return self.name

    @property
    def is_b2b(self) -> bool:
        return self.kind == self.Kind.B2B

    def users(self) -> models.QuerySet:
        """The shop users who belong to this account."""
        return get_user_model().objects.filter(customer_profile__account=self)


class CustomerProfile(models.Model):
    """What the shop knows about one user beyond ``auth.User``."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="customer_profile",
        verbose_name=_("user"),
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("account"),
        help_text=_("The business account this user orders for; empty for consumers."),
    )
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("ISO 3166-1 alpha-2 code, e.g. NL.")
    )
    customer_group = models.CharField(
        _("customer group"),
        max_length=30,
        blank=True,
        db_index=True,
        help_text=_('A short label such as "retail", "farm" or "vip".'),
    )
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    mobile = PhoneNumberField(_("mobile number"), blank=True,
                              help_text=_("For messages by SMS, with the customer's consent."))

    class Meta:
        verbose_name = _("customer profile")
        verbose_name_plural = _("customer profiles")

    def __str__(self) -> str:
        return str(self.user)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.country = (self.country or "").upper()
        super().save(*args, **kwargs)


def account_of(user: Any) -> Account | None:
    """The account of ``user`` (None for anonymous visitors and users without one)."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.customer_profile.account
    except CustomerProfile.DoesNotExist:
        return None


def is_b2b_user(user: Any) -> bool:
    """Whether ``user`` may order business-only products."""
    account = account_of(user)
    return account is not None and account.is_b2b
