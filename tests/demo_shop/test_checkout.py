"""Checkout: orders, stock, discount codes, business-only products and the order_placed signal."""

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from demo_shop.orders.forms import CheckoutForm
from demo_shop.orders.models import DiscountCode, Order
from demo_shop.orders.signals import order_placed
from tests.demo_shop.helpers import add_to_cart, checkout
from tests.factories import DiscountCodeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_checkout_with_an_empty_cart_goes_back_to_the_cart(client, shop):
    response = client.get(reverse("checkout"))
    assert response.status_code == 302 and response.url == reverse("cart")


def test_checkout_page_shows_the_totals(client, shop):
    add_to_cart(client, shop.litter, 2)
    response = client.get(reverse("checkout"))
    html = response.content.decode()
    assert response.context["subtotal"] == Decimal("17.90")
    assert response.context["total"] == Decimal("17.90")
    assert 'data-pz-slot="checkout_discount"' in html


def test_placing_an_order(client, shop, customer):
    client.force_login(customer)
    add_to_cart(client, shop.litter, 2)
    add_to_cart(client, shop.scoop, 1)
    response = checkout(client)
    order = Order.objects.get()
    assert re.fullmatch(r"DS-\d{6}", order.number)
    assert response.redirect_chain[-1][0] == reverse("order_confirmation", args=[order.number])
    assert f"Your order number is <strong>{order.number}</strong>" in response.content.decode()
    assert order.user == customer and order.placed_by == customer
    assert order.channel == "online" and order.status == "placed"
    assert order.total == order.subtotal == Decimal("23.90")
    assert sorted((ln.product.slug, ln.quantity, ln.line_total) for ln in order.lines.all()) == [
        ("clumping-litter", 2, Decimal("17.90")),
        ("scoop", 1, Decimal("6.00")),
    ]
    shop.litter.refresh_from_db()
    assert shop.litter.stock == 3  # 5 - 2
    assert client.get(reverse("cart")).context["cart"].is_empty
    history = client.get(reverse("order_history")).content.decode()
    assert order.number in history and "2 × Clumping cat litter 10 L" in history


def test_discount_code_at_checkout_reduces_the_total_and_is_counted(client, shop):
    code = DiscountCodeFactory(code="SAVE5", kind=DiscountCode.Kind.AMOUNT, value=Decimal("5"))
    add_to_cart(client, shop.litter, 3)  # 26.85
    checkout(client, discount_code="save5")
    order = Order.objects.get()
    assert (order.subtotal, order.discount, order.total) == (
        Decimal("26.85"), Decimal("5.00"), Decimal("21.85")
    )
    assert order.discount_code == "SAVE5"
    code.refresh_from_db()
    assert code.times_used == 1


def test_single_use_code_is_refused_the_second_time(client, shop):
    DiscountCodeFactory(code="ONCE25", value=Decimal("25"), single_use=True)
    add_to_cart(client, shop.scoop)
    checkout(client, discount_code="ONCE25")
    client.logout()
    client.cookies.clear()
    add_to_cart(client, shop.scoop)
    response = checkout(client, discount_code="ONCE25")
    assert "The discount code “ONCE25” has already been used." in response.content.decode()
    assert Order.objects.count() == 1


def test_code_used_up_by_a_concurrent_checkout_rolls_the_order_back(client, shop, monkeypatch):
    """Validation passed, but another checkout redeemed the code first: nothing is placed."""
    DiscountCodeFactory(code="ONCE", single_use=True)
    add_to_cart(client, shop.litter)
    monkeypatch.setattr("demo_shop.orders.checkout.redeem_discount", lambda code: False)
    response = checkout(client, discount_code="ONCE")
    assert "has already been used" in response.content.decode()
    assert Order.objects.count() == 0
    shop.litter.refresh_from_db()
    assert shop.litter.stock == 5


def test_invalid_code_blocks_the_order_with_its_message(client, shop):
    add_to_cart(client, shop.litter)
    response = checkout(client, discount_code="NOPE")
    assert "Unknown discount code “NOPE”." in response.content.decode()
    assert Order.objects.count() == 0


def test_apply_button_previews_the_discount_without_ordering(client, shop):
    DiscountCodeFactory(code="WELCOME10", value=Decimal("10"))
    add_to_cart(client, shop.litter, 2)
    response = checkout(client, discount_code="WELCOME10", action="apply")
    assert response.context["discount_amount"] == Decimal("1.79")
    assert response.context["total"] == Decimal("16.11")
    assert Order.objects.count() == 0


def test_applying_a_code_checks_only_the_code(client, shop):
    """Before he fills in his name and address, a shopper applies a code: no "This field is
    required." for the fields he has not reached yet, the code is applied, and what he
    typed stays."""
    DiscountCodeFactory(code="WELCOME10", value=Decimal("10"))
    add_to_cart(client, shop.litter, 2)

    response = checkout(client, name="", email="", address="Dorpsstraat 1",
                        discount_code="WELCOME10", action="apply")

    page = response.content.decode()
    assert "This field is required." not in page
    assert response.context["discount_amount"] == Decimal("1.79")
    assert "Dorpsstraat 1" in page and Order.objects.count() == 0
    refused = checkout(client, name="", email="", discount_code="X" * 41, action="apply")
    assert "at most 40 characters" in refused.content.decode()
    placed = checkout(client, name="", email="", discount_code="WELCOME10")
    assert placed.content.decode().count("This field is required.") == 2  # placing: all


