"""Every rule type on unsaved instances and plain contexts: no database needed."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from personalization.adapters import CartLine, CartSnapshot
from personalization.rules import (
    AverageOrderValueRule,
    CartAbandonedRule,
    CartContainsRule,
    CartValueRule,
    CategoryAffinityRule,
    CountryRule,
    CurrentCategoryRule,
    CustomerGroupRule,
    DateRangeRule,
    DaysSinceLastOrderRule,
    DeviceRule,
    InSegmentRule,
    LanguageRule,
    LoggedInRule,
    OrderCountRule,
    PathRule,
    PurchasedRule,
    QueryParameterRule,
    ReferrerClassRule,
    ReferrerPatternRule,
    RFMScoreRule,
    TemperatureRule,
    TimeOfDayRule,
    TotalSpentRule,
    UsedDiscountCodeRule,
    UTMRule,
    VisitCountRule,
    WaffleFlagRule,
    WeekdayRule,
    rule_types,
)
from personalization.testing import make_context

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 23, 18, 30, tzinfo=AMS)  # a Monday evening


def ctx(**facts):
    facts.setdefault("now", NOW)
    return make_context(**facts)


def customer(**fields):
    return {"order_count": 3, "total_spent": Decimal("120"), **fields}


def test_every_rule_type_from_the_design_exists():
    names = {cls.__name__ for cls in rule_types()}
    assert len(names) >= 29
    assert {"LoggedInRule", "CartAbandonedRule", "RFMScoreRule", "WaffleFlagRule",
            "TemperatureRule", "InSegmentRule", "CategoryAffinityRule"} <= names


@pytest.mark.parametrize("cls", rule_types(), ids=lambda c: c.__name__)
def test_every_rule_explains_itself_in_words(cls):
    assert cls.__doc__, "the docstring is the rule's contract"
    assert str(cls._meta.verbose_name)


def test_logged_in():
    assert LoggedInRule().matches(ctx(is_authenticated=True))
    assert not LoggedInRule().matches(ctx(is_authenticated=False))


def test_visit_count_new_and_returning():
    first = VisitCountRule(maximum=1)
    returning = VisitCountRule(minimum=2)
    assert first.matches(ctx(visit_count=1)) and not first.matches(ctx(visit_count=3))
    assert returning.matches(ctx(visit_count=3)) and not returning.matches(ctx(visit_count=1))
    assert first.describe() == "first visit"
    with pytest.raises(ValidationError):
        VisitCountRule(minimum=5, maximum=2).clean()


def test_device_country_language():
    assert DeviceRule(devices=["mobile", "tablet"]).matches(ctx(device="tablet"))
    assert not DeviceRule(devices=["mobile"]).matches(ctx(device="desktop"))
    assert CountryRule(countries=["NL", "BE"]).matches(ctx(country="BE"))
    assert not CountryRule(countries=["NL"]).matches(ctx(country=None))
    assert LanguageRule(languages=["pt"]).matches(ctx(language="pt-br"))
    assert not LanguageRule(languages=["nl"]).matches(ctx(language="en"))


def test_referrer_utm_query_path():
    assert ReferrerClassRule(classes=["search"]).matches(ctx(referrer_class="search"))
    assert ReferrerPatternRule(pattern=r"google\.").matches(
        ctx(referrer="https://www.google.nl/search?q=kattenbak"))
    assert UTMRule(parameter="source", values=["Newsletter"]).matches(
        ctx(utm_last={"source": "newsletter"}))
    assert not UTMRule(parameter="source", values=["newsletter"], touch="first").matches(
        ctx(utm_last={"source": "newsletter"}, utm_first={"source": "google"}))
    assert QueryParameterRule(name="promo").matches(ctx(query={"promo": ""}))
    assert not QueryParameterRule(name="promo", value="x").matches(ctx(query={"promo": "y"}))
    assert PathRule(pattern=r"^/category/cat").matches(ctx(path="/category/cat-litter/"))
    assert CurrentCategoryRule(category_ids=["3"]).matches(ctx(category_ids=(7, 3)))
    assert not CurrentCategoryRule(category_ids=["3"]).matches(ctx(category_ids=()))


def test_regex_is_validated_and_bounded():
    with pytest.raises(ValidationError, match="not a valid regular expression"):
        PathRule(pattern="(unclosed", segment_id=1).full_clean(exclude=["segment"])
    with pytest.raises(ValidationError, match="too long"):
        PathRule(pattern="a" * 300, segment_id=1).full_clean(exclude=["segment"])


def test_empty_any_of_list_is_rejected():
    with pytest.raises(ValidationError):
        CountryRule(countries=[]).full_clean(exclude=["segment"])
    with pytest.raises(ValidationError):
        CartContainsRule().clean()


def test_time_rules_use_the_store_clock():
    evening = TimeOfDayRule(start=time(17), end=time(21))
    night = TimeOfDayRule(start=time(22), end=time(2))
    assert evening.matches(ctx()) and not night.matches(ctx())
    assert night.matches(ctx(now=NOW.replace(hour=1)))
    assert WeekdayRule(weekdays=["0"]).matches(ctx())  # Monday
    assert not WeekdayRule(weekdays=["5", "6"]).matches(ctx())
    assert DateRangeRule(start_date=NOW.date(), end_date=NOW.date()).matches(ctx())
    with pytest.raises(ValidationError):
        DateRangeRule(start_date=NOW.date(), end_date=NOW.date() - timedelta(days=1)).clean()


def cart(*lines, updated_at=None):
    return CartSnapshot(lines=tuple(CartLine(product_id=p, category_ids=c, quantity=q,
                                             price=Decimal(price)) for p, c, q, price in lines),
                        updated_at=updated_at)


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


def test_customer_group_affinity_temperature_segment_flag():
    b2b = ctx(profile=customer(customer_group="farm", is_b2b=True))
    assert CustomerGroupRule(groups=["farm"]).matches(b2b)
    assert CustomerGroupRule(business="b2b").matches(b2b)
    assert not CustomerGroupRule(business="b2c").matches(b2b)
    assert CategoryAffinityRule(category_ids=["3"], min_share=50).matches(
        ctx(category_affinity={3: 0.6, 4: 0.4}))
    assert not CategoryAffinityRule(category_ids=["4"], min_share=50).matches(
        ctx(category_affinity={3: 0.6, 4: 0.4}))
    assert TemperatureRule(minimum=Decimal("25")).matches(ctx(temperature=28.0))
    assert not TemperatureRule(minimum=Decimal("25")).matches(ctx(temperature=None))
    assert InSegmentRule(other_id=4).matches(ctx(segments={4}))
    assert WaffleFlagRule(flag="beta").matches(ctx(flags={"beta"}))
    assert not WaffleFlagRule(flag="beta").matches(ctx(flags=set()))


def test_personal_data_rules_declare_their_consent():
    assert PurchasedRule.consent_purpose == "personalization"
    assert CategoryAffinityRule.consent_purpose == "personalization"
    assert CountryRule.consent_purpose is None
    assert CartValueRule.consent_purpose is None
