"""The session cart: adding, updating, removing, stock limits and the change time."""

from datetime import datetime
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.urls import reverse

from demo_shop.orders.cart import UPDATED_AT_KEY, Cart
from tests.demo_shop.helpers import add_to_cart, page_messages

pytestmark = pytest.mark.django_db


def test_added_product_shows_in_cart_with_total(client, shop):
    add_to_cart(client, shop.litter, 2)
    add_to_cart(client, shop.scoop)
    response = client.get(reverse("cart"))
    html = response.content.decode()
    assert "Clumping cat litter 10 L" in html and "Litter scoop" in html
    assert response.context["cart"].subtotal == Decimal("23.90")  # 2 × 8.95 + 6.00
    assert "€23.90" in html
    assert response.context["cart_count"] == 3  # the badge in the header


def test_adding_twice_adds_up(client, shop):
    add_to_cart(client, shop.litter)
    add_to_cart(client, shop.litter, 2)
    assert client.session["cart"] == {str(shop.litter.pk): 3}


def test_out_of_stock_product_cannot_be_added(client, shop):
    response = add_to_cart(client, shop.box)
    assert "Sorry, “Corner litter box” is out of stock." in page_messages(response)
    assert not client.session.get("cart")


def test_cannot_add_more_than_the_stock(client, shop):
    response = add_to_cart(client, shop.litter, 6)
    assert "Sorry, only 5 of “Clumping cat litter 10 L” left in stock." in page_messages(response)
    assert not client.session.get("cart")


def test_update_quantity_changes_the_total(client, shop):
    add_to_cart(client, shop.litter)
    client.post(reverse("cart_update"), {"product_id": shop.litter.pk, "quantity": 3})
    response = client.get(reverse("cart"))
    assert response.context["cart"].total == Decimal("26.85")


def test_update_to_zero_and_remove_empty_the_cart(client, shop):
    add_to_cart(client, shop.litter)
    add_to_cart(client, shop.scoop)
    client.post(reverse("cart_update"), {"product_id": shop.litter.pk, "quantity": 0})
    client.post(reverse("cart_remove"), {"product_id": shop.scoop.pk})
    response = client.get(reverse("cart"))
    assert "Your cart is empty." in response.content.decode()


def test_cart_remembers_when_it_last_changed(client, shop):
    add_to_cart(client, shop.litter)
    first = client.session[UPDATED_AT_KEY]
    assert datetime.fromisoformat(first).tzinfo is not None
    client.post(reverse("cart_update"), {"product_id": shop.litter.pk, "quantity": 2})
    assert client.session[UPDATED_AT_KEY] > first


def test_cart_changes_need_post(client, shop):
    assert client.get(reverse("cart_add")).status_code == 405


def _cart(user=None) -> Cart:
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore

    request = RequestFactory().get("/")
    request.session = SessionStore()
    request.user = user or AnonymousUser()
    return Cart(request)


def test_add_many_adds_what_it_can_and_reports_the_rest(shop):
    cart = _cart()
    errors = cart.add_many([(shop.litter.pk, 2), (shop.box.pk, 1), (999999, 1)])
    assert {line.product.pk: line.quantity for line in cart.lines()} == {shop.litter.pk: 2}
    assert errors == [
        "Sorry, “Corner litter box” is out of stock.",
        "A product is no longer available.",
    ]
    assert cart.updated_at is not None


def test_cart_drops_products_that_were_deactivated(shop):
    cart = _cart()
    cart.add(shop.litter)
    shop.litter.is_active = False
    shop.litter.save()
    assert Cart(cart.request).lines() == []
