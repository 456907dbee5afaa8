"""Popups keep out of a purchase: none opens on the cart or checkout unless its campaign
allows it, and a popup campaign without a cap opens once a day, not on every page."""

import pytest
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

from personalization.engine import rulebook
from personalization.engine.decide import page_of
from tests.factories import CampaignFactory, PopupVariantFactory, SlotFactory
from tests.script import report

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.test_popup_checkout")]
POPUP_PAGE = """{% load personalization %}<html><body><p>Content</p>
{% personalize_popup "popup" %}{% personalization_script %}</body></html>"""
TITLE = "We miss you!"


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(engines["django"].from_string(POPUP_PAGE).render({}, request))


# The demo adapter knows its cart and checkout by their URL names.
urlpatterns = [path("page/", page), path("cart/", page, name="cart"),
               path("checkout/", page, name="checkout"), path("payment/", page),
               path("pz/api/", include("personalization.api.urls")),
               path("pz/", include("personalization.urls"))]


@pytest.fixture(autouse=True)
def _analytics_allowed(settings):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "CONSENT_MODE": "implied"}


def popup_campaign(**fields):
    c = CampaignFactory(slot=SlotFactory(key="popup", kind="popup"), name="Win-back",
                        variants=(), **fields)
    variant = PopupVariantFactory(campaign=c, title=TITLE, body="<p>15% off</p>",
                                  trigger="load")
    rulebook.invalidate()
    return c, variant


def reasons(response):
    return page_of(response.wsgi_request.visitor).decisions["popup"].reasons


@pytest.mark.parametrize("url", ["/cart/", "/checkout/"])
def test_no_popup_opens_on_the_cart_or_the_checkout(client, url):
    popup_campaign()
    assert TITLE in client.get("/page/").content.decode()
    response = client.get(url)
    assert TITLE not in response.content.decode()
    assert "Win-back' (priority 0): skipped, no popup opens on the cart or checkout" \
        in reasons(response)[0]


def test_a_campaign_may_allow_its_popup_on_the_checkout(client):
    popup_campaign(popup_on_checkout=True)
    assert TITLE in client.get("/checkout/").content.decode()


def test_a_setting_adds_pages_that_count_as_checkout(client, settings):
    popup_campaign()
    assert TITLE in client.get("/payment/").content.decode()
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "CHECKOUT_PATHS": ["/payment/"]}
    assert TITLE not in client.get("/payment/").content.decode()


def test_a_popup_without_a_cap_opens_once_a_day_by_default(client):
    c, variant = popup_campaign()
    html = client.get("/page/").content.decode()
    assert TITLE in html
    assert report(client, html, "view", c.pk, variant.pk).status_code == 202  # shown
    response = client.get("/page/")
    assert TITLE not in response.content.decode()  # not again on every page
    assert "frequency cap of 1 per 24 h reached" in reasons(response)[0]


def test_a_cap_set_by_the_merchant_wins_over_the_default(client):
    c, variant = popup_campaign(cap_impressions=2, cap_period_hours=1)
    for _ in range(2):
        html = client.get("/page/").content.decode()
        assert TITLE in html
        report(client, html, "view", c.pk, variant.pk)
    assert "frequency cap of 2 per 1 h reached" in reasons(client.get("/page/"))[0]


def test_without_a_default_cap_a_popup_comes_back_until_closed(client, settings):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "POPUP_DEFAULT_CAP": None}
    c, variant = popup_campaign()
    html = client.get("/page/").content.decode()
    report(client, html, "view", c.pk, variant.pk)
    assert TITLE in client.get("/page/").content.decode()


def test_explain_for_a_checkout_path_knows_no_popup_opens_there():
    from personalization.engine.decide import choose
    from personalization.testing import make_context

    popup_campaign()
    assert choose("popup", make_context(path="/c/pizzas/")).shows_variant
    decision = choose("popup", make_context(path="/checkout/"))
    assert not decision.shows_variant
    assert "no popup opens on the cart or checkout" in decision.reasons[0]


@pytest.mark.parametrize("key, value, check", [
    ("CHECKOUT_PATHS", "/payment/", "E012"), ("CHECKOUT_PATHS", ["payment"], "E012"),
    ("POPUP_DEFAULT_CAP", 0, "E013"), ("POPUP_DEFAULT_CAP", "once", "E013")])
def test_a_wrong_popup_setting_stops_start_up(settings, key, value, check):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.PERSONALIZATION = {**settings.PERSONALIZATION, key: value}
    with pytest.raises(SystemCheckError, match=f"personalization.{check}"):
        call_command("check")
