"""Staff preview: a signed, expiring link shows a page as a segment or a customer sees it."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.urls import reverse

from personalization.measurement.events import flush_events
from personalization.models import Event
from personalization.privacy.consent import record_choices
from personalization.rules import LoggedInRule, OrderCountRule, PathRule, QueryParameterRule
from personalization.touchpoints import preview
from tests.factories import (
    CampaignFactory,
    DiscountVariantFactory,
    SegmentFactory,
    SlotFactory,
    TextVariantFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]
PAGE = "/_pz/slots/"


@pytest.fixture
def cat_campaign():
    """A hero banner for the "cat lovers", a segment nobody matches on the test page."""
    cat_lovers = SegmentFactory(slug="cat-lovers", rules=[PathRule(pattern=r"^/cats/")])
    return CampaignFactory(slot=SlotFactory(key="hero"), name="Cat week", segments=(cat_lovers,),
                           variants=("Cats on sale",), priority=3)


def grant(user, *codenames):
    from django.contrib.auth.models import Permission

    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="personalization", codename__in=codenames))
    return type(user).objects.get(pk=user.pk)  # permissions are cached on the object


@pytest.fixture
def staff(client):
    """A marketer allowed to view segments and to preview the shop as a customer."""
    user = grant(UserFactory(username="editor", is_staff=True), "view_segment",
                 "preview_as_customer")
    client.force_login(user)
    return user


def link(target: preview.Target, path: str = PAGE) -> str:
    return preview.preview_url(path, target)


def test_staff_sees_the_segments_variant_and_the_reasons(client, staff, cat_campaign):
    response = client.get(link(preview.Target(segment="cat-lovers")))

    html = response.content.decode()
    assert "Cats on sale" in html
    assert "Default hero" not in html
    assert 'id="pz-preview"' in html
    assert "Preview as segment &#x27;Cat Lovers&#x27;" in html
    variant = cat_campaign.variants.get()
    assert (f"campaign &#x27;Cat week&#x27; (#{cat_campaign.pk}), variant &#x27;Cats on "
            f"sale&#x27; (#{variant.pk})") in html
    assert "visitor is in segment &#x27;Cat Lovers&#x27; (simulated membership)" in html
    # Every slot of the page is listed, with why it shows its default.
    assert "<strong>side</strong>: <span class=\"pz-preview-outcome\">default content" in html
    assert html.index('id="pz-preview"') < html.index("</body>")


def test_a_segments_preview_is_never_in_the_global_holdout(client, staff, cat_campaign,
                                                           settings):
    """The preview stands for the segment's members, not for one visitor of the holdout's
    share: at 5 % one segment in twenty (by its slug) showed only the holdout's default."""
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "GLOBAL_HOLDOUT_PERCENT": 100}

    html = client.get(link(preview.Target(segment="cat-lovers"))).content.decode()

    assert "Cats on sale" in html
    assert "global holdout" not in html


def test_whoever_asks_a_segments_preview_hears_it_is_not_in_the_global_holdout(settings):
    """Not only the decisions: the shop's own question (the demo's "this browser is in the
    global holdout" note) gets the same answer for a segment's simulated visitor."""
    from personalization.engine.decide import in_global_holdout
    from personalization.testing import make_context

    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "GLOBAL_HOLDOUT_PERCENT": 100}
    visitor = "00000000-0000-0000-0000-000000000007"

    assert in_global_holdout(make_context(visitor_id=visitor))
    assert not in_global_holdout(make_context(visitor_id=visitor, segments={"cat-lovers"}))


def test_the_staff_members_own_consent_banner_is_not_in_the_preview(client, staff,
                                                                     cat_campaign):
    """The previewed visitor has chosen; the banner would keep his popups from opening."""
    from django.urls import reverse

    assert 'class="pz-consent"' in client.get(reverse("home")).content.decode()
    html = client.get(link(preview.Target(segment="cat-lovers"), "/")).content.decode()
    assert 'id="pz-preview"' in html
    assert 'class="pz-consent"' not in html


