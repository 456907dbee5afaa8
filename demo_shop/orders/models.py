"""Discount codes, orders and order lines."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
ORDER_NUMBER_PREFIX = "DS-"


class DiscountCode(models.Model):
    """A code that takes a percentage or an amount off the order; see ``discounts.py``."""

    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percentage")
        AMOUNT = "amount", _("Fixed amount")

    code = models.CharField(
        _("code"), max_length=40, unique=True, help_text=_("Case-insensitive; stored in capitals.")
    )
    kind = models.CharField(_("kind"), max_length=7, choices=Kind.choices, default=Kind.PERCENT)
    value = models.DecimalField(
        _("value"),
        max_digits=10,
        decimal_places=2,
        help_text=_("Percentage (e.g. 10 for 10%) or amount in euros, depending on the kind."),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_until = models.DateTimeField(
        _("valid until"), null=True, blank=True, help_text=_("Leave empty for no expiry.")
    )
    single_use = models.BooleanField(
        _("single use"), default=False, help_text=_("The code can be redeemed once in total.")
    )
    max_uses = models.PositiveIntegerField(
        _("maximum uses"), null=True, blank=True, help_text=_("Leave empty for unlimited use.")
    )
    times_used = models.PositiveIntegerField(_("times used"), default=0)
    minimum_total = models.DecimalField(
        _("minimum order total"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The cart subtotal needed to use the code; empty for none."),
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="discount_codes",
        verbose_name=_("assigned to"),
        help_text=_("Only this customer may use the code; empty for everyone."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "code"]
        verbose_name = _("discount code")
        verbose_name_plural = _("discount codes")
        constraints = [
            models.UniqueConstraint(Lower("code"), name="discountcode_code_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.code = normalize_code(self.code)
        super().save(*args, **kwargs)

    def amount_off(self, subtotal: Decimal) -> Decimal:
        """The discount this code gives on ``subtotal`` (never more than the subtotal)."""
        if self.kind == self.Kind.PERCENT:
            off = (subtotal * self.value / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)
        else:
            off = self.value
        return max(Decimal("0.00"), min(off, subtotal))

    def describe(self) -> str:
        if self.kind == self.Kind.PERCENT:
            return _("%(value)s%% off") % {"value": format(self.value.normalize(), "f")}
        return _("€%(value)s off") % {"value": self.value}


def normalize_code(code: str) -> str:
    return (code or "").strip().upper()


class OrderQuerySet(models.QuerySet):
    def placed(self) -> OrderQuerySet:
        """Orders that count as purchases (not cancelled)."""
        return self.exclude(status=Order.Status.CANCELLED)

    def for_user(self, user: Any) -> OrderQuerySet:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user=user)


class Order(models.Model):
    """A placed order. ``created_at`` is set explicitly so the seed can write history."""

    class Status(models.TextChoices):
        PLACED = "placed", _("Placed")
        PAID = "paid", _("Paid")
        SHIPPED = "shipped", _("Shipped")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    class Channel(models.TextChoices):
        ONLINE = "online", _("Online")
        REP = "rep", _("Sales rep")

    number = models.CharField(_("number"), max_length=20, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("customer"),
    )
    account = models.ForeignKey(
        "customers.Account",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("account"),
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders_entered",
        verbose_name=_("placed by"),
        help_text=_("Who entered the order: the customer, or a sales rep on their behalf."),
    )
    channel = models.CharField(
        _("channel"), max_length=6, choices=Channel.choices, default=Channel.ONLINE
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLACED, db_index=True
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.TextField(_("address"), blank=True)
    subtotal = models.DecimalField(_("subtotal"), max_digits=12, decimal_places=2)
    discount = models.DecimalField(
        _("discount"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    discount_code = models.CharField(_("discount code"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("order_detail", kwargs={"number": self.number})

    def get_admin_url(self) -> str:
        return reverse("admin:orders_order_change", args=[self.pk])

    @property
    def sales_rep(self) -> Any:
        """The rep of the order's account, or None."""
        return self.account.sales_rep if self.account_id else None


def format_order_number(sequence: int) -> str:
    return f"{ORDER_NUMBER_PREFIX}{sequence:06d}"


class OrderLine(models.Model):
    """One product of an order, at the price paid."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order")
    )
    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.PROTECT,
        related_name="order_lines",
        verbose_name=_("product"),
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)
    line_total = models.DecimalField(_("line total"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product}"


class SavedCart(models.Model):
    """A logged-in customer's cart, kept with him (the session cart is the browser's): what
    abandoned-cart journeys find, and what their link restores on any device."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="saved_cart", verbose_name=_("customer"))
    items = models.JSONField(_("items"), default=dict,
                             help_text=_("Product id → quantity."))
    updated_at = models.DateTimeField(_("changed"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("saved cart")
        verbose_name_plural = _("saved carts")

    def __str__(self) -> str:
        return f"{self.user} ({len(self.items)} products)"
