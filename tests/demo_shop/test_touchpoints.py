"""Banners, discount codes, product lists and social proof on the demo's own pages."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from demo_shop.orders.models import DiscountCode
from personalization.engine import rulebook
from personalization.jobs.affinities import rebuild_product_affinities
from personalization.rules import LoggedInRule
from personalization.templatetags.personalization import social_proof
from personalization.touchpoints.social import times_bought
from tests.demo_shop.helpers import add_to_cart
from tests.factories import (
    BannerVariantFactory,
    CampaignFactory,
    DiscountVariantFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    ProductListVariantFactory,
    SegmentFactory,
    SlotFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _visitors_allow_personalization(settings):
    from personalization.conf import DEFAULTS

    if "CONSENT_MODE" in DEFAULTS:
        settings.PERSONALIZATION = {**settings.PERSONALIZATION, "CONSENT_MODE": "implied"}


def order(user, *lines, days_ago=1):
    o = OrderFactory(user=user, created_at=timezone.now() - timedelta(days=days_ago),
                     status="paid")
    for product, quantity in lines:
        OrderLineFactory(order=o, product=product, quantity=quantity)
    return o


def list_campaign(key, strategy, *, segments=(), **fields):
    c = CampaignFactory(slot=SlotFactory(key=key, kind="product_list"), name=strategy,
                        variants=(), segments=segments)
    ProductListVariantFactory(campaign=c, strategy=strategy, **fields)
    rulebook.invalidate()
    return c


def test_banner_has_image_headline_body_and_button(client, shop):
    c = CampaignFactory(slot=SlotFactory(key="category_banner"), name="Scoop", variants=())
    BannerVariantFactory(
        campaign=c, headline="Don't forget the scoop", image_url="/img/scoop.svg",
        image_alt="A scoop", body="<p>Quick <strong>daily</strong> round<script>x</script></p>",
        cta_label="See scoops", link="/c/scoops/")
    rulebook.invalidate()
    html = client.get("/c/cat-litter/").content.decode()
    banner = re.search(r'<section class="pz-banner".*?</section>', html, re.S).group(0)
    assert f'data-pz-campaign="{c.pk}"' in banner
    assert '<img class="pz-banner__image" src="/img/scoop.svg" alt="A scoop"' in banner
    assert "Don&#x27;t forget the scoop" in banner and "<strong>daily</strong>" in banner
    assert "<script>" not in banner
    assert '<a class="pz-banner__cta" href="/c/scoops/" data-pz-click>See scoops</a>' in banner


def test_generated_code_is_the_visitors_own_and_the_shop_validates_it(client, shop, customer):
    known = SegmentFactory(slug="known", rules=[LoggedInRule()])
    c = CampaignFactory(slot=SlotFactory(key="checkout_discount", kind="discount"),
                        name="Ten off", variants=(), segments=(known,))
    DiscountVariantFactory(campaign=c, mode="generated", amount=Decimal("2.00"))
    rulebook.invalidate()
    client.force_login(customer)
    add_to_cart(client, shop.scoop, 2)
    html = client.get("/checkout/").content.decode()
    code = re.search(r'id="id_discount_code"[^>]*value="([^"]*)"', html).group(1)
    assert code.startswith(f"PZ{c.pk}-")
    assert DiscountCode.objects.get(code=code).assigned_to == customer
    assert "−€2.00" in html and "€10.00" in html
    response = client.post("/checkout/", {"name": "Anna", "email": "a@example.com",
                                          "address": "Kerkstraat 1", "discount_code": code,
                                          "action": "place"}, follow=True)
    assert response.context["order"].discount == Decimal("2.00")
    assert DiscountCode.objects.get(code=code).times_used == 1


def test_fixed_code_is_prefilled_for_the_audience_only(client, shop, customer):
    DiscountCode.objects.create(code="WELCOME10", kind="percent", value=Decimal("10"))
    known = SegmentFactory(slug="known", rules=[LoggedInRule()])
    c = CampaignFactory(slot=SlotFactory(key="checkout_discount", kind="discount"),
                        name="Welcome", variants=(), segments=(known,))
    DiscountVariantFactory(campaign=c, mode="fixed", code="WELCOME10")
    rulebook.invalidate()
    add_to_cart(client, shop.scoop, 1)
    anonymous = client.get("/checkout/").content.decode()
    assert "WELCOME10" not in anonymous
    client.force_login(customer)
    add_to_cart(client, shop.scoop, 1)
    assert 'value="WELCOME10"' in client.get("/checkout/").content.decode()


def test_usual_order_ranks_by_frequency_with_usual_quantities(client, shop, customer):
    scoop, litter, box = shop.scoop, shop.litter, shop.box
    other = ProductFactory(category=shop.litter_category, name="Once only", stock=10)
    for days in (40, 20, 5):
        order(customer, (litter, 2), (scoop, 1 if days != 5 else 3), days_ago=days)
    order(customer, (scoop, 1), (other, 1), days_ago=60)
    order(customer, (box, 1), days_ago=50)
    order(customer, (box, 1), days_ago=30)  # repeatedly bought, but out of stock
    list_campaign("usual_order", "buy_again", limit=8)
    client.force_login(customer)
    html = client.get("/").content.decode()
    block = re.search(r'<section class="pz-usual-order".*?</section>', html, re.S).group(0)
    rows = re.findall(r'<a href="[^"]+">([^<]+)</a>.*?name="quantity" value="(\d+)"', block,
                      re.S)
    assert rows == [("Litter scoop", "1"), ("Clumping cat litter 10 L", "2")]
    assert "Once only" not in block and "Corner litter box" not in block

    add_to_cart(client, scoop, 1)
    block = client.get("/").content.decode()
    assert "Litter scoop</a>" not in block.split("pz-usual-order")[1].split("</section>")[0]


def test_add_all_reports_what_could_not_be_added(client, shop):
    response = client.post("/cart/add-all/", {
        "product_id": [shop.litter.pk, shop.box.pk], "quantity": ["2", "1"]}, follow=True)
    page = response.content.decode()
    assert "1 product added to your cart." in page and "is out of stock" in page
    assert client.post("/cart/add-all/", {}, follow=True).status_code == 200


def test_manual_list_skips_out_of_stock_products(client, shop):
    list_campaign("home_products", "manual",
                  product_ids=[str(shop.box.pk), str(shop.scoop.pk)], limit=4)
    html = client.get("/").content.decode()
    section = re.search(r'data-pz-slot="home_products".*?</section>', html, re.S).group(0)
    assert "Litter scoop" in section and "Corner litter box" not in section


def test_bought_together_uses_co_purchases_and_skips_the_cart(client, shop, customer):
    needles = shop.needles
    for _i in range(3):
        order(customer, (shop.litter, 1), (shop.scoop, 1))
    order(customer, (shop.litter, 1), (needles, 1))
    rebuild_product_affinities()
    list_campaign("product_recommendations", "bought_together", title="Often bought together")
    html = client.get("/p/clumping-litter/").content.decode()
    section = re.search(r'data-pz-slot="product_recommendations".*?</section>', html,
                        re.S).group(0)
    names = re.findall(r'class="card-title"><a [^>]*>(.*?)</a>', section)
    assert names == ["Litter scoop", "Injection needles (100)"]
    add_to_cart(client, shop.scoop, 1)
    html = client.get("/p/clumping-litter/").content.decode()
    section = re.search(r'data-pz-slot="product_recommendations".*?</section>', html,
                        re.S).group(0)
    assert "Litter scoop" not in section and "Injection needles" in section


def test_social_proof_counts_this_weeks_orders_and_is_cached(shop, customer,
                                                             django_assert_num_queries):
    for days in (1, 2, 6):
        order(customer, (shop.litter, 1), days_ago=days)
    order(customer, (shop.litter, 5), days_ago=9)
    assert social_proof(shop.litter) == 3
    with django_assert_num_queries(0):
        assert times_bought(shop.litter.pk) == 3
    assert social_proof(shop.scoop) == 0
    with django_assert_num_queries(0):
        assert social_proof(shop.scoop) == 0  # a miss is cached too


def test_social_proof_line_on_the_product_page(client, shop, customer):
    for days in (1, 3):
        order(customer, (shop.litter, 1), days_ago=days)
    assert "Bought 2 times this week" in client.get("/p/clumping-litter/").content.decode()
    assert "social-proof" not in client.get("/p/scoop/").content.decode()
