"""Placing an order: stock, discount redemption, order number and the order_placed signal."""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from demo_shop.catalog.models import Product
from demo_shop.customers.models import SalesRep, account_of, is_b2b_user

from .cart import Cart
from .discounts import redeem_discount, validate_discount
from .models import Order, OrderLine, format_order_number
from .signals import order_placed

logger = logging.getLogger(__name__)

PLACED_ORDERS_SESSION_KEY = "placed_orders"


class CheckoutError(Exception):
    """The order could not be placed; the message is meant for the shopper."""


def b2b_error(cart: Cart, user: Any) -> str:
    """Why this user may not check out this cart's business-only products, or ""."""
    b2b_names = [line.product.display_name for line in cart.lines() if line.product.is_b2b]
    if not b2b_names or is_b2b_user(user):
        return ""
    if getattr(user, "is_authenticated", False):
        return _(
            "%(products)s can only be ordered by business customers. "
            "Your login does not belong to a business account: remove them or contact us."
        ) % {"products": ", ".join(b2b_names)}
    return _(
        "%(products)s can only be ordered by business customers. "
        "Please log in with your business account."
    ) % {"products": ", ".join(b2b_names)}


def place_order(request: HttpRequest, cart: Cart, data: dict[str, Any]) -> Order:
    """Turn the cart into an order; raises CheckoutError with a message on refusal.

    ``data`` holds the cleaned checkout form: name, email, address, discount_code.
    """
    user = request.user if request.user.is_authenticated else None
    if cart.is_empty or not cart.lines():
        raise CheckoutError(_("Your cart is empty."))
    error = b2b_error(cart, request.user)
    if error:
        raise CheckoutError(error)

    with transaction.atomic():
        quantities = {line.product.pk: line.quantity for line in cart.lines()}
        # Lock the products in a fixed order so concurrent checkouts cannot oversell stock.
        products = list(
            Product.objects.select_for_update().filter(pk__in=quantities).order_by("pk")
        )
        for product in products:
            if product.stock < quantities[product.pk]:
                raise CheckoutError(
                    _("Sorry, only %(stock)d of “%(name)s” left in stock.")
                    % {"stock": product.stock, "name": product.display_name}
                )
        subtotal = sum((p.price * quantities[p.pk] for p in products), Decimal("0.00"))

        code_text = (data.get("discount_code") or "").strip()
        discount, error = validate_discount(code_text, request.user, subtotal, timezone.now())
        if error:
            raise CheckoutError(error)
        amount_off = discount.amount_off(subtotal) if discount else Decimal("0.00")
        if discount is not None and not redeem_discount(discount):
            raise CheckoutError(
                _("The discount code “%(code)s” has already been used.") % {"code": discount.code}
            )

        account = account_of(user)
        is_rep = user is not None and SalesRep.objects.filter(user=user).exists()
        order = Order.objects.create(
            number=f"TMP-{uuid.uuid4().hex[:16]}",  # replaced by DS-<pk> below
            user=user,
            account=account,
            placed_by=user,
            channel=Order.Channel.REP if is_rep else Order.Channel.ONLINE,
            name=data["name"],
            email=data["email"],
            address=data["address"],
            subtotal=subtotal,
            discount=amount_off,
            total=subtotal - amount_off,
            discount_code=discount.code if discount else "",
            created_at=timezone.now(),
        )
        order.number = _free_number(order.pk)
        order.save(update_fields=["number"])
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                product=p,
                quantity=quantities[p.pk],
                unit_price=p.price,
                line_total=p.price * quantities[p.pk],
            )
            for p in products
        )
        for p in products:
            Product.objects.filter(pk=p.pk).update(stock=F("stock") - quantities[p.pk])
        # Sent inside the order's transaction, so what receivers record (personalization's
        # outbox: the conversion, the rep's SMS) commits with the order or not at all; they
        # hand work to workers only after commit. send_robust: a failing receiver is logged,
        # it must not turn the customer's confirmation into an error page.
        for receiver, error in order_placed.send_robust(sender=Order, order=order,
                                                        request=request):
            if error is not None:
                logger.error("order_placed receiver %r failed", receiver, exc_info=error)

    cart.clear()
    placed = request.session.get(PLACED_ORDERS_SESSION_KEY, [])
    request.session[PLACED_ORDERS_SESSION_KEY] = [*placed[-19:], order.number]
    return order


def _free_number(pk: int) -> str:
    """``DS-<pk>``, or the next free number if the seed already took that one."""
    sequence = pk
    while Order.objects.filter(number=format_order_number(sequence)).exists():
        sequence += 1
    return format_order_number(sequence)


def may_view_order(request: HttpRequest, order: Order) -> bool:
    """The customer, a user of the same account, staff allowed to view orders, or the
    session that placed it."""
    user = request.user
    if user.is_authenticated:
        if order.user_id == user.pk or (user.is_staff and user.has_perm("orders.view_order")):
            return True
        account = account_of(user)
        if account is not None and account.is_b2b and order.account_id == account.pk:
            return True
    return order.number in request.session.get(PLACED_ORDERS_SESSION_KEY, [])
