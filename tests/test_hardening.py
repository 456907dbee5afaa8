"""Attacks that must fail: script in merchant content, unbounded rule input, forged cookies."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.template import engines
from django.test import RequestFactory

from personalization.engine import rulebook
from personalization.engine.context import VisitorContext
from personalization.models import (
    BannerVariant,
    DiscountVariant,
    PopupVariant,
    ProductListVariant,
    TextVariant,
)
from personalization.rules import (
    CartAbandonedRule,
    CountryRule,
    PathRule,
    ReferrerPatternRule,
    VisitCountRule,
)
from personalization.testing import consent_cookie
from tests.factories import CampaignFactory, SlotFactory, factory_for

pytestmark = pytest.mark.django_db
PAYLOADS = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>',
            "<a href=\"javascript:alert(1)\">x</a>", "{{ first_name }}<svg onload=alert(1)>"]
KINDS = [(BannerVariant, "banner"), (PopupVariant, "popup"), (DiscountVariant, "discount"),
         (ProductListVariant, "product_list"), (TextVariant, "text")]
PAGE = """{% load personalization %}
{% personalize "s_banner" %}d{% endpersonalize %}{% personalize_popup "s_popup" %}
{% personalize "s_discount" %}d{% endpersonalize %}{% discount_code "s_discount" as code %}
<input value="{{ code }}">{% personalize "s_product_list" %}d{% endpersonalize %}
{% personalize "s_text" %}d{% endpersonalize %}{% greeting "s_text" %}"""


def text_fields(cls):
    own = {f.name for f in cls._meta.get_fields()} - {"name"}
    return [f.name for f in cls._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField)) and f.name in own
            and not f.choices and f.name not in ("product_ids",)]


def render_page(payload):
    rulebook.reset_local()
    for cls, kind in KINDS:
        slot = SlotFactory(key=f"s_{kind}", name=kind, kind=kind)
        campaign = CampaignFactory(name=payload[:100], slot=slot, status="live", variants=())
        values = {name: payload for name in text_fields(cls)}
        values.update(name=payload[:100])
        if cls is ProductListVariant:
            values.update(strategy="manual", product_ids=[])
        if cls is TextVariant:
            values.update(text=f"Hallo {{{{ first_name }}}} {payload}", fallback=payload)
        factory_for(cls)(campaign=campaign, **values)
    user = get_user_model().objects.create_user("u" + str(abs(hash(payload)))[:8],
                                                first_name=payload[:30])
    request = RequestFactory().get("/")
    request.user = user
    request.COOKIES["pz_consent"] = consent_cookie()
    request.session = {}
    request.visitor = VisitorContext(request)
    return engines["django"].from_string(PAGE).render({}, request)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_script_from_any_text_field_of_any_variant_reaches_the_page(payload):
    html = render_page(payload)
    assert 'data-pz-campaign' in html  # the variants did render
    lowered = html.lower()
    assert "<script>alert" not in lowered
    assert "<img src=x onerror" not in lowered and "<svg onload" not in lowered
    assert 'href="javascript:' not in lowered


def test_links_must_be_web_addresses():
    for cls in (BannerVariant, PopupVariant):
        variant = cls(link="javascript:alert(1)", cta_label="Go")
        with pytest.raises(ValidationError, match="web addresses"):
            variant.clean()


@pytest.mark.parametrize(("rule", "message"), [
    (PathRule(pattern="(" * 5), "not a valid regular expression"),
    (PathRule(pattern="a" * 1000), "too long"),
    (ReferrerPatternRule(pattern="[unclosed"), "not a valid regular expression"),
    (CountryRule(countries=["Netherlands"]), "two-letter country code"),
    (VisitCountRule(minimum=10, maximum=2), "must not be below the minimum"),
    (CartAbandonedRule(hours=10**6), "less than or equal to"),
])
def test_rule_input_is_bounded_and_checked(rule, message):
    with pytest.raises(ValidationError, match=message):
        rule.full_clean(exclude=["segment", "polymorphic_ctype"])


def test_rule_lists_are_bounded_in_the_form():
    field = CountryRule._meta.get_field("countries").formfield()
    with pytest.raises(ValidationError, match="At most 200 values"):
        field.clean(", ".join(f"A{chr(65 + i % 26)}" for i in range(300)))
