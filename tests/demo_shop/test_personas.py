"""The demo persona switcher: off unless the demo settings turn it on, and never with DEBUG
off (it logs anyone in as a customer)."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def personas(db):
    return {
        name: UserFactory(username=name, first_name=name.title())
        for name in ("anna", "jan", "lisa", "tom", "bram")
    }


@pytest.fixture
def switcher_on(settings):
    settings.DEMO_PERSONA_SWITCHER = True
    settings.DEBUG = True


def switch(client, username, next_url="/"):
    return client.post(reverse("persona_switch"), {"username": username, "next": next_url})


def test_switcher_is_404_and_hidden_when_off(client, personas, settings):
    settings.DEMO_PERSONA_SWITCHER = False
    assert switch(client, "anna").status_code == 404
    assert "Demo — browse as:" not in client.get(reverse("home")).content.decode()
    assert "_auth_user_id" not in client.session


def test_a_missing_setting_means_off(client, personas, settings):
    settings.DEBUG = True
    del settings.DEMO_PERSONA_SWITCHER
    assert switch(client, "anna").status_code == 404


def test_with_debug_off_the_switcher_is_refused_and_the_check_says_so(client, personas,
                                                                      settings):
    from django.core.checks import run_checks

    settings.DEMO_PERSONA_SWITCHER = True
    settings.DEBUG = False  # a demo deployed for real, with the switcher left on
    assert switch(client, "anna").status_code == 404
    assert "_auth_user_id" not in client.session
    assert "Demo — browse as:" not in client.get(reverse("home")).content.decode()
    warnings = [m for m in run_checks() if m.id == "demo_shop.W001"]
    assert len(warnings) == 1 and "stays off" in warnings[0].msg

    settings.DEBUG = True
    assert not [m for m in run_checks() if m.id == "demo_shop.W001"]
    assert switch(client, "anna").status_code == 302


def test_the_demo_settings_leave_it_off_when_debug_is_off(monkeypatch):
    import importlib
    import sys

    monkeypatch.setenv("DJANGO_DEBUG", "0")
    monkeypatch.setenv("DJANGO_SECRET_KEY", "not-the-public-one")
    monkeypatch.delenv("DEMO_PERSONA_SWITCHER", raising=False)
    monkeypatch.delitem(sys.modules, "demo_shop.settings")
    assert importlib.import_module("demo_shop.settings").DEMO_PERSONA_SWITCHER is False
    monkeypatch.setenv("DJANGO_DEBUG", "1")
    monkeypatch.delitem(sys.modules, "demo_shop.settings")
    assert importlib.import_module("demo_shop.settings").DEMO_PERSONA_SWITCHER is True


def test_switch_to_a_persona_and_back_to_anonymous(client, personas, switcher_on):
    html = client.get(reverse("home")).content.decode()
    assert "Demo — browse as:" in html
    assert 'value="anna"' in html and 'value="bram"' in html

    response = switch(client, "anna", next_url=reverse("search") + "?q=litter")
    assert response.status_code == 302
    assert response.url == reverse("search") + "?q=litter"
    assert "Hello Anna" in client.get(reverse("home")).content.decode()

    switch(client, "anonymous")
    assert not client.get(reverse("home")).context["user"].is_authenticated


def test_switch_from_one_persona_to_another(client, personas, switcher_on):
    switch(client, "anna")
    assert switch(client, "jan").status_code == 302
    assert client.get(reverse("home")).context["user"].username == "jan"


def test_switcher_refuses_users_who_are_not_personas(client, personas, admin_user, switcher_on):
    assert switch(client, "admin").status_code == 404
    assert "_auth_user_id" not in client.session


def test_switcher_needs_post_and_a_local_next_url(client, personas, switcher_on):
    assert client.get(reverse("persona_switch")).status_code == 405
    response = switch(client, "tom", next_url="https://evil.example.com/")
    assert response.url == reverse("home")


def test_lisas_cart_was_left_hours_ago_in_her_session_and_her_saved_cart(
        client, personas, switcher_on):
    """What the storefront reads (her session) and what explain and the preview read (her
    saved cart) agree: the cart waits since three hours, so she is a cart abandoner in both."""
    from datetime import timedelta

    from django.utils import timezone

    from demo_shop.orders.models import SavedCart
    from personalization.adapters import get_adapter
    from tests.factories import ProductFactory

    for slug in ("pizza-margherita", "pizza-pepperoni"):
        ProductFactory(slug=slug, name=slug.replace("-", " ").title(), stock=10)

    switch(client, "lisa")

    saved = SavedCart.objects.get(user=personas["lisa"])
    assert sum(saved.items.values()) == 3
    hours_ago = timezone.now() - timedelta(hours=3)
    assert abs((saved.updated_at - hours_ago).total_seconds()) < 60
    cart = get_adapter().customer_cart(personas["lisa"])  # what explain reads
    assert abs((cart.updated_at - hours_ago).total_seconds()) < 60
