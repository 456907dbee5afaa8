"""A shop without discount codes or categories declares them absent in ``OrderFields``: known
customers get their campaigns, orders are recorded, and the admin refuses the rules that
would need the missing field."""

from __future__ import annotations

from dataclasses import replace
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from demo_shop.adapter import DemoCommerceAdapter
from personalization.adapters import get_adapter
from personalization.rules import (
    CategoryAffinityRule,
    LoggedInRule,
    PurchasedRule,
    UsedDiscountCodeRule,
)
from tests.factories import (
    CampaignFactory,
    CategoryFactory,
    OrderLineFactory,
    ProductFactory,
    SegmentFactory,
    SlotFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NoCodesNoCategories = type("NoCodesNoCategories", (DemoCommerceAdapter,), {
    "order_fields": replace(DemoCommerceAdapter.order_fields, discount_code=None,
                            category=None)})


@pytest.fixture(autouse=True)
def shop_without_codes(settings):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION,
                                "COMMERCE_ADAPTER": NoCodesNoCategories}


@pytest.fixture
def customer():
    line = OrderLineFactory(order__user=UserFactory(username="mia"),
                            order__discount_code="SPRING")
    return line.order.user


def test_a_known_customer_has_his_history_without_codes_or_categories(customer):
    stats = get_adapter().customer_stats(customer)

    assert stats["order_count"] == 1
    assert stats["discount_order_count"] == 0
    assert stats["categories"] == {} and len(stats["products"]) == 1


def test_explain_shows_a_known_customer_his_campaign(customer):
    slot = SlotFactory(key="home_hero")
    members = SegmentFactory(slug="members", rules=[LoggedInRule()])
    CampaignFactory(slot=slot, name="Members", segments=(members,), variants=("Hi there",))
    out = StringIO()

    call_command("explain", "--user", "mia", "--slot", "home_hero", stdout=out)

    assert "Shows: campaign 'Members'" in out.getvalue()


def test_an_order_has_no_codes_to_mark(customer, settings):
    from demo_shop.orders.models import Order

    order = Order.objects.get(user=customer)
    assert get_adapter().order_codes(order) == []
    settings.PERSONALIZATION = {**settings.PERSONALIZATION,
                                "COMMERCE_ADAPTER": DemoCommerceAdapter}
    assert get_adapter().order_codes(order) == ["SPRING"]


def test_the_discount_code_rule_is_refused():
    rule = UsedDiscountCodeRule(segment=SegmentFactory(), minimum=1)

    with pytest.raises(ValidationError, match="record no discount codes"):
        rule.full_clean()


@pytest.fixture
def category():
    return str(CategoryFactory().pk)


def test_a_purchase_rule_takes_products_but_not_categories(category):
    segment = SegmentFactory(kind="computed")
    PurchasedRule(segment=segment, product_ids=[str(ProductFactory().pk)]).full_clean()

    with pytest.raises(ValidationError, match="record no categories") as raised:
        PurchasedRule(segment=segment, category_ids=[category]).full_clean()
    assert "category_ids" in raised.value.message_dict


def test_category_affinity_is_refused_only_in_a_computed_segment(category):
    CategoryAffinityRule(segment=SegmentFactory(kind="live"),
                         category_ids=[category]).full_clean()

    with pytest.raises(ValidationError, match="computed segment cannot measure"):
        CategoryAffinityRule(segment=SegmentFactory(kind="computed"),
                             category_ids=[category]).full_clean()


def test_with_codes_and_categories_the_rules_are_accepted(settings, category):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION,
                                "COMMERCE_ADAPTER": DemoCommerceAdapter}
    segment = SegmentFactory(kind="computed")

    UsedDiscountCodeRule(segment=segment, minimum=1).full_clean()
    CategoryAffinityRule(segment=segment, category_ids=[category]).full_clean()
    PurchasedRule(segment=segment, category_ids=[category]).full_clean()


def test_the_demo_adapter_quoted_in_the_docs_is_the_demos_own():
    """docs/adapter.md quotes demo_shop/adapter.py (not in the wheel): each quoted piece is
    in the file as it is."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    doc = (root / "docs" / "adapter.md").read_text()
    source = (root / "demo_shop" / "adapter.py").read_text()
    section = doc.split("## The demo shop's adapter", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) >= 4
    for block in blocks:
        for piece in re.split(r"\n *# [^\n]*see the file\n", block):
            assert piece.strip("\n") in source, piece[:200]
