"""Request rules: login, visits, device, country, referrer, UTM, query, path."""


import pytest
from django.core.exceptions import ValidationError

from personalization.rules import (
    CountryRule,
    CurrentCategoryRule,
    DeviceRule,
    LanguageRule,
    LoggedInRule,
    PathRule,
    QueryParameterRule,
    ReferrerClassRule,
    ReferrerPatternRule,
    UTMRule,
    VisitCountRule,
)
from tests.rules.helpers import ctx


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
