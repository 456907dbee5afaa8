"""Discount codes: the shop's validation, redemption and generation."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from demo_shop.orders.discounts import create_single_use_code, redeem_discount, validate_discount
from demo_shop.orders.models import DiscountCode
from tests.demo_shop.helpers import add_to_cart
from tests.factories import DiscountCodeFactory, UserFactory

pytestmark = pytest.mark.django_db
ANON = AnonymousUser()


def test_percentage_code_is_case_insensitive():
    DiscountCodeFactory(code="WELCOME10", value=Decimal("10"))
    code, error = validate_discount("  welcome10 ", ANON, Decimal("50.00"))
    assert error == ""
    assert code.amount_off(Decimal("50.00")) == Decimal("5.00")


def test_amount_code_never_exceeds_the_subtotal():
    code = DiscountCodeFactory(kind=DiscountCode.Kind.AMOUNT, value=Decimal("5.00"))
    assert code.amount_off(Decimal("30.00")) == Decimal("5.00")
    assert code.amount_off(Decimal("3.00")) == Decimal("3.00")


def test_unknown_code():
    assert validate_discount("NOPE", ANON, Decimal("10")) == (
        None, "Unknown discount code “NOPE”."
    )


def test_expired_code():
    DiscountCodeFactory(code="OLD", valid_until=timezone.now() - timedelta(days=1))
    code, error = validate_discount("old", ANON, Decimal("10"))
    assert code is None
    assert error.startswith("The discount code “OLD” expired on ")


def test_code_not_valid_yet_and_inactive():
    DiscountCodeFactory(code="SOON", valid_from=timezone.now() + timedelta(days=1))
    DiscountCodeFactory(code="OFF", active=False)
    assert "not valid yet" in validate_discount("SOON", ANON, Decimal("10"))[1]
    assert "no longer active" in validate_discount("OFF", ANON, Decimal("10"))[1]


def test_used_single_use_and_exhausted_codes():
    DiscountCodeFactory(code="ONCE", single_use=True, times_used=1)
    DiscountCodeFactory(code="FEW", max_uses=3, times_used=3)
    assert validate_discount("ONCE", ANON, Decimal("10"))[1] == (
        "The discount code “ONCE” has already been used."
    )
    assert "already been used" in validate_discount("FEW", ANON, Decimal("10"))[1]


def test_minimum_order_total():
    DiscountCodeFactory(code="SAVE5", minimum_total=Decimal("30.00"))
    assert validate_discount("SAVE5", ANON, Decimal("29.99"))[1] == (
        "The discount code “SAVE5” needs an order total of at least €30.00."
    )
    assert validate_discount("SAVE5", ANON, Decimal("30.00"))[0] is not None


def test_assigned_code_is_only_for_its_customer():
    owner, other = UserFactory(), UserFactory()
    DiscountCodeFactory(code="MINE", assigned_to=owner)
    assert validate_discount("MINE", owner, Decimal("10"))[0] is not None
    for user in (other, ANON):
        assert validate_discount("MINE", user, Decimal("10"))[1] == (
            "The discount code “MINE” belongs to another customer."
        )


def test_single_use_code_is_redeemed_once():
    code = DiscountCodeFactory(single_use=True)
    assert redeem_discount(code) is True
    assert redeem_discount(code) is False
    code.refresh_from_db()
    assert code.times_used == 1


def test_codes_are_unique_whatever_their_case():
    DiscountCodeFactory(code="SUMMER")
    with pytest.raises(IntegrityError):
        DiscountCode.objects.bulk_create([DiscountCode(code="summer", value=Decimal("5"))])


def test_create_single_use_code():
    user = UserFactory()
    first = create_single_use_code("winback", percent=15, assigned_to=user)
    second = create_single_use_code("winback", amount=Decimal("5"))
    assert first.code != second.code
    assert first.code.startswith("WINBACK-")
    assert first.single_use and first.kind == "percent" and first.value == Decimal("15")
    assert second.kind == "amount" and second.assigned_to is None
    assert timedelta(days=29) < first.valid_until - timezone.now() <= timedelta(days=30)
    assert validate_discount(first.code, user, Decimal("20"))[0] == first
    with pytest.raises(ValueError):
        create_single_use_code("X")


def test_code_applied_in_cart_reduces_the_total(client, shop):
    DiscountCodeFactory(code="WELCOME10", value=Decimal("10"))
    add_to_cart(client, shop.litter, 2)  # 17.90
    response = client.post(reverse("cart_update"), {"code": "welcome10"}, follow=True)
    html = response.content.decode()
    assert "Discount code “WELCOME10” applied: 10% off." in html
    assert response.context["cart"].discount == Decimal("1.79")
    assert response.context["cart"].total == Decimal("16.11")
    assert "€16.11" in html


def test_expired_code_in_cart_shows_its_message(client, shop):
    DiscountCodeFactory(code="OLD", valid_until=timezone.now() - timedelta(hours=1))
    add_to_cart(client, shop.litter)
    response = client.post(reverse("cart_update"), {"code": "OLD"}, follow=True)
    assert "The discount code “OLD” expired on" in response.content.decode()
    assert response.context["cart"].total == Decimal("8.95")
