"""A single-use code is the visitor's own: the same code in every process and after a cache
flush, and gone with his data."""

import re
from decimal import Decimal

import pytest
from django.core.cache import caches

from demo_shop.orders.models import DiscountCode
from personalization.datarights.subjects import erase_subject, export_subject
from personalization.models import IssuedCode
from personalization.testing import give_consent
from tests.demo_shop.helpers import add_to_cart
from tests.factories import CampaignFactory, DiscountVariantFactory, SlotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def win_back():
    slot = SlotFactory(key="checkout_discount", name="Checkout", kind="discount")
    campaign = CampaignFactory(name="Win back", slot=slot, status="live", variants=())
    DiscountVariantFactory(campaign=campaign, mode="generated", amount=Decimal("2.00"))
    return campaign


def prefilled(client) -> str:
    html = client.get("/checkout/").content.decode()
    return re.search(r'id="id_discount_code"[^>]*value="([^"]*)"', html).group(1)


def test_a_new_process_gives_the_visitor_the_code_he_was_given(client, shop, win_back):
    give_consent(client)
    add_to_cart(client, shop.scoop, 1)
    code = prefilled(client)
    assert code.startswith(f"PZ{win_back.pk}-")
    caches["default"].clear()  # another process, or a restarted cache
    assert prefilled(client) == code
    assert DiscountCode.objects.filter(code__startswith=f"PZ{win_back.pk}-").count() == 1


def test_a_customer_keeps_his_code_on_another_device(client, django_user_model, shop, win_back):
    anna = django_user_model.objects.create_user("anna", password="pw")
    client.force_login(anna)
    add_to_cart(client, shop.scoop, 1)
    code = prefilled(client)
    other = client.__class__()
    other.force_login(anna)
    add_to_cart(other, shop.scoop, 1)
    assert prefilled(other) == code
    assert IssuedCode.objects.get(user=anna).code == code


def test_an_anonymous_visitor_without_consent_gets_no_code_of_his_own(client, shop, win_back):
    add_to_cart(client, shop.scoop, 1)
    assert prefilled(client) == ""
    assert not DiscountCode.objects.filter(code__startswith=f"PZ{win_back.pk}-").exists()


def test_his_codes_are_in_his_export_and_erased_with_his_data(
        client, django_user_model, shop, win_back):
    anna = django_user_model.objects.create_user("anna", password="pw")
    client.force_login(anna)
    add_to_cart(client, shop.scoop, 1)
    code = prefilled(client)
    assert [c["code"] for c in export_subject(user=anna)["discount_codes"]] == [code]
    assert erase_subject(user=anna)["discount_codes"] == 1
    assert not IssuedCode.objects.exists()