def test_code_from_the_url_is_prefilled(client, shop):
    DiscountCodeFactory(code="WELCOME10", value=Decimal("10"))
    add_to_cart(client, shop.litter, 2)
    response = client.get(reverse("checkout"), {"code": "WELCOME10"})
    assert 'value="WELCOME10"' in response.content.decode()
    assert response.context["total"] == Decimal("16.11")


def test_code_from_the_context_is_prefilled(shop):
    request = RequestFactory().get("/checkout/")
    request.user = AnonymousUser()
    html = render_to_string(
        "orders/checkout.html",
        {"form": CheckoutForm(), "lines": [], "prefilled_discount_code": "WINBACK-ABC"},
    )
    assert 'value="WINBACK-ABC"' in html


def test_stock_sold_out_meanwhile_is_reported(client, shop):
    add_to_cart(client, shop.litter, 4)
    shop.litter.stock = 1
    shop.litter.save()
    response = checkout(client)
    assert "Sorry, only 1 of “Clumping cat litter 10 L” left in stock." in (
        response.content.decode()
    )
    assert Order.objects.count() == 0


def test_business_products_need_a_business_account(client, shop, customer, farmer):
    add_to_cart(client, shop.needles, 2)
    response = checkout(client)
    assert "can only be ordered by business customers" in response.content.decode()
    assert "Please log in with your business account." in response.content.decode()
    client.force_login(customer)
    add_to_cart(client, shop.needles, 2)
    assert "Your login does not belong to a business account" in checkout(client).content.decode()
    assert Order.objects.count() == 0

    client.force_login(farmer)
    add_to_cart(client, shop.needles, 2)
    checkout(client)
    order = Order.objects.get()
    assert order.account.name == "Hoeve De Vries"
    assert order.sales_rep.mobile == "+31612345678"


def test_order_placed_is_sent_once_after_commit(client, shop, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, order, request, **kwargs):
        received.append((sender, order.number, request.path))

    order_placed.connect(receiver)
    try:
        add_to_cart(client, shop.litter)
        with django_capture_on_commit_callbacks(execute=True):
            checkout(client)
    finally:
        order_placed.disconnect(receiver)
    order = Order.objects.get()
    assert received == [(Order, order.number, reverse("checkout"))]


def test_order_placed_comes_inside_the_order_transaction_and_work_waits_for_commit(
        client, shop, django_capture_on_commit_callbacks):
    from personalization.models import Event, OutboxMessage

    received = []
    order_placed.connect(lambda **kwargs: received.append(kwargs), weak=False, dispatch_uid="t")
    try:
        add_to_cart(client, shop.litter)
        with django_capture_on_commit_callbacks(execute=False) as after_commit:
            checkout(client)
        assert len(received) == 1  # sent with the order, in its transaction
        message = OutboxMessage.objects.get()  # the conversion to record, written with it
        assert message.published_at is None and message.done_at is None
        assert not Event.objects.filter(type="conversion").exists()
        for callback in after_commit:  # the commit: now it is handed over (eager: runs)
            callback()
        assert OutboxMessage.objects.get().done_at is not None
    finally:
        order_placed.disconnect(dispatch_uid="t")


def test_a_failing_receiver_never_costs_the_order(client, shop, caplog):
    def broken(**kwargs):
        raise RuntimeError("a receiver with a bug")

    order_placed.connect(broken, weak=False, dispatch_uid="broken")
    try:
        add_to_cart(client, shop.litter)
        response = checkout(client)
    finally:
        order_placed.disconnect(dispatch_uid="broken")
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    assert Order.objects.count() == 1
    assert "a receiver with a bug" in caplog.text


def test_order_pages_are_private(client, shop, customer, admin_user):
    client.force_login(customer)
    add_to_cart(client, shop.litter)
    checkout(client)
    order = Order.objects.get()
    assert client.get(order.get_absolute_url()).status_code == 200
    client.force_login(UserFactory())
    assert client.get(order.get_absolute_url()).status_code == 404
    client.force_login(admin_user)
    assert client.get(order.get_absolute_url()).status_code == 200
    assert client.get(order.get_admin_url()).status_code == 200
    rep = UserFactory(username="pieter", is_staff=True)  # staff without the order permission
    client.force_login(rep)
    assert client.get(order.get_absolute_url()).status_code == 404


def test_anonymous_buyer_sees_their_confirmation(client, shop):
    add_to_cart(client, shop.litter)
    response = checkout(client)
    order = Order.objects.get()
    assert response.status_code == 200 and order.user is None
    assert client.get(order.get_absolute_url()).status_code == 200


def test_order_history_needs_a_login(client):
    response = client.get(reverse("order_history"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_failing_order_placed_receiver_does_not_break_the_confirmation(
    client, shop, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise RuntimeError("receiver bug")

    order_placed.connect(broken, weak=False, dispatch_uid="broken")
    try:
        add_to_cart(client, shop.litter)
        with django_capture_on_commit_callbacks(execute=True):
            response = checkout(client)
    finally:
        order_placed.disconnect(dispatch_uid="broken")
    assert response.status_code == 200
    assert "Thank you for your order" in response.content.decode()
    assert Order.objects.count() == 1


def test_a_dutch_customer_reads_his_order_dates_with_lower_case_months(client, shop, customer):
    client.force_login(customer)
    add_to_cart(client, shop.litter)
    checkout(client)
    order = Order.objects.get()
    Order.objects.filter(pk=order.pk).update(
        created_at=datetime(2026, 5, 1, 10, 30, tzinfo=ZoneInfo("Europe/Amsterdam")))

    history = client.get(reverse("order_history"), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    detail = client.get(order.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="nl").content.decode()

    assert "1 mei 2026" in history and "Mei" not in history
    assert "1 mei 2026 10:30" in detail
