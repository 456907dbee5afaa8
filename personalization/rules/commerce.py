"""Rules on the cart and on the customer's order history."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from personalization.fields import CatalogIdsField, MoneyField, catalog_text
from personalization.rules.base import IdSets, Rule, between, check_range, range_text

if TYPE_CHECKING:
    from personalization.rules.context import RuleContext

HISTORY = "personalization"
# Upper bounds of merchant input: beyond them a value is a typo, not a rule.
HOURS_MAX = 24 * 366
DAYS_MAX = 3660
COUNT_MAX = 100_000


def _ids(values: list[str]) -> set[int]:
    return {int(v) for v in values}


def shop_has(what: str) -> bool:
    """Whether the shop's orders record ``what`` ("discount_code" or "category"): its
    adapter's ``order_fields`` declare it absent with None (docs/adapter.md)."""
    from personalization.adapters import get_adapter

    fields = get_adapter().order_fields
    return fields.has_discount_codes if what == "discount_code" else fields.has_categories


NO_CATEGORIES = _("This shop's orders record no categories (its commerce adapter's "
                  "order_fields.category is None): name products instead.")


class CartValueRule(Rule):
    """Matches when the cart total lies in a range."""

    minimum = MoneyField(_("minimum cart total"), max_digits=10, null=True, blank=True)
    maximum = MoneyField(_("maximum cart total"), max_digits=10, null=True, blank=True)

    family = _("Cart")

    class Meta:
        verbose_name = _("cart value")
        verbose_name_plural = _("cart-value rules")

    def clean(self):
        check_range(self.minimum, self.maximum, required=True)

    def matches(self, ctx: RuleContext) -> bool:
        return between(ctx.cart.total, self.minimum, self.maximum)

    def describe(self):
        return str(_("cart total %(r)s") % {"r": range_text(self.minimum, self.maximum)})


class CartContainsRule(IdSets, Rule):
    """Matches when the cart holds one of the products or a product of the categories."""

    product_ids = CatalogIdsField(_("products"), kind="product", blank=True,
                                  help_text=_("Product ids, comma-separated."))
    category_ids = CatalogIdsField(_("categories"), kind="category", blank=True,
                                   help_text=_("Category ids, comma-separated."))

    family = _("Cart")

    class Meta:
        verbose_name = _("cart contains")
        verbose_name_plural = _("cart-contains rules")

    def clean(self):
        if not self.product_ids and not self.category_ids:
            raise ValidationError(_("Name at least one product or category."))

    def matches(self, ctx: RuleContext) -> bool:
        cart = ctx.cart
        return not (self.product_id_set.isdisjoint(cart.product_ids)
                    and self.category_id_set.isdisjoint(cart.category_ids))

    def describe(self):
        parts = []
        if self.product_ids:
            parts.append(str(_("product %(ids)s")
                             % {"ids": catalog_text("product", self.product_ids)}))
        if self.category_ids:
            parts.append(str(_("category %(ids)s")
                             % {"ids": catalog_text("category", self.category_ids)}))
        return str(_("cart contains %(what)s") % {"what": str(_(" or ")).join(parts)})


class CartAbandonedRule(Rule):
    """Matches a visitor whose cart has not changed for at least N hours."""

    hours = models.PositiveIntegerField(_("hours without change"), default=24,
                                        validators=[MaxValueValidator(HOURS_MAX)])

    family = _("Cart")

    class Meta:
        verbose_name = _("abandoned cart")
        verbose_name_plural = _("abandoned-cart rules")

    def matches(self, ctx: RuleContext) -> bool:
        cart = ctx.cart
        if cart.is_empty or cart.updated_at is None:
            return False
        return ctx.now - cart.updated_at >= timedelta(hours=self.hours)

    def describe(self):
        return str(_("cart left untouched for %(h)s hours or more") % {"h": self.hours})