def test_the_normal_page_for_the_same_staff_member_without_the_link(client, staff,
                                                                     cat_campaign):
    html = client.get(PAGE).content.decode()

    assert "Default hero" in html
    assert "pz-preview" not in html


def test_preview_records_nothing_sets_no_cookie_and_is_never_cached(client, staff,
                                                                    cat_campaign):
    response = client.get(link(preview.Target(segment="cat-lovers")))

    assert "Cats on sale" in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"
    assert "Cookie" in response["Vary"]
    assert "pz_vid" not in response.cookies
    assert "pz_caps" not in response.cookies
    flush_events()
    assert Event.objects.count() == 0


def test_a_customer_with_the_link_gets_the_normal_page(client, cat_campaign):
    client.force_login(UserFactory(username="mia"))

    response = client.get(link(preview.Target(segment="cat-lovers")))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Default hero" in html
    assert "Cats on sale" not in html
    assert "pz-preview" not in html
    assert response["Cache-Control"] != "private, no-store"


def test_an_anonymous_visitor_with_the_link_gets_the_normal_page(client, cat_campaign):
    response = client.get(link(preview.Target(segment="cat-lovers")))

    assert response.status_code == 200
    assert "Default hero" in response.content.decode()
    assert "pz-preview" not in response.content.decode()


class OldSigner(signing.TimestampSigner):
    """Signs as if it were two hours ago: the link has expired by now."""

    def timestamp(self) -> str:
        return signing.b62_encode(int(time.time()) - 2 * 60 * 60)


def test_an_expired_link_gives_the_normal_page(client, staff, cat_campaign):
    token = OldSigner(salt=preview.SALT).sign_object(
        preview.Target(segment="cat-lovers").payload(), compress=True)

    response = client.get(PAGE, {preview.QUERY_PARAM: token})

    assert response.status_code == 200
    assert "Default hero" in response.content.decode()
    assert "pz-preview" not in response.content.decode()


def test_a_link_is_valid_for_preview_max_age(client, staff, cat_campaign, settings):
    token = OldSigner(salt=preview.SALT).sign_object(
        preview.Target(segment="cat-lovers").payload(), compress=True)
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "PREVIEW_MAX_AGE": 3 * 60 * 60}

    response = client.get(PAGE, {preview.QUERY_PARAM: token})

    assert "Cats on sale" in response.content.decode()


def test_a_tampered_link_gives_the_normal_page(client, staff, cat_campaign):
    SegmentFactory(slug="vip", rules=[LoggedInRule()])
    token = preview.sign(preview.Target(segment="cat-lovers"))
    rest = token.split(":", 1)[1]
    forged = signing.b64_encode(b'{"s":"vip"}').decode() + ":" + rest

    for bad in (forged, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "junk"):
        response = client.get(PAGE, {preview.QUERY_PARAM: bad})
        assert response.status_code == 200
        assert "Default hero" in response.content.decode()
        assert "pz-preview" not in response.content.decode()


def test_staff_sees_the_page_as_a_customer(client, staff):
    customers = SegmentFactory(slug="members", rules=[LoggedInRule()])
    newcomers = SegmentFactory(slug="no-orders-yet", rules=[OrderCountRule(maximum=0)])
    CampaignFactory(slot=SlotFactory(key="hero"), name="Members' week", segments=(customers,),
                    variants=("Members only",))
    greeting = SlotFactory(key="greeting", kind="text")
    welcome = CampaignFactory(slot=greeting, name="Welcome", segments=(newcomers,), variants=())
    TextVariantFactory(campaign=welcome, name="Hallo", text="Hallo {{ first_name }}")
    jan = UserFactory(username="jan", first_name="Jan")
    record_choices(choices={"personalization": True, "analytics": True}, source="signup",
                   user=jan)  # the preview shows what he agreed to see

    response = client.get(link(preview.Target(user_id=jan.pk)))

    html = response.content.decode()
    assert "Members only" in html
    assert "Hallo Jan" in html
    assert "Preview as customer jan" in html
    flush_events()
    assert Event.objects.count() == 0


