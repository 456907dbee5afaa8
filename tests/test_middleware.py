"""The middleware and template tags on real requests: cookies, headers, query budget."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.utils.html import escape

from personalization.engine import rulebook
from personalization.engine.cookies import STATE_SALT
from personalization.measurement.events import flush_events
from personalization.models import Event, VisitorAlias, VisitorProfile
from personalization.privacy.consent import record_choices
from personalization.rules import (
    CartValueRule,
    CountryRule,
    DeviceRule,
    LoggedInRule,
    OrderCountRule,
    PathRule,
    PurchasedRule,
)
from personalization.testing import give_consent, make_context
from tests.factories import CampaignFactory, SegmentFactory, SlotFactory, TextVariantFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]
PAGE = "/_pz/slots/"


@pytest.fixture
def client(client):
    """A visitor who accepted every purpose (tests/test_consent.py covers the others)."""
    return give_consent(client)


def fifty_campaigns():
    """5 slots, 50 live campaigns over contextual and order-history segments."""
    segments = [
        SegmentFactory(slug="nl", rules=[CountryRule(countries=["NL"])]),
        SegmentFactory(slug="mobile", rules=[DeviceRule(devices=["mobile"])]),
        SegmentFactory(slug="big-cart", rules=[CartValueRule(minimum=Decimal("100"))]),
        SegmentFactory(slug="category-pages", rules=[PathRule(pattern=r"^/category/")]),
        SegmentFactory(slug="repeat", rules=[LoggedInRule(), OrderCountRule(minimum=2)]),
        SegmentFactory(slug="cat-buyers", rules=[PurchasedRule(category_ids=["1"])]),
    ]
    for key, kind in (("hero", "banner"), ("side", "banner"), ("footer", "banner"),
                      ("popup", "popup")):
        s = SlotFactory(key=key, kind=kind)
        for i in range(12 if kind == "banner" else 14):
            CampaignFactory(slot=s, name=f"{key} {i}", segments=(segments[i % len(segments)],),
                            priority=i, variants=(f"{key} {i}",))
    greeting = SlotFactory(key="greeting", kind="text")
    for i, seg in enumerate(segments[:0] or [segments[4]]):
        c = CampaignFactory(slot=greeting, name="Greeting", segments=(seg,), variants=(),
                            priority=i)
        TextVariantFactory(campaign=c, text="Hallo {{ first_name }}")
    rulebook.invalidate()


def test_fifty_campaigns_are_live():
    fifty_campaigns()
    assert rulebook.get_rulebook().campaign_count == 51


def test_warm_anonymous_page_makes_no_query(client, django_assert_num_queries):
    fifty_campaigns()
    client.get(PAGE, HTTP_CF_IPCOUNTRY="NL")  # cold: builds the RuleBook, sets the cookie
    with django_assert_num_queries(0):
        response = client.get(PAGE, HTTP_CF_IPCOUNTRY="NL")
    html = response.content.decode()
    assert html.count("data-pz-slot=") == 5
    assert 'data-pz-campaign=' in html


def test_warm_logged_in_page_makes_at_most_one_query(client, django_assert_max_num_queries):
    fifty_campaigns()
    user = get_user_model().objects.create_user("anna", password="x", first_name="Anna")
    client.force_login(user)
    give_consent(client, user=user)
    client.get(PAGE)
    with django_assert_max_num_queries(1):
        response = client.get(PAGE)
    assert "Hallo Anna" not in response.content.decode()  # one order is not "repeat"
    assert response.status_code == 200


def test_personalized_response_is_private_and_varies_on_cookie(client):
    fifty_campaigns()
    response = client.get(PAGE)
    assert "Cookie" in response["Vary"]
    assert "private" in response["Cache-Control"]
    plain = client.get("/_pz/plain/")
    assert "private" not in plain.get("Cache-Control", "")


def test_visitor_cookie_is_signed_httponly_and_lax(client):
    response = client.get("/_pz/plain/")
    cookie = response.cookies["pz_vid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    state = signing.loads(cookie.value, salt=STATE_SALT)
    assert state["n"] == 1


def test_forged_visitor_cookie_is_replaced(client):
    forged = signing.dumps({"v": "11111111-1111-1111-1111-111111111111", "n": 1},
                           salt="another salt")
    client.cookies["pz_vid"] = forged
    response = client.get("/_pz/plain/")
    state = signing.loads(response.cookies["pz_vid"].value, salt=STATE_SALT)
    assert state["v"] != "11111111-1111-1111-1111-111111111111"


def test_variant_and_default_markup(client):
    s = SlotFactory(key="hero")
    nl = SegmentFactory(slug="nl", rules=[CountryRule(countries=["NL"])])
    c = CampaignFactory(slot=s, name="Dutch hero", segments=(nl,), variants=("Welkom!",))
    rulebook.invalidate()
    html = client.get(PAGE, HTTP_CF_IPCOUNTRY="NL").content.decode()
    variant = c.variants.get()
    assert f'data-pz-campaign="{c.pk}" data-pz-variant="{variant.pk}"' in html
    assert "Welkom!" in html and "Default hero" not in html
    other = give_consent(client.__class__()).get(PAGE, HTTP_CF_IPCOUNTRY="DE").content.decode()
    assert "Default hero" in other and "Welkom!" not in other
    assert 'data-pz-slot="hero"' in other


def test_holdout_renders_default_with_control_attribute(client):
    c = CampaignFactory(slot=SlotFactory(key="hero"), name="All held out", holdout_percent=100)
    rulebook.invalidate()
    html = client.get(PAGE).content.decode()
    assert f'data-pz-campaign="{c.pk}" data-pz-control="1"' in html
    assert "Default hero" in html


def test_greeting_inserts_escaped_first_name(client):
    user = get_user_model().objects.create_user("x", password="x",
                                                first_name="<script>alert(1)</script>")
    c = CampaignFactory(slot=SlotFactory(key="greeting", kind="text"), name="Hello", variants=())
    TextVariantFactory(campaign=c, text="Hallo {{ first_name }}")
    rulebook.invalidate()
    anonymous = client.get(PAGE).content.decode()
    assert "Welcome!" in anonymous
    client.force_login(user)
    give_consent(client, user=user)
    html = client.get(PAGE).content.decode()
    assert "Hallo &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def test_each_customer_sees_his_own_name_in_the_same_greeting(client):
    # The variant's markup is rendered once; the inserted name is each visitor's own.
    c = CampaignFactory(slot=SlotFactory(key="greeting", kind="text"), name="Hello", variants=())
    TextVariantFactory(campaign=c, text="<b>Hallo</b> {{ first_name }}!")
    rulebook.invalidate()
    for name in ("Anna", "Jan & Co", "Anna"):
        user = get_user_model().objects.get_or_create(username=name, first_name=name)[0]
        client.force_login(user)
        give_consent(client, user=user)
        html = client.get("/").content.decode()  # the demo's header: {% personalize %}
        shown = html.split('class="pz-text"', 1)[1].split("</span>", 1)[0]
        assert shown.endswith(f"><b>Hallo</b> {escape(name)}!")
        assert shown.count("data-pz-campaign") == 1


def test_a_text_template_that_transforms_the_text_is_rendered_per_visitor(client, settings):
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "APP_DIRS": False, "OPTIONS": {
        **settings.TEMPLATES[0]["OPTIONS"], "loaders": [
            ("django.template.loaders.locmem.Loader", {
                "personalization/variants/text.html":
                    '<em class="shout" {{ attrs }}>{{ text|upper }}</em>'}),
            "django.template.loaders.filesystem.Loader",
            "django.template.loaders.app_directories.Loader"]}}]
    c = CampaignFactory(slot=SlotFactory(key="greeting", kind="text"), name="Hello",
                        variants=())
    TextVariantFactory(campaign=c, text="Hallo {{ first_name }}")
    rulebook.invalidate()
    user = get_user_model().objects.create_user("eva", first_name="Eva")
    client.force_login(user)
    give_consent(client, user=user)
    html = client.get("/").content.decode()
    assert f'<em class="shout" data-pz-slot="greeting" data-pz-campaign="{c.pk}"' in html
    assert ">HALLO EVA</em>" in html


def test_impressions_are_buffered_not_inserted_then_flushed(client, django_assert_num_queries):
    c = CampaignFactory(slot=SlotFactory(key="hero"), name="Everybody", holdout_percent=0)
    rulebook.invalidate()
    client.get(PAGE)
    with django_assert_num_queries(0):
        client.get(PAGE)
    assert Event.objects.count() == 0
    assert flush_events() == 3  # two impressions, and the visit to a personalized page
    assert Event.objects.filter(campaign=c, type="impression").count() == 2


def test_login_merges_anonymous_visitor_and_keeps_bucket(client):
    user = get_user_model().objects.create_user("jan", password="pw")
    response = client.get("/_pz/plain/")
    vid = signing.loads(response.cookies["pz_vid"].value, salt=STATE_SALT)["v"]
    client.post("/login/", {"username": "jan", "password": "pw"})
    profile = VisitorProfile.objects.get(user=user)
    assert str(profile.visitor_id) == vid  # first device: its id becomes canonical
    other = give_consent(client.__class__())
    other.get("/_pz/plain/")
    response = other.post("/login/", {"username": "jan", "password": "pw"})
    assert VisitorAlias.objects.filter(profile=profile).count() == 1
    after = signing.loads(response.cookies["pz_vid"].value, salt=STATE_SALT)["v"]
    assert after == vid  # the second device now buckets like the first


def test_logging_out_starts_a_new_visitor_in_the_browser(client):
    """A shared computer: after the customer logs out, the next person is a new visitor,
    not in his bucket and without his category views; logging in again brings him back."""
    from tests.factories import CategoryFactory

    cats = CategoryFactory(slug="cats")
    jan = get_user_model().objects.create_user("jan", password="pw")
    give_consent(client)
    client.post("/login/", {"username": "jan", "password": "pw"})
    viewed = client.get(f"/c/{cats.slug}/")
    assert signing.loads(viewed.cookies["pz_vid"].value, salt=STATE_SALT)["c"]  # counted
    canonical = str(VisitorProfile.objects.get(user=jan).visitor_id)
    response = client.post("/logout/")
    state = signing.loads(response.cookies["pz_vid"].value, salt=STATE_SALT)
    assert state["v"] != canonical and not state.get("c")
    response = client.post("/login/", {"username": "jan", "password": "pw"})
    assert signing.loads(response.cookies["pz_vid"].value, salt=STATE_SALT)["v"] == canonical


def test_second_customer_on_a_shared_browser_gets_his_own_profile(client):
    User = get_user_model()
    anna = User.objects.create_user("anna", password="pw")
    jan = User.objects.create_user("jan", password="pw")
    record_choices(choices={"personalization": True}, source="signup", user=jan)
    client.post("/login/", {"username": "anna", "password": "pw"})
    client.post("/logout/")
    response = client.post("/login/", {"username": "jan", "password": "pw"})
    anna_profile = VisitorProfile.objects.get(user=anna)
    jan_profile = VisitorProfile.objects.get(user=jan)
    assert anna_profile.visitor_id != jan_profile.visitor_id
    assert not VisitorAlias.objects.filter(alias=anna_profile.visitor_id).exists()
    cookie = signing.loads(response.cookies["pz_vid"].value, salt=STATE_SALT)["v"]
    assert cookie == str(jan_profile.visitor_id)


def test_text_slot_without_the_field_shows_its_default(client):
    c = CampaignFactory(slot=SlotFactory(key="side", kind="text"), name="Named", variants=())
    TextVariantFactory(campaign=c, text="Hallo {{ first_name }}")
    rulebook.invalidate()
    html = client.get(PAGE).content.decode()
    assert "Default side" in html and "None" not in html


def test_prerendered_popup_words_follow_the_visitor_language(client, settings):
    from django.utils import translation

    from personalization.engine.decide import Decision
    from personalization.models import PopupVariant
    from personalization.touchpoints.rendering import _static_markup

    c = CampaignFactory(slot=SlotFactory(key="popup", kind="popup"), name="Hello popup")
    variant = PopupVariant.objects.get(campaign=c)
    shown = Decision(slot="popup", variant=variant, slot_kind="popup")
    ctx = make_context()
    settings.DEBUG = False
    with translation.override("en"):
        english = _static_markup(shown, ctx)
        assert _static_markup(shown, ctx) is english  # rendered once
    with translation.override("nl"):
        dutch = _static_markup(shown, ctx)
    assert english != dutch
    assert vars(variant).keys() == vars(PopupVariant.objects.get(pk=variant.pk)).keys()
