"""Previewing a customer shows his cart on every page, the checkout included, and never
touches it or the previewer's own cart."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from demo_shop.sessions import SessionStore
from personalization.touchpoints import preview
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lisa_with_a_cart():
    lisa = UserFactory(username="lisa", first_name="Lisa")
    pizza = ProductFactory(name="Pizza Margherita", price="9.50", stock=20)
    session = SessionStore()
    session.update({"_auth_user_id": str(lisa.pk), "cart": {str(pizza.pk): 2},
                    "cart_updated_at": (timezone.now() - timedelta(hours=3)).isoformat()})
    session.save()
    return lisa, pizza, session.session_key


@pytest.fixture
def marketer(client):
    user = UserFactory(username="editor", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(
        codename__in=["view_segment", "preview_as_customer"]))
    client.force_login(user)
    return user


def test_the_checkout_previewed_as_a_customer_shows_his_cart(client, marketer,
                                                             lisa_with_a_cart):
    lisa, pizza, key = lisa_with_a_cart
    link = preview.preview_url("/checkout/", preview.Target(user_id=lisa.pk))
    response = client.get(link)
    assert response.status_code == 200  # not sent back to the previewer's empty cart
    html = response.content.decode()
    assert "2 × Pizza Margherita" in html and 'id="pz-preview"' in html
    assert "Preview as customer lisa" in html
    cart_page = client.get(preview.preview_url("/cart/", preview.Target(user_id=lisa.pk)))
    assert "Pizza Margherita" in cart_page.content.decode()

    # Read only: an "add to cart" during the preview changes neither cart.
    client.post(preview.preview_url("/cart/add/", preview.Target(user_id=lisa.pk)),
                {"product_id": pizza.pk, "quantity": 5})
    assert SessionStore(session_key=key).load()["cart"] == {str(pizza.pk): 2}
    assert "cart" not in client.session or not client.session["cart"]


def test_explain_and_the_panel_decide_with_the_customers_cart(lisa_with_a_cart):
    from personalization.touchpoints.preview import customer_facts

    lisa, pizza, _ = lisa_with_a_cart
    cart = customer_facts(lisa)["cart"]
    assert [(line.product_id, line.quantity) for line in cart.lines] == [(pizza.pk, 2)]
    assert cart.updated_at is not None


def test_a_customer_without_a_session_is_previewed_with_an_empty_cart(client, marketer):
    bob = UserFactory(username="bob")
    from personalization.touchpoints.preview import customer_facts

    assert customer_facts(bob)["cart"].is_empty