def test_a_preview_of_a_deleted_segment_gives_the_normal_page(client, staff, cat_campaign):
    url = link(preview.Target(segment="gone"))

    assert "pz-preview" not in client.get(url).content.decode()


def test_a_page_without_a_body_element_is_left_untouched(client, staff, cat_campaign):
    response = client.get(link(preview.Target(segment="cat-lovers"), "/_pz/plain/"))

    assert response.content.decode() == "<p>No slots here</p>"
    assert response["Cache-Control"] == "private, no-store"


# -- the admin -------------------------------------------------------------------------------
@pytest.fixture
def admin_client_(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


def test_segment_page_links_to_the_preview_form(admin_client_, cat_campaign):
    seg = cat_campaign.segments.get()
    html = admin_client_.get(
        reverse("admin:personalization_segment_change", args=[seg.pk])).content.decode()

    form_url = reverse("admin:personalization_preview")
    assert f'href="{form_url}?segment=cat-lovers"' in html
    form = admin_client_.get(form_url, {"segment": "cat-lovers"}).content.decode()
    assert '<option value="cat-lovers" selected>' in form


def test_the_form_makes_a_link_that_opens_the_preview(admin_client_, cat_campaign):
    response = admin_client_.get(reverse("admin:personalization_preview"),
                                 {"segment": "cat-lovers", "customer": "", "path": PAGE})

    made = response.context["link"]
    assert made.startswith("http://testserver" + PAGE + "?pz_preview=")
    assert made in response.content.decode()
    page = admin_client_.get(made).content.decode()
    assert "Cats on sale" in page
    assert 'id="pz-preview"' in page


def test_the_form_makes_a_customer_link_from_the_profile_page(admin_client_, cat_campaign):
    from personalization.engine.profiles import profile_for_user

    jan = UserFactory(username="jan", email="jan@example.com")
    profile = profile_for_user(jan)
    html = admin_client_.get(reverse("admin:personalization_visitorprofile_change",
                                     args=[profile.pk])).content.decode()
    form_url = reverse("admin:personalization_preview")
    assert f'href="{form_url}?user={jan.pk}"' in html
    assert 'value="jan"' in admin_client_.get(form_url, {"user": jan.pk}).content.decode()

    response = admin_client_.get(form_url, {"customer": "jan@example.com", "path": "/?q=1"})

    made = urlsplit(response.context["link"])
    assert made.path == "/"
    token = parse_qs(made.query)["pz_preview"][0]
    assert preview.unsign(token) == preview.Target(user_id=jan.pk)
    assert parse_qs(made.query)["q"] == ["1"]


@pytest.mark.parametrize("data, error", [
    ({"segment": "", "customer": "", "path": "/"}, "Choose either a segment or a customer."),
    ({"segment": "cat-lovers", "customer": "nobody", "path": "/"}, "No single customer"),
    ({"segment": "cat-lovers", "customer": "", "path": "//evil.example/"}, "a page of this site"),
    ({"segment": "cat-lovers", "customer": "", "path": "https://evil.example/"},
     "a page of this site"),
])
def test_the_form_refuses_what_it_cannot_preview(admin_client_, cat_campaign, data, error):
    response = admin_client_.get(reverse("admin:personalization_preview"), data)

    assert response.context["link"] is None
    assert error in response.content.decode()


def test_only_staff_open_the_preview_form(client):
    client.force_login(UserFactory(username="mia"))

    response = client.get(reverse("admin:personalization_preview"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]



def test_a_preview_page_gives_its_script_nowhere_to_report_to(client, staff):
    promo = SegmentFactory(slug="spring-promo", rules=[QueryParameterRule(name="promo",
                                                                          value="spring")])
    CampaignFactory(slot=SlotFactory(key="home_hero"), name="Spring", segments=(promo,),
                    variants=("Spring sale",))

    visitor_page = client.get("/?promo=spring").content.decode()
    preview_page = client.get(link(preview.Target(segment="spring-promo"), "/")).content.decode()

    # A visitor's clicks and dismissals are reported; the previewing staff member's are not.
    assert "Spring sale" in visitor_page
    assert "data-pz-events-url" in visitor_page
    assert "Spring sale" in preview_page
    assert "data-pz-events-url" not in preview_page and "data-pz-csrf" not in preview_page


def test_a_preview_never_creates_a_real_discount_code():
    from demo_shop.orders.models import DiscountCode
    from personalization.engine.decide import choose
    from personalization.touchpoints.rendering import discount_code_for

    c = CampaignFactory(slot=SlotFactory(key="checkout_discount", kind="discount"),
                        name="Win-back", variants=())
    DiscountVariantFactory(campaign=c, mode="generated", percent=15)
    ctx = preview.PreviewContext(None, **preview.anonymous_facts(
        "00000000-0000-0000-0000-0000000000aa"))
    assert discount_code_for(choose("checkout_discount", ctx), ctx) == "PREVIEW-CODE"
    assert not DiscountCode.objects.exists()


# -- who may preview (a customer's data needs its own permission) ---------------------------

def test_staff_without_permissions_get_a_403_form_and_the_normal_page_from_a_link(
        client, cat_campaign):
    rep = UserFactory(username="pieter", is_staff=True)  # a sales rep with an admin login
    client.force_login(rep)
    assert client.get(reverse("admin:personalization_preview")).status_code == 403
    for target in (preview.Target(segment="cat-lovers"),
                   preview.Target(user_id=UserFactory(username="jan").pk)):
        html = client.get(link(target)).content.decode()
        assert 'id="pz-preview"' not in html and "Cats on sale" not in html


def test_viewing_segments_is_not_enough_to_preview_a_customer(client, cat_campaign):
    marketer = grant(UserFactory(username="marketer", is_staff=True), "view_segment")
    client.force_login(marketer)
    jan = UserFactory(username="jan", first_name="Jan")
    assert 'id="pz-preview"' in client.get(
        link(preview.Target(segment="cat-lovers"))).content.decode()
    assert 'id="pz-preview"' not in client.get(
        link(preview.Target(user_id=jan.pk))).content.decode()
    form = client.get(reverse("admin:personalization_preview"),
                      {"customer": "jan", "path": "/"}).content.decode()
    assert "You may not preview the shop as a customer" in form
    assert "pz_preview=" not in form


def test_a_dutch_staff_member_reads_the_panel_in_dutch_with_dutch_numbers(client, staff):
    from decimal import Decimal

    from personalization.rules import CartValueRule

    big_carts = SegmentFactory(slug="big-carts", name="Big carts",
                               rules=[CartValueRule(minimum=Decimal("1250.50"))])
    CampaignFactory(slot=SlotFactory(key="hero"), name="Big spenders", segments=(big_carts,),
                    priority=12)
    everybody = CampaignFactory(slot=SlotFactory(key="side"), name="Side", priority=1,
                                variants=("A", "B"), weights=(3, 1))
    shopper = UserFactory(username="anna")
    record_choices(choices={"personalization": True, "analytics": True}, source="signup",
                   user=shopper)  # remembered: bucketed by weight

    response = client.get(link(preview.Target(user_id=shopper.pk)),
                          HTTP_ACCEPT_LANGUAGE="nl")

    html = response.content.decode()
    assert "Voorbeeld als klant anna" in html
    hero = html[html.index('data-pz-preview-slot="hero"'):]
    # The reasons, outcome and rule in Dutch, the amount written the Dutch way.
    assert ("campagne &#x27;Big spenders&#x27; (prioriteit 12): overgeslagen, niet in de "
            "doelgroep (&#x27;Big carts&#x27;: winkelwagentotaal ≥ 1250,50") in hero
    assert "de standaardinhoud wordt getoond" in hero
    assert '<span class="pz-preview-outcome">standaardinhoud</span>' in hero
    side = html[html.index('data-pz-preview-slot="side"'):]
    assert "door gewogen indeling (" in side and " van 4)" in side
    assert f"(#{everybody.pk})" in side
    for english in ("skipped", "not in its audience", "showing the default", "default content",
                    "1250.50"):
        assert english not in html[html.index('id="pz-preview"'):]
