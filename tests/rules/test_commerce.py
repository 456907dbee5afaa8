"""Commerce rules: the cart and the order history."""

from datetime import timedelta
from decimal import Decimal

from personalization.adapters import CartSnapshot
from personalization.rules import (
    AverageOrderValueRule,
    CartAbandonedRule,
    CartContainsRule,
    CartValueRule,
    DaysSinceLastOrderRule,
    OrderCountRule,
    PurchasedRule,
    RFMScoreRule,
    TotalSpentRule,
    UsedDiscountCodeRule,
)
from tests.rules.helpers import NOW, cart, ctx, customer


def test_cart_rules():
    c = cart((1, (10, 1), 2, "15.00"), updated_at=NOW - timedelta(hours=30))
    assert CartValueRule(minimum=Decimal("25")).matches(ctx(cart=c))
    assert not CartValueRule(minimum=Decimal("50")).matches(ctx(cart=c))
    assert CartContainsRule(category_ids=["1"]).matches(ctx(cart=c))
    assert CartContainsRule(product_ids=["1"]).matches(ctx(cart=c))
    assert not CartContainsRule(product_ids=["2"]).matches(ctx(cart=c))
    assert CartAbandonedRule(hours=24).matches(ctx(cart=c))
    assert not CartAbandonedRule(hours=48).matches(ctx(cart=c))
    assert not CartAbandonedRule(hours=1).matches(ctx(cart=CartSnapshot()))


def test_history_rules_read_the_profile():
    p = customer(products={5: NOW - timedelta(days=40)}, categories={9: NOW - timedelta(days=2)},
                 last_order_at=NOW - timedelta(days=130), avg_order_value=Decimal("40"),
                 discount_order_count=4, rfm_score=9)
    c = ctx(profile=p)
    assert PurchasedRule(product_ids=["5"]).matches(c)
    assert not PurchasedRule(product_ids=["5"], within_days=30).matches(c)
    assert PurchasedRule(category_ids=["9"], within_days=7).matches(c)
    assert OrderCountRule(minimum=2).matches(c) and not OrderCountRule(minimum=4).matches(c)
    assert TotalSpentRule(minimum=Decimal("100")).matches(c)
    assert AverageOrderValueRule(maximum=Decimal("50")).matches(c)
    assert DaysSinceLastOrderRule(minimum=120).matches(c)
    assert not DaysSinceLastOrderRule(maximum=30).matches(c)
    assert UsedDiscountCodeRule(minimum=2).matches(c)
    assert RFMScoreRule(minimum=8, maximum=10).matches(c)


def test_history_rules_never_match_an_unknown_visitor_except_never_ordered():
    c = ctx(profile=None)
    assert not PurchasedRule(product_ids=["5"]).matches(c)
    assert not DaysSinceLastOrderRule(minimum=1).matches(c)
    assert not UsedDiscountCodeRule().matches(c)
    assert OrderCountRule(maximum=0).matches(c)
