"""Request rules: login, visits, device, country, referrer, UTM, query, path."""


import pytest
from django.core.exceptions import ValidationError

from personalization.engine.request_facts import device_class
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


AGENTS = {
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "mobile",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36": "mobile",
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1": "tablet",
    "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36": "tablet",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36": "desktop",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15": "desktop",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)": "bot",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/131.0.0.0 Safari/537.36": "bot",
    "": "desktop",
}


@pytest.mark.parametrize("agent", AGENTS, ids=lambda agent: AGENTS[agent] + ":" + agent[13:30])
def test_the_device_class_of_real_browsers(agent):
    assert device_class(agent) == AGENTS[agent]
    # A browser that says it is a phone (Sec-CH-UA-Mobile) is one, whatever its agent says.
    assert device_class(agent, "?1") == "mobile"


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


def test_device_and_referrer_reasons_read_in_the_merchants_language():
    from django.utils.translation import override

    devices, came = DeviceRule(devices=["mobile", "tablet"]), ReferrerClassRule(
        classes=["search", "social", "email"])
    assert devices.describe() == "device is mobile or tablet"
    assert came.describe() == "came from a search engine, a social network or an e-mail"
    with override("nl"):
        assert devices.describe() == "apparaat is mobiel of tablet"
        assert came.describe() == ("afkomstig van een zoekmachine, een sociaal netwerk of "
                                   "een e-mail")
