"""The demo's rough edges a merchant would notice: one consent form on the privacy page,
a heading on every home page, no zero discount line, a favicon."""

import pytest
from django.test import Client

from tests.demo_shop.helpers import CHECKOUT_DATA, add_to_cart
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_the_privacy_page_shows_one_consent_form_under_a_heading(client):
    html = client.get("/pz/privacy/").content.decode()
    assert html.count('class="pz-consent__form"') == 1
    assert "<h1>Privacy choices</h1>" in html
    assert 'class="pz-consent__form"' in Client().get("/").content.decode()  # elsewhere: banner


def test_the_home_page_has_a_heading_whatever_its_hero_shows(client):
    assert '<h1 class="visually-hidden">' in client.get("/").content.decode()


def test_a_rejected_code_shows_no_zero_discount_line(client):
    add_to_cart(client, ProductFactory(name="Litter", stock=5))
    page = client.post("/checkout/", {**CHECKOUT_DATA, "discount_code": "NOPE",
                                      "action": "apply"}).content.decode()
    assert "−€0.00" not in page and 'class="discount"' not in page


def test_every_page_names_its_favicon_and_the_file_exists(client):
    from django.contrib.staticfiles import finders

    assert 'rel="icon"' in client.get("/").content.decode()
    assert finders.find("demo_shop/favicon.svg")
    icon = client.get("/favicon.ico")
    assert icon.status_code == 301 and icon["Location"].endswith("/demo_shop/favicon.svg")
