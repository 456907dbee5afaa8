"""A preview on purpose: a chosen variant or the control, a country, a device and a language;
and any
page, the cart and checkout included, for a segment (a sample cart) or a customer (his)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from demo_shop.orders.models import SavedCart
from personalization.rules import CountryRule, DeviceRule, LanguageRule, PathRule
from personalization.touchpoints import preview
from tests.factories import (
    BannerVariantFactory,
    CampaignFactory,
    ProductFactory,
    SegmentFactory,
    SlotFactory,
)
from tests.test_preview import grant

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]
PAGE = "/_pz/slots/"


@pytest.fixture
def staff(client, django_user_model):
    user = grant(django_user_model.objects.create_user("editor", is_staff=True),
                 "view_segment", "preview_as_customer")
    client.force_login(user)
    return user


@pytest.fixture
def experiment():
    """A hero with two variants and a holdout, for everybody in "shoppers"."""
    shoppers = SegmentFactory(slug="shoppers", rules=[PathRule(pattern="^/nowhere/")])
    campaign = CampaignFactory(slot=SlotFactory(key="hero"), name="Spring", variants=(
        "Spring A", "Spring B"), segments=(shoppers,), holdout_percent=10)
    a, b = campaign.variants.order_by("pk")
    return campaign, a, b


def open_preview(client, target, path=PAGE):
    return client.get(preview.preview_url(path, target))


def test_the_form_makes_a_link_with_the_chosen_variant_country_and_device(
        admin_client, experiment):
    campaign, a, b = experiment
    form_url = reverse("admin:personalization_preview")
    form = admin_client.get(form_url).content.decode()
    assert f'<option value="{b.pk}">Spring: Spring B</option>' in form
    assert '<option value="control">Control: the default content</option>' in form

    response = admin_client.get(form_url, {"segment": "shoppers", "path": PAGE,
                                           "arm": str(b.pk), "country": "nl",
                                           "device": "mobile"})
    token = parse_qs(urlsplit(response.context["link"]).query)["pz_preview"][0]
    assert preview.unsign(token) == preview.Target(segment="shoppers", arm=str(b.pk),
                                                   country="NL", device="mobile")
    response = admin_client.get(form_url, {"segment": "shoppers", "path": PAGE,
                                           "country": "N1"})
    assert response.context["link"] is None
    assert "Enter a two-letter country code" in response.content.decode()


@pytest.mark.parametrize("which", ["a", "b"])
def test_either_variant_can_be_previewed_on_purpose(client, staff, experiment, which):
    campaign, a, b = experiment
    chosen, other = (a, b) if which == "a" else (b, a)
    html = open_preview(client, preview.Target(segment="shoppers",
                                               arm=str(chosen.pk))).content.decode()
    assert chosen.headline in html and other.headline not in html
    assert f"variant &#x27;{chosen.name}&#x27; chosen for this preview" in html
    assert f"Variant: '{chosen.name}' of '{campaign.name}'" in html


def test_the_control_can_be_previewed_on_purpose(client, staff, experiment):
    html = open_preview(client, preview.Target(segment="shoppers",
                                               arm="control")).content.decode()
    assert "Default hero" in html and "Spring A" not in html and "Spring B" not in html
    assert "default content: control (holdout) of campaign &#x27;Spring&#x27;" in html
    assert "Variant: control (the default content)" in html


def test_a_country_and_a_device_can_be_previewed(client, staff, django_user_model):
    anna = django_user_model.objects.create_user("anna")
    dutch = SegmentFactory(slug="dutch-mobile", rules=[CountryRule(countries=["NL"]),
                                                       DeviceRule(devices=["mobile"])])
    banner = CampaignFactory(slot=SlotFactory(key="side"), name="Dutch only",
                             segments=(dutch,), variants=())
    BannerVariantFactory(campaign=banner, name="NL", headline="Gratis bezorging")
    html = open_preview(client, preview.Target(user_id=anna.pk)).content.decode()
    assert "Gratis bezorging" not in html
    html = open_preview(client, preview.Target(user_id=anna.pk, country="NL",
                                               device="mobile")).content.decode()
    assert "Gratis bezorging" in html
    assert "Country: NL · Device: mobile" in html


def test_the_checkout_previewed_as_a_segment_shows_a_sample_cart(client, staff, experiment):
    ProductFactory(name="Scratching post", price="19.95", stock=5)
    response = open_preview(client, preview.Target(segment="shoppers"), "/checkout/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Scratching post" in html and 'id="pz-preview"' in html
    assert response.wsgi_request.visitor.cart.total > 0  # the decisions see it too
    assert not client.session.get("cart")  # the previewer's own cart is untouched


def test_a_segment_preview_without_a_sample_cart_decides_with_an_empty_cart_not_the_staffs(
        client, staff, experiment, monkeypatch):
    from decimal import Decimal

    from demo_shop.adapter import DemoCommerceAdapter
    from personalization.adapters import CartLine, CartSnapshot

    line = CartLine(product_id=1, category_ids=(), quantity=2, price=Decimal("30"))
    own = CartSnapshot(lines=(line,))
    monkeypatch.setattr(DemoCommerceAdapter, "sample_cart", lambda self: None)
    monkeypatch.setattr(DemoCommerceAdapter, "cart", lambda self, request: own)
    response = open_preview(client, preview.Target(segment="shoppers"))
    assert response.status_code == 200
    assert response.wsgi_request.visitor.cart.total == 0


def test_the_checkout_previewed_as_a_customer_shows_the_cart_the_decisions_read(
        client, staff, django_user_model):
    SegmentFactory(slug="shoppers")
    lisa = django_user_model.objects.create_user("lisa")
    post = ProductFactory(name="Scratching post", price="19.95", stock=5)
    SavedCart.objects.create(user=lisa, items={str(post.pk): 2})  # no session of hers
    response = open_preview(client, preview.Target(user_id=lisa.pk), "/checkout/")
    assert response.status_code == 200
    assert "Scratching post" in response.content.decode()
    assert response.wsgi_request.visitor.cart.product_ids == {post.pk}


def test_a_redirect_in_a_preview_stays_in_the_preview(client, staff, django_user_model):
    nobody = django_user_model.objects.create_user("nobody")  # no cart anywhere
    target = preview.Target(user_id=nobody.pk)
    response = open_preview(client, target, "/checkout/")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/cart/"
    assert preview.unsign(parse_qs(location.query)["pz_preview"][0]) == target
    assert 'id="pz-preview"' in client.get(response["Location"]).content.decode()


def test_a_language_can_be_previewed_for_the_whole_page(client, staff, django_user_model):
    """A Dutch customer's page, previewed by English-speaking staff: the language rules, the
    variants' texts and the page's own words in Dutch; the panel in the staff's English."""
    anna = django_user_model.objects.create_user("anna")
    dutch = SegmentFactory(slug="dutch-readers", rules=[LanguageRule(languages=["nl"])])
    banner = CampaignFactory(slot=SlotFactory(key="side"), name="Dutch readers",
                             segments=(dutch,), variants=())
    BannerVariantFactory(campaign=banner, name="Delivery", headline="Free delivery",
                         translations={"nl": {"headline": "Gratis bezorging"}})
    html = open_preview(client, preview.Target(user_id=anna.pk)).content.decode()
    assert "Gratis bezorging" not in html and "Free delivery" not in html
    assert '<p class="page-language">en</p>' in html

    response = open_preview(client, preview.Target(user_id=anna.pk, language="nl"))

    html = response.content.decode()
    assert "Gratis bezorging" in html
    assert '<p class="page-language">nl</p>' in html
    assert response["Content-Language"] == "nl"
    assert "Language: nl" in html and "Leave the preview" in html  # the panel: English
    assert 'data-pz-preview lang="en"' in html  # and says so, for a screen reader
    # The next page of the staff member is in his own language again.
    assert '<p class="page-language">en</p>' in client.get(PAGE).content.decode()


def test_the_form_makes_a_link_with_the_chosen_language(admin_client, experiment):
    form_url = reverse("admin:personalization_preview")
    assert '<option value="nl">Nederlands</option>' in admin_client.get(form_url).content.decode()

    response = admin_client.get(form_url, {"segment": "shoppers", "path": PAGE,
                                           "language": "nl"})

    token = parse_qs(urlsplit(response.context["link"]).query)["pz_preview"][0]
    assert preview.unsign(token) == preview.Target(segment="shoppers", language="nl")
