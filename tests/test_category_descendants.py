"""A category rule includes the categories below it: "Cats" means "Cats › Cat food" too,
bought, in the cart, viewed or of interest, live and computed alike."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from demo_shop.adapter import DemoCommerceAdapter
from personalization.adapters import CartLine, CartSnapshot, CommerceAdapter
from personalization.engine import rulebook
from personalization.engine.sets import CustomerSet
from personalization.jobs.reach import estimate
from personalization.rules import (
    CartContainsRule,
    CategoryAffinityRule,
    CurrentCategoryRule,
    PurchasedRule,
)
from personalization.testing import make_context
from tests.factories import (
    CategoryAffinityRuleFactory,
    CategoryFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    PurchasedRuleFactory,
    SegmentFactory,
    UserFactory,
    factory_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cats():
    pets = CategoryFactory(name="Cats")
    food = CategoryFactory(name="Cat food", parent=pets, department=pets.department)
    wet = CategoryFactory(name="Wet food", parent=food, department=pets.department)
    dogs = CategoryFactory(name="Dogs", department=pets.department)
    return {"cats": pets, "food": food, "wet": wet, "dogs": dogs}


def bought(category, days_ago=3):
    user = UserFactory()
    product = ProductFactory(category=category, price=Decimal("5.00"))
    order = OrderFactory(user=user, created_at=timezone.now() - timedelta(days=days_ago))
    OrderLineFactory(order=order, product=product)
    return user


def test_the_demo_adapter_knows_every_category_below(cats):
    adapter = DemoCommerceAdapter()
    assert adapter.category_descendants(frozenset({cats["cats"].pk})) == {
        cats["cats"].pk, cats["food"].pk, cats["wet"].pk}
    assert adapter.category_descendants(frozenset({cats["wet"].pk})) == {cats["wet"].pk}
    assert CommerceAdapter().category_descendants(frozenset({1, 2})) == {1, 2}  # flat


def test_a_purchase_rule_on_a_parent_counts_what_was_bought_below_it(cats):
    wet_buyer, dog_owner = bought(cats["wet"]), bought(cats["dogs"])
    segment = SegmentFactory(kind="computed")
    PurchasedRuleFactory(segment=segment, category_ids=[str(cats["cats"].pk)])
    members = set(CustomerSet().members(segment).values_list("pk", flat=True))
    assert members == {wet_buyer.pk}
    assert dog_owner.pk not in members
    reach = estimate(segment)
    assert reach.customers == 1 and reach.of == 2


def test_affinity_over_a_parent_adds_up_its_subcategories_in_sql(cats):
    cat_person = bought(cats["food"])
    segment = SegmentFactory(kind="computed")
    CategoryAffinityRuleFactory(segment=segment, category_ids=[str(cats["cats"].pk)],
                                min_share=50)
    assert set(CustomerSet().members(segment).values_list("pk", flat=True)) == {
        cat_person.pk}


def compiled(rule_class, cats, **fields):
    """The rule as the RuleBook holds it (its categories expanded when it was built)."""
    segment = SegmentFactory()
    factory_for(rule_class)(segment=segment, category_ids=[str(cats["cats"].pk)], **fields)
    rulebook.invalidate()
    book = rulebook.build("test")
    return book.segments[segment.pk].checks[0].rule


def test_live_rules_on_a_parent_match_its_subcategories(cats):
    wet, dogs = cats["wet"].pk, cats["dogs"].pk
    now = timezone.now()

    def cart(category):
        return CartSnapshot(lines=(CartLine(product_id=1, category_ids=(category,),
                                            quantity=1, price=Decimal("3")),))

    purchased = compiled(PurchasedRule, cats)
    assert purchased.matches(make_context(profile={"categories": {wet: now}}))
    assert not purchased.matches(make_context(profile={"categories": {dogs: now}}))
    # A headless client may send the page's own category only, without its parents.
    contains = compiled(CartContainsRule, cats)
    assert contains.matches(make_context(cart=cart(wet)))
    assert not contains.matches(make_context(cart=cart(dogs)))
    current = compiled(CurrentCategoryRule, cats)
    assert current.matches(make_context(category_ids=(wet,)))
    assert not current.matches(make_context(category_ids=(dogs,)))
    affinity = compiled(CategoryAffinityRule, cats, min_share=60)
    assert affinity.matches(make_context(category_affinity={wet: 0.4, cats["food"].pk: 0.3}))
    assert not affinity.matches(make_context(category_affinity={wet: 0.4, dogs: 0.6}))


def test_a_rule_keeps_its_categories_when_the_adapter_fails(cats, monkeypatch):
    def broken(self, ids):
        raise RuntimeError("catalogue down")

    monkeypatch.setattr(DemoCommerceAdapter, "category_descendants", broken)
    rule = compiled(CurrentCategoryRule, cats)
    assert rule.category_id_set == {cats["cats"].pk}
    assert rule.matches(make_context(category_ids=(cats["cats"].pk,)))


def test_the_picker_names_a_category_by_its_path(cats):
    names = DemoCommerceAdapter().catalog_names("category", [cats["wet"].pk])
    department = cats["cats"].department.name
    assert names == {cats["wet"].pk: f"{department} › Cats › Cat food › Wet food"}