class PurchasedRule(IdSets, Rule):
    """Matches a customer who bought one of the products, or in one of the categories."""

    product_ids = CatalogIdsField(_("products"), kind="product", blank=True,
                                  help_text=_("Product ids, comma-separated."))
    category_ids = CatalogIdsField(_("categories"), kind="category", blank=True,
                                   help_text=_("Category ids, comma-separated."))
    within_days = models.PositiveIntegerField(
        _("within the last days"), null=True, blank=True,
        validators=[MaxValueValidator(DAYS_MAX)],
        help_text=_("Leave empty for 'ever'."),
    )

    family = _("Order history")
    consent_purpose = HISTORY

    class Meta:
        verbose_name = _("purchased product or category")
        verbose_name_plural = _("purchase rules")

    def clean(self):
        if not self.product_ids and not self.category_ids:
            raise ValidationError(_("Name at least one product or category."))
        if self.category_ids and not shop_has("category"):
            raise ValidationError({"category_ids": NO_CATEGORIES})

    def matches(self, ctx: RuleContext) -> bool:
        profile = ctx.profile
        if profile is None:
            return False
        since = ctx.now - timedelta(days=self.within_days) if self.within_days else None
        for ids, bought in ((self.product_id_set, profile.products),
                            (self.category_id_set, profile.categories)):
            for item in ids:
                when = bought.get(item)
                if when is not None and (since is None or when >= since):
                    return True
        return False

    def customer_filter(self, customers):
        f = customers.fields
        orders = customers.orders(within_days=self.within_days)
        lookup = models.Q()
        if self.product_ids:
            lookup |= models.Q(**{f"{f.product}__in": _ids(self.product_ids)})
        if self.category_ids:
            lookup |= f.in_categories(customers.categories(self.category_ids))
        return customers.with_orders(orders.filter(lookup))

    def describe(self):
        what = []
        if self.product_ids:
            what.append(str(_("product %(ids)s")
                            % {"ids": catalog_text("product", self.product_ids)}))
        if self.category_ids:
            what.append(str(_("category %(ids)s")
                            % {"ids": catalog_text("category", self.category_ids)}))
        when = (str(_("in the last %(d)s days") % {"d": self.within_days})
                if self.within_days else str(_("ever")))
        return str(_("bought %(what)s %(when)s") % {"what": str(_(" or ")).join(what),
                                                    "when": when})


class _HistoryRange(Rule):
    """A range over one order-history aggregate (count, spend, average)."""

    family = _("Order history")
    consent_purpose = HISTORY
    attribute = ""
    label = ""

    class Meta:
        abstract = True

    def clean(self):
        check_range(self.minimum, self.maximum, required=True)

    def value(self, profile):
        return getattr(profile, self.attribute) if profile is not None else None

    def matches(self, ctx: RuleContext) -> bool:
        return between(self.value(ctx.profile), self.minimum, self.maximum)

    def describe(self):
        return f"{self.label} {range_text(self.minimum, self.maximum)}"


class OrderCountRule(_HistoryRange):
    """Matches on the number of orders the customer has placed."""

    minimum = models.PositiveIntegerField(_("at least"), null=True, blank=True,
                                          validators=[MaxValueValidator(COUNT_MAX)])
    maximum = models.PositiveIntegerField(_("at most"), null=True, blank=True,
                                          validators=[MaxValueValidator(COUNT_MAX)],
                                          help_text=_("0 matches visitors who never ordered."))
    attribute = "order_count"
    label = _("number of orders")

    class Meta:
        verbose_name = _("number of orders")
        verbose_name_plural = _("order-count rules")

    def value(self, profile):
        return profile.order_count if profile is not None else 0

    def customer_filter(self, customers):
        return customers.aggregate_in_range(models.Count("pk"), self.minimum, self.maximum,
                                            zero_when_none=True)


class _MoneyRange(_HistoryRange):
    """A range over an amount of money (the same two fields for every such rule)."""

    minimum = MoneyField(_("at least"), null=True, blank=True)
    maximum = MoneyField(_("at most"), null=True, blank=True)

    class Meta:
        abstract = True


class TotalSpentRule(_MoneyRange):
    """Matches on the customer's total spend over all orders."""

    attribute = "total_spent"
    label = _("total spent")

    class Meta:
        verbose_name = _("total spent")
        verbose_name_plural = _("total-spent rules")

    def value(self, profile):
        return profile.total_spent if profile is not None else 0

    def customer_filter(self, customers):
        return customers.aggregate_in_range(models.Sum(customers.fields.total), self.minimum,
                                            self.maximum, zero_when_none=True)


