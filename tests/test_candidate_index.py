"""The candidate index changes no decision: for generated RuleBooks (campaigns, segments and
rules saved and compiled for real) and generated visitors, each slot of a page shows the
same campaign, variant and control whether the decision walks the index's candidates or
every campaign (as ``explain`` does)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from personalization.engine import rulebook
from personalization.engine.candidates import path_prefix
from personalization.engine.decide import choose
from personalization.models import Segment
from personalization.rules import (
    AverageOrderValueRule,
    CartValueRule,
    CountryRule,
    CurrentCategoryRule,
    DaysSinceLastOrderRule,
    DeviceRule,
    InSegmentRule,
    LanguageRule,
    LoggedInRule,
    OrderCountRule,
    PathRule,
    PurchasedRule,
    TotalSpentRule,
    UsedDiscountCodeRule,
    VisitCountRule,
)
from personalization.testing import make_context
from tests.factories import CampaignFactory, SegmentFactory, SlotFactory

COUNTRIES = ["NL", "BE", "DE", "nl"]
DEVICES = ["mobile", "tablet", "desktop"]
LANGUAGES = ["en", "en-us", "nl", "nl-BE", "zh-hant", ""]
CATEGORIES = [1, 2, 3]
# Anchored prefixes, optional characters, alternations, groups, escapes, no anchor, and a
# pattern that does not compile (the rule fails: no match).
PATTERNS = ["^/c/cat", "^/c/ca?t", "^/c/cat|^/p", "/c/", "^/p/x", "^/c/cat-", "^/c/cat{2}",
            "^/c\\.x", "^(/c)", "^", "^/c/(", "^/C/cat", "^/c/c.t", "^/c/cat+"]
PATHS = ["/", "/c/cat", "/c/cat-litter/", "/c/ct", "/c/catt", "/p/x", "", "/c.x", "/c/cot",
         "/C/cat"]

# A rule: (type, parameters); "in segment" names an earlier segment by its position.
RULES = st.one_of(
    st.tuples(st.just("country"), st.lists(st.sampled_from(COUNTRIES), max_size=2)),
    st.tuples(st.just("device"), st.lists(st.sampled_from(DEVICES), min_size=1, max_size=2)),
    st.tuples(st.just("language"), st.lists(st.sampled_from(LANGUAGES[:-1]), min_size=1,
                                            max_size=2)),
    st.tuples(st.just("logged_in"), st.none()),
    st.tuples(st.just("category"), st.lists(st.sampled_from(CATEGORIES), min_size=1,
                                            max_size=2)),
    st.tuples(st.just("path"), st.sampled_from(PATTERNS)),
    st.tuples(st.just("visits"), st.integers(1, 3)),
    st.tuples(st.just("in_segment"), st.integers(0, 5)),
)
# The order-history and cart rules (keyed by "customer" and "cart"): a minimum of 0, or a
# maximum only, matches visitors without a profile or with an empty cart.
HISTORY_RULES = st.one_of(
    st.tuples(st.just("cart"), st.sampled_from([25, 10, 40, 0])),
    st.tuples(st.just("cart_at_most"), st.integers(0, 60)),
    st.tuples(st.just("orders"), st.tuples(st.integers(0, 2), st.none() | st.integers(0, 3))),
    st.tuples(st.just("spent"), st.tuples(st.integers(0, 50), st.none() | st.integers(0, 90))),
    st.tuples(st.just("days"), st.integers(0, 60)),
    st.tuples(st.just("average"), st.integers(0, 40)),
    st.tuples(st.just("purchased"), st.sampled_from(CATEGORIES)),
    st.tuples(st.just("codes"), st.integers(0, 2)),
    st.tuples(st.just("country"), st.lists(st.sampled_from(COUNTRIES), max_size=2)),
)


def segments_of(rules: st.SearchStrategy, min_rules: int = 0) -> st.SearchStrategy:
    return st.lists(st.fixed_dictionaries({
        "match": st.sampled_from(["all", "any"]),
        "kind": st.sampled_from(["live"] * 5 + ["computed"]),
        "enabled": st.sampled_from([True] * 6 + [False]),
        "rules": st.lists(st.tuples(rules, st.booleans()), min_size=min_rules, max_size=3),
    }), min_size=1, max_size=6)


SEGMENTS = segments_of(st.one_of(RULES, HISTORY_RULES))
CAMPAIGNS = st.lists(st.fixed_dictionaries({
    "slot": st.sampled_from(["hero", "popup"]),
    "priority": st.integers(0, 3),
    "segments": st.lists(st.integers(0, 5), max_size=3, unique=True),
    "holdout": st.sampled_from([0, 0, 50]),
    "variants": st.integers(0, 2),
    "status": st.sampled_from(["live"] * 6 + ["paused"]),
    "flag": st.sampled_from([""] * 4 + ["beta"]),
}), min_size=1, max_size=10)
VISITORS = st.lists(st.fixed_dictionaries({
    "country": st.sampled_from([None, *COUNTRIES, "FR"]),
    "device": st.sampled_from(DEVICES),
    "language": st.sampled_from(LANGUAGES + ["EN-US", "zh-hant-tw", "en-gb"]),
    "is_authenticated": st.booleans(),
    "path": st.sampled_from(PATHS),
    "category_ids": st.lists(st.sampled_from([*CATEGORIES, 4]), max_size=2).map(tuple),
    "visit_count": st.integers(1, 4),
    "cart_total": st.integers(0, 80),
    # A customer's history (a profile needs a logged-in visitor): orders, spend, categories.
    "history": st.none() | st.fixed_dictionaries({
        "order_count": st.integers(0, 3), "total_spent": st.integers(0, 90),
        "days_ago": st.integers(0, 90), "bought": st.sampled_from(CATEGORIES),
        "discount_order_count": st.integers(0, 2)}),
    "member_of": st.lists(st.integers(0, 5), max_size=2),
    "visitor": st.integers(1, 6),
    "flags": st.sampled_from([set(), {"beta"}]),
}), min_size=1, max_size=12)


def make_rule(kind: str, value, negate: bool, segments: list[Segment]):
    if kind == "in_segment":
        if not segments:  # only earlier segments: no cycle
            return None
        return InSegmentRule(other=segments[value % len(segments)], negate=negate)
    rule = {
        "country": lambda: CountryRule(countries=value),
        "device": lambda: DeviceRule(devices=value),
        "language": lambda: LanguageRule(languages=value),
        "logged_in": lambda: LoggedInRule(),
        "category": lambda: CurrentCategoryRule(category_ids=[str(v) for v in value]),
        "path": lambda: PathRule(pattern=value),
        "visits": lambda: VisitCountRule(minimum=value),
        "cart": lambda: CartValueRule(minimum=Decimal(value)),
        "cart_at_most": lambda: CartValueRule(maximum=Decimal(value)),
        "orders": lambda: OrderCountRule(minimum=value[0], maximum=value[1]),
        "spent": lambda: TotalSpentRule(minimum=Decimal(value[0]),
                                        maximum=None if value[1] is None else Decimal(value[1])),
        "days": lambda: DaysSinceLastOrderRule(minimum=value),
        "average": lambda: AverageOrderValueRule(minimum=Decimal(value)),
        "purchased": lambda: PurchasedRule(category_ids=[str(value)]),
        "codes": lambda: UsedDiscountCodeRule(minimum=value),
    }[kind]()
    rule.negate = negate
    return rule


def save_book(segment_specs: list[dict], campaign_specs: list[dict]) -> list[Segment]:
    segments: list[Segment] = []
    for n, spec in enumerate(segment_specs):
        segment = SegmentFactory(name=f"S{n}", slug=f"s{n}", match=spec["match"],
                                 kind=spec["kind"], enabled=spec["enabled"])
        for position, ((kind, value), negate) in enumerate(spec["rules"]):
            rule = make_rule(kind, value, negate, segments)
            if rule is not None:
                rule.segment, rule.position = segment, position
                rule.save()
        segments.append(segment)
    slots = {"hero": SlotFactory(key="hero", kind="banner"),
             "popup": SlotFactory(key="popup", kind="popup")}
    for n, spec in enumerate(campaign_specs):
        CampaignFactory(slot=slots[spec["slot"]], name=f"C{n}", priority=spec["priority"],
                        status=spec["status"], holdout_percent=spec["holdout"],
                        waffle_flag=spec["flag"],
                        segments=[segments[i % len(segments)] for i in spec["segments"]],
                        variants=tuple(f"V{n}.{v}" for v in range(spec["variants"])))
    return segments


def context(book: rulebook.RuleBook, segments: list[Segment], facts: dict):
    facts = dict(facts)
    member_of = facts.pop("member_of")
    n = facts.pop("visitor")
    history = facts.pop("history")
    profile = ({"segment_ids": frozenset(segments[i % len(segments)].pk for i in member_of)}
               if facts["is_authenticated"] else None)
    if profile is not None and history is not None:
        now = timezone.now()
        orders = history["order_count"]
        profile.update(
            order_count=orders, total_spent=Decimal(history["total_spent"]),
            avg_order_value=Decimal(history["total_spent"]) / orders if orders else None,
            last_order_at=now - timedelta(days=history["days_ago"]) if orders else None,
            categories={history["bought"]: now - timedelta(days=history["days_ago"])},
            discount_order_count=history["discount_order_count"])
    return make_context(rulebook=book, profile=profile,
                        visitor_id=f"00000000-0000-0000-0000-{n:012d}", **facts)


def outcome(decision) -> tuple:
    return decision.campaign_id, decision.variant_id, decision.control


@pytest.mark.django_db
@pytest.mark.parametrize("segment_strategy", [
    SEGMENTS, segments_of(HISTORY_RULES, min_rules=1)], ids=["every-rule", "history-and-cart"])
def test_the_indexed_walk_decides_as_the_plain_walk(segment_strategy):
    @settings(max_examples=100, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(segment_strategy, CAMPAIGNS, VISITORS)
    def same_decisions(segment_specs, campaign_specs, visitors):
        with transaction.atomic():
            segments = save_book(segment_specs, campaign_specs)
            book = rulebook.build("generated")
            for facts in visitors:
                plain = context(book, segments, facts)
                indexed = context(book, segments, facts)
                for key in ("popup", "hero"):  # a page: at most one popup
                    expected = choose(key, plain, explain=True)
                    assert outcome(choose(key, indexed)) == outcome(expected), (
                        key, facts, expected.reasons)
            transaction.set_rollback(True)

    same_decisions()


@pytest.mark.django_db
def test_the_index_leaves_out_campaigns_whose_audience_cannot_match():
    """Not a property: the index does key campaigns (else the test above proves little)."""
    hero = SlotFactory(key="hero", kind="banner")
    dutch = SegmentFactory(name="Dutch", slug="dutch", rules=[CountryRule(countries=["NL"])])
    cats = SegmentFactory(name="Cats", slug="cats", match="any",
                          rules=[PathRule(pattern="^/c/cat"), PathRule(pattern="^/p/cat-")])
    CampaignFactory(slot=hero, name="Dutch", segments=[dutch])
    CampaignFactory(slot=hero, name="Cats", segments=[cats])
    CampaignFactory(slot=hero, name="All")
    book = rulebook.build("keyed")
    candidates = book.slots["hero"].index.candidates

    def names(**facts):
        return sorted(c.name for c in candidates(make_context(rulebook=book, **facts)))

    assert names(country="DE", path="/") == ["All"]
    assert names(country="NL", path="/p/cat-food") == ["All", "Cats", "Dutch"]
    assert names(country="nl", path="/c/dog") == ["All", "Dutch"]


@pytest.mark.django_db
def test_the_index_leaves_out_history_and_cart_campaigns_a_visitor_cannot_be_in():
    """A campaign for customers with orders, or for carts above an amount, is passed over
    for a visitor without a profile or with an empty cart; "at most" and "0 orders" are
    not keyed (they match such visitors)."""
    hero = SlotFactory(key="hero", kind="banner")
    rules = {"Buyers": OrderCountRule(minimum=1), "Never ordered": OrderCountRule(maximum=0),
             "Big carts": CartValueRule(minimum=Decimal("40")),
             "Small carts": CartValueRule(maximum=Decimal("20")),
             "Bought cats": PurchasedRule(category_ids=["1"])}
    for name, rule in rules.items():
        segment = SegmentFactory(name=name, slug=name.lower().replace(" ", "-"), rules=[rule])
        CampaignFactory(slot=hero, name=name, segments=[segment])
    book = rulebook.build("keyed")
    candidates = book.slots["hero"].index.candidates

    def names(**facts):
        return sorted(c.name for c in candidates(make_context(rulebook=book, **facts)))

    assert names() == ["Never ordered", "Small carts"]
    assert names(cart_total=10) == ["Big carts", "Never ordered", "Small carts"]
    assert names(profile={"order_count": 0}) == [
        "Bought cats", "Buyers", "Never ordered", "Small carts"]


@pytest.mark.parametrize(("pattern", "prefix"), [
    ("^/c/cat-", "/c/cat-"), ("^/c/ca?t", "/c/c"), ("^/c/cat{2}", "/c/ca"), ("^/c\\.x", "/c"),
    ("^/c|^/p", ""), ("/c/", ""), ("^(/c)", ""), ("^", ""), ("^/c/c.t", "/c/c"),
])
def test_a_path_pattern_keys_by_the_literal_text_it_anchors(pattern, prefix):
    assert path_prefix(pattern) == prefix
