"""Products and categories by name: the admin's lookup, ids that do not exist refused with
their number, and rules and lists that name what they mean."""

import pytest
from django.core.exceptions import ValidationError

from personalization.models import ProductListVariant
from personalization.rules import CurrentCategoryRule, PurchasedRule
from tests.factories import (
    CampaignFactory,
    CategoryFactory,
    CurrentCategoryRuleFactory,
    ProductFactory,
    SegmentFactory,
    SlotFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LOOKUP = "/admin/personalization/segment/catalog/"


def test_the_lookup_finds_products_and_categories_by_name(admin_client):
    litter = ProductFactory(name="Clumping cat litter 10 l")
    ProductFactory(name="Garlic dip")
    cats = CategoryFactory(name="Cats")
    found = admin_client.get(LOOKUP, {"kind": "product", "term": "litter"}).json()
    assert found["results"] == [{"id": str(litter.pk), "text": "Clumping cat litter 10 l"}]
    found = admin_client.get(LOOKUP, {"kind": "category", "term": "cats"}).json()
    assert [r["id"] for r in found["results"]] == [str(cats.pk)]
    assert admin_client.get(LOOKUP, {"kind": "order", "term": "x"}).status_code == 400


def test_the_lookup_is_for_staff_who_edit_segments_or_campaigns(client):
    client.force_login(UserFactory(username="pieter", is_staff=True))
    assert client.get(LOOKUP, {"kind": "product", "term": "a"}).status_code == 403


def test_ids_that_do_not_exist_are_refused_with_their_number():
    cats = CategoryFactory(name="Cats")
    with pytest.raises(ValidationError, match="no category with id 9999"):
        CurrentCategoryRule(category_ids=[str(cats.pk), "9999"]).full_clean(
            exclude=["segment"])
    CurrentCategoryRule(category_ids=[str(cats.pk)]).full_clean(exclude=["segment"])
    campaign = CampaignFactory(name="Picks", slot=SlotFactory(
        key="picks", name="Picks", kind="product_list"), variants=(), status="draft")
    with pytest.raises(ValidationError, match="no product with id 424242"):
        ProductListVariant(campaign=campaign, product_ids=["424242"]).full_clean()


def test_rules_name_their_products_and_categories():
    cats = CategoryFactory(name="Cats")
    litter = ProductFactory(name="Cat litter", category=cats)
    rule = PurchasedRule(product_ids=[str(litter.pk)], category_ids=[str(cats.pk)])
    text = rule.describe()
    assert f"Cat litter (#{litter.pk})" in text and "Cats (#" in text
    gone = CurrentCategoryRule(category_ids=["777"])
    assert gone.describe() == "viewing category #777 (deleted)"


def test_the_rule_form_shows_chosen_categories_by_name(admin_client):
    cats = CategoryFactory(name="Cats")
    segment = SegmentFactory(name="Cat browsers", slug="cat-browsers")
    CurrentCategoryRuleFactory(segment=segment, category_ids=[str(cats.pk)])
    page = admin_client.get(f"/admin/personalization/segment/{segment.pk}/change/")
    html = page.content.decode()
    # By its path, so a rule on a parent is chosen knowing it covers the categories below.
    assert f'<option value="{cats.pk}" selected>{cats.department.name} › Cats</option>' in html
    assert "admin-autocomplete" in html
