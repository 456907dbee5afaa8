"""Catalog pages, search and placeholder images as a shopper sees them."""

import pytest
from django.urls import reverse

from tests.factories import CampaignFactory, ProductFactory, ProductListVariantFactory, SlotFactory

pytestmark = pytest.mark.django_db


def test_home_shows_departments_and_featured_products(client, shop):
    shop.litter.is_featured = True
    shop.litter.save()
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Pets" in html and "Farm &amp; Stable" in html
    assert "Clumping cat litter 10 L" in html
    assert 'data-pz-slot="home_hero"' in html and 'data-pz-slot="home_products"' in html


def test_category_page_lists_products_of_its_subcategories(client, shop):
    response = client.get(shop.cats.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "Clumping cat litter 10 L" in html and "Corner litter box" in html
    assert "Injection needles" not in html
    assert "Cat litter" in html  # a subcategory link


def test_category_page_exposes_the_current_category(client, shop):
    response = client.get(shop.litter_category.get_absolute_url())
    assert response.wsgi_request.shop_category == shop.litter_category
    assert response.context["shop_category"] == shop.litter_category
    assert 'data-pz-slot="category_banner"' in response.content.decode()


def test_product_page_shows_price_stock_and_add_to_cart(client, shop):
    response = client.get(shop.litter.get_absolute_url())
    html = response.content.decode()
    assert "Clumping cat litter 10 L" in html
    assert "€8.95" in html
    assert "In stock (5 available)" in html
    assert reverse("cart_add") in html
    assert response.wsgi_request.shop_category == shop.litter_category
    # Breadcrumbs follow the category chain: Pets > Cats > Cat litter.
    assert [c.name for c in response.context["breadcrumbs"]] == ["Cats", "Cat litter"]


def test_out_of_stock_product_cannot_be_added_from_its_page(client, shop):
    html = client.get(shop.box.get_absolute_url()).content.decode()
    assert "Out of stock" in html
    assert 'name="quantity"' not in html


def test_product_category_chain_nearest_first(shop):
    assert shop.litter.category_ids == (shop.litter_category.pk, shop.cats.pk)


def test_unknown_or_inactive_product_is_404(client, shop):
    shop.scoop.is_active = False
    shop.scoop.save()
    assert client.get(reverse("product", args=["no-such-thing"])).status_code == 404
    assert client.get(shop.scoop.get_absolute_url()).status_code == 404


def test_search_finds_products_by_name_and_category(client, shop):
    response = client.get(reverse("search"), {"q": "litter"})
    names = {p.name for p in response.context["results"]}
    assert names == {"Clumping cat litter 10 L", "Litter scoop", "Corner litter box"}
    assert "3 products found" in response.content.decode()
    response = client.get(reverse("search"), {"q": "needles"})
    assert [p.name for p in response.context["results"]] == ["Injection needles (100)"]


def test_search_needs_every_word(client, shop):
    response = client.get(reverse("search"), {"q": "litter scoop"})
    assert [p.name for p in response.context["results"]] == ["Litter scoop"]


def test_search_without_matches_says_so(client, shop):
    response = client.get(reverse("search"), {"q": "unicorn"})
    assert "Nothing matches your search" in response.content.decode()
    assert 'data-pz-slot="search_results"' in response.content.decode()


def test_placeholder_image_is_a_cacheable_deterministic_svg(client, shop):
    product = ProductFactory(category=shop.litter_category, name="Cats & <Dogs>", slug="cd")
    first = client.get(product.image_url)
    second = client.get(product.image_url)
    assert first.status_code == 200
    assert first["Content-Type"].startswith("image/svg+xml")
    assert first["Cache-Control"] == "public, max-age=86400"
    assert first.content == second.content
    assert b"Cats &amp; &lt;Dogs&gt;" in first.content
    assert product.image_url == "/img/cd.svg"


def test_placeholder_colour_follows_the_category(client, shop):
    litter = client.get(shop.litter.image_url).content
    scoop = client.get(shop.scoop.image_url).content
    needles = client.get(shop.needles.image_url).content

    def background(svg: bytes) -> bytes:
        return svg.split(b'fill="', 2)[1].split(b'"')[0]

    assert background(litter) == background(scoop)
    assert background(litter) != background(needles)


def test_a_personalized_reorder_of_the_search_results_keeps_every_result(client, shop):
    for n in range(7):
        ProductFactory(category=shop.litter_category, name=f"Litter deodoriser {n}",
                       slug=f"deodoriser-{n}")
    slot = SlotFactory(key="search_results", name="Search", kind="product_list")
    campaign = CampaignFactory(name="Search by interest", slot=slot, status="live", variants=())
    ProductListVariantFactory(campaign=campaign, strategy="affinity_sort", limit=4)
    html = client.get(reverse("search"), {"q": "deodoriser"}).content.decode()
    assert "7 products found" in html
    assert html.count('class="card product-card"') == 7
    assert f'data-pz-campaign="{campaign.pk}"' in html  # the campaign did reorder them
