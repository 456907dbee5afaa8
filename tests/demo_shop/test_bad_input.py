"""Bad input from a visitor gets a clear answer, never a 500 (PostgreSQL refuses NUL in
text), and never makes the session or the page grow without bound."""

import json

import pytest
from django.core import signing

from personalization.conf import app_settings
from personalization.engine.cookies import STATE_SALT, VisitorState
from tests.demo_shop.helpers import CHECKOUT_DATA, add_to_cart, page_messages
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def litter():
    return ProductFactory(name="Cat litter", slug="litter", stock=50)


def test_nul_characters_give_a_clear_answer_not_an_error(client, litter):
    assert client.get("/orders/DS-1%00/").status_code == 404
    search = client.get("/search/", {"q": "\x00litter"})
    assert search.status_code == 200 and search.context["results"] == []
    add_to_cart(client, litter)
    cart = client.post("/cart/update/", {"code": "\x00CODE"}, follow=True)
    assert cart.status_code == 200
    assert "Null characters are not allowed." in page_messages(cart)
    placed = client.post("/checkout/", {**CHECKOUT_DATA, "discount_code": "A\x00B"})
    assert placed.status_code == 200  # the form again, with the error on the field
    assert "Null characters are not allowed." in placed.content.decode()
    assert client.get("/checkout/", {"code": "\x00"}).status_code == 200
    assert client.get("/", {"utm_source": "mail\x00", "utm_campaign": "x"}).status_code == 200


def test_an_oversized_discount_code_is_refused_and_not_kept(client, litter):
    add_to_cart(client, litter)
    huge = "X" * 2_000_000
    response = client.post("/cart/update/", {"code": huge}, follow=True)
    assert any("at most 40 characters" in m for m in page_messages(response))
    client.post("/checkout/", {**CHECKOUT_DATA, "discount_code": huge, "action": "apply"})
    page = client.get("/cart/")
    assert len(page.content) < 100_000
    assert huge[:100] not in json.dumps(dict(client.session.items()))


VID = "0b7c1f0e-8c1e-4d55-9f11-3f8f1d7f0a01"


@pytest.mark.parametrize("payload", [
    {"v": VID, "n": float("inf")}, {"v": VID, "t": float("nan")},
    {"v": VID, "c": {"1": float("-inf")}}, {"v": VID, "f": [1, 2]}, [1, 2], "just text"])
def test_a_signed_cookie_with_a_malformed_payload_is_a_new_visitor(client, payload):
    forged = signing.dumps(payload, salt=STATE_SALT, compress=True)  # e.g. the public demo key
    assert VisitorState.loads(forged).vid != VID  # read as no cookie
    client.cookies[app_settings.VISITOR_COOKIE_NAME] = forged
    assert client.get("/").status_code == 200


def test_absurd_but_well_formed_numbers_in_a_cookie_break_no_page(client):
    absurd = signing.dumps({"v": VID, "n": 10 ** 30, "t": -(10 ** 30), "p": 1e308},
                           salt=STATE_SALT, compress=True)
    client.cookies[app_settings.VISITOR_COOKIE_NAME] = absurd
    assert client.get("/").status_code == 200
    assert client.get("/cart/").status_code == 200