class AverageOrderValueRule(_MoneyRange):
    """Matches on the customer's average order value (customers with orders only)."""

    attribute = "avg_order_value"
    label = _("average order value")

    class Meta:
        verbose_name = _("average order value")
        verbose_name_plural = _("average-order-value rules")

    def customer_filter(self, customers):
        return customers.aggregate_in_range(models.Avg(customers.fields.total), self.minimum,
                                            self.maximum)


class DaysSinceLastOrderRule(_HistoryRange):
    """Matches customers whose last order is between N and M days old (lapsed customers)."""

    minimum = models.PositiveIntegerField(_("at least days"), null=True, blank=True,
                                          validators=[MaxValueValidator(DAYS_MAX)],
                                          help_text=_("e.g. 120 for 'no order for 4 months'."))
    maximum = models.PositiveIntegerField(_("at most days"), null=True, blank=True,
                                          validators=[MaxValueValidator(DAYS_MAX)])
    label = _("days since last order")

    class Meta:
        verbose_name = _("days since last order")
        verbose_name_plural = _("days-since-last-order rules")

    def matches(self, ctx: RuleContext) -> bool:
        profile = ctx.profile
        if profile is None or profile.last_order_at is None:
            return False
        return between((ctx.now - profile.last_order_at).days, self.minimum, self.maximum)

    def customer_filter(self, customers):
        f = customers.fields
        # Days since the last order in [min, max] <=> last order in [now - max, now - min].
        low = customers.now - timedelta(days=self.maximum) if self.maximum is not None else None
        high = (customers.now - timedelta(days=self.minimum)
                if self.minimum is not None else None)
        return customers.aggregate_in_range(models.Max(f.created), low, high)


class RFMScoreRule(_HistoryRange):
    """Matches on the RFM score: recency (1–5) + frequency (0–5) + monetary (0–5), 1–15.

    Scores use fixed bands (see docs/rules.md) so a customer's score does not depend on
    the other customers and the live and computed evaluations agree.
    """

    minimum = models.PositiveSmallIntegerField(_("lowest score"), null=True, blank=True)
    maximum = models.PositiveSmallIntegerField(_("highest score"), null=True, blank=True)
    attribute = "rfm_score"
    label = _("RFM score")

    class Meta:
        verbose_name = _("RFM score band")
        verbose_name_plural = _("RFM rules")

    def clean(self):
        super().clean()
        for name in ("minimum", "maximum"):
            value = getattr(self, name)
            if value is not None and not 1 <= value <= 15:
                raise ValidationError({name: _("An RFM score lies between 1 and 15.")})

    def customer_filter(self, customers):
        return customers.rfm_in_range(self.minimum, self.maximum)


class UsedDiscountCodeRule(Rule):
    """Matches customers who used a discount code in at least N orders (bargain hunters)."""

    minimum = models.PositiveIntegerField(_("orders with a code, at least"), default=1,
                                          validators=[MaxValueValidator(COUNT_MAX)])

    family = _("Order history")
    consent_purpose = HISTORY

    class Meta:
        verbose_name = _("used discount codes before")
        verbose_name_plural = _("discount-code rules")

    def clean(self):
        if not shop_has("discount_code"):
            raise ValidationError(_(
                "This shop's orders record no discount codes (its commerce adapter's "
                "order_fields.discount_code is None), so this rule would never match."))

    def matches(self, ctx: RuleContext) -> bool:
        profile = ctx.profile
        return profile is not None and profile.discount_order_count >= max(self.minimum, 1)

    def customer_filter(self, customers):
        f = customers.fields
        orders = customers.orders()
        orders = orders.filter(f.used_code(orders))
        return customers.aggregate_in_range(models.Count("pk"), max(self.minimum, 1), None,
                                            orders=orders)

    def describe(self):
        return str(_("used a discount code in %(n)s or more orders") % {"n": self.minimum})
