"""Set-based rules: each customer_filter() agrees with matches() on the cached profile."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from personalization.engine.profiles import build_snapshot
from personalization.engine.sets import CustomerSet
from personalization.rules import (
    AverageOrderValueRule,
    CategoryAffinityRule,
    CustomerGroupRule,
    DaysSinceLastOrderRule,
    OrderCountRule,
    PurchasedRule,
    RFMScoreRule,
    TotalSpentRule,
    UsedDiscountCodeRule,
)
from personalization.testing import make_context
from tests.factories import (
    AccountFactory,
    CategoryFactory,
    CustomerProfileFactory,
    DaysSinceLastOrderRuleFactory,
    OrderCountRuleFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    SegmentFactory,
    UsedDiscountCodeRuleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    now = timezone.now()
    litter, food = CategoryFactory(), CategoryFactory()
    scoop = ProductFactory(category=litter, price=Decimal("8.00"))
    kibble = ProductFactory(category=food, price=Decimal("30.00"))
    farm = AccountFactory(kind="b2b")

    def customer(name, orders, group="retail", account=None):
        user = UserFactory(username=name)
        CustomerProfileFactory(user=user, customer_group=group, account=account)
        for days_ago, products, code in orders:
            total = sum(p.price for p in products)
            order = OrderFactory(user=user, subtotal=total, total=total, discount_code=code,
                                 created_at=now - timedelta(days=days_ago))
            for p in products:
                OrderLineFactory(order=order, product=p)
        return user

    return {
        "users": [
            customer("anna", [(5, [scoop], ""), (35, [scoop, scoop], ""), (70, [kibble], "")]),
            customer("lisa", [(130, [kibble], "WELCOME"), (200, [kibble], "")]),
            customer("bram", [(3, [kibble], "SALE1"), (10, [scoop], "SALE2")]),
            customer("jan", [(20, [kibble, kibble, kibble], "")], group="farm", account=farm),
            customer("nobody", []),
        ],
        "litter": litter, "food": food, "scoop": scoop, "kibble": kibble,
    }


def rules(shop):
    litter, scoop = shop["litter"].pk, shop["scoop"].pk
    return [
        PurchasedRule(product_ids=[str(scoop)]),
        PurchasedRule(category_ids=[str(litter)], within_days=30),
        OrderCountRule(minimum=2),
        OrderCountRule(maximum=0),
        OrderCountRule(maximum=1),
        TotalSpentRule(minimum=Decimal("50")),
        AverageOrderValueRule(maximum=Decimal("20")),
        DaysSinceLastOrderRule(minimum=120),
        DaysSinceLastOrderRule(maximum=30),
        UsedDiscountCodeRule(minimum=2),
        UsedDiscountCodeRule(minimum=1),
        RFMScoreRule(minimum=9),
        RFMScoreRule(maximum=6),
        CategoryAffinityRule(category_ids=[str(litter)], min_share=50),
        CustomerGroupRule(groups=["farm"]),
        CustomerGroupRule(business="b2b"),
        CustomerGroupRule(business="b2c"),
    ]


def test_sql_and_live_evaluation_agree_for_every_history_rule(shop):
    customers = CustomerSet()
    snapshots = {u.pk: build_snapshot(u) for u in shop["users"]}
    ids = [u.pk for u in shop["users"]]
    for rule in rules(shop):
        sql = set(customers.customers().filter(rule.customer_filter(customers), pk__in=ids)
                  .values_list("pk", flat=True))
        live = {pk for pk, snap in snapshots.items()
                if rule.matches(make_context(profile=snap))}
        assert sql == live, f"{rule}: SQL {sql} != live {live}"


def test_lapsed_and_bargain_segments_pick_the_right_people(shop):
    customers = CustomerSet()
    lapsed = SegmentFactory(name="Lapsed", slug="lapsed", kind="computed")
    DaysSinceLastOrderRuleFactory(segment=lapsed, minimum=120)
    names = set(customers.customers().filter(pk__in=customers.members(lapsed))
                .values_list("username", flat=True))
    assert names == {"lisa"}
    bargain = SegmentFactory(name="Bargain", slug="bargain", match="any")
    UsedDiscountCodeRuleFactory(segment=bargain, minimum=2)
    OrderCountRuleFactory(segment=bargain, maximum=0, negate=True, position=1)
    names = set(customers.customers().filter(pk__in=customers.members(bargain))
                .values_list("username", flat=True))
    assert names == {"anna", "lisa", "bram", "jan"}  # any: has ordered, or used 2 codes
