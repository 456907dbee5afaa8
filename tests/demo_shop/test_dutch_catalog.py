"""The demo's catalogue in Dutch: names and descriptions by the page's language, and a
search that finds Dutch words ("kat", "kattenbakvulling"), as its empty-search hint says."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from demo_shop.adapter import DemoCommerceAdapter
from demo_shop.catalog.models import Category, Department, Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db):
    call_command("seed_demo", customers=5, history=False, stdout=StringIO())


def names(response) -> list[str]:
    return [product.display_name for product in response.context["results"]]


def test_searching_kattenbakvulling_in_dutch_finds_the_cat_litter_by_its_dutch_names(
        client, seeded):
    response = client.get(reverse("search"), {"q": "kattenbakvulling"},
                          HTTP_ACCEPT_LANGUAGE="nl")

    litter = set(Product.objects.filter(category__slug="cat-litter").values_list("pk",
                                                                                 flat=True))
    assert {p.pk for p in response.context["results"]} == litter
    html = response.content.decode()
    assert "Klonterende kattenbakvulling 10 L" in html
    assert "Clumping cat litter 10 L" not in html
    assert names(response) == sorted(names(response))  # in Dutch alphabetical order


def test_searching_kat_finds_cat_products_and_no_dog_food(client, seeded):
    response = client.get(reverse("search"), {"q": "kat"}, HTTP_ACCEPT_LANGUAGE="nl")

    found = {p.category.slug for p in response.context["results"]}
    assert {"cat-litter", "litter-boxes", "litter-scoops", "cat-food"} <= found
    assert "dog-food" not in found
    assert "Kattensnoepjes tonijn 60 g" in response.content.decode()


def test_an_english_page_keeps_the_english_names_and_finds_dutch_words_too(client, seeded):
    response = client.get(reverse("search"), {"q": "litter scoop"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Litter scoop with stand" in names(response)

    dutch_word = client.get(reverse("search"), {"q": "kattenbakschep"},
                            HTTP_ACCEPT_LANGUAGE="en")
    assert "Litter scoop with stand" in names(dutch_word)


def test_the_category_page_in_dutch(client, seeded):
    html = client.get(reverse("category", kwargs={"slug": "cat-litter"}),
                      HTTP_ACCEPT_LANGUAGE="nl").content.decode()

    assert "<h1>Kattenbakvulling</h1>" in html
    assert "Klonterende vulling, silicakorrels en natuurlijke vulling." in html
    assert ">Dieren</a>" in html  # the department in the menu and the breadcrumbs
    assert "Cat litter" not in html and ">Pets<" not in html


def test_the_adapter_names_products_and_categories_in_the_readers_language(seeded):
    adapter = DemoCommerceAdapter()
    litter = Category.objects.get(slug="cat-litter")
    product = Product.objects.get(slug="clumping-cat-litter-10-l")

    with translation.override("nl"):
        assert adapter.catalog_names("product", [product.pk]) == {
            product.pk: "Klonterende kattenbakvulling 10 L"}
        assert adapter.catalog_names("category", [litter.pk]) == {
            litter.pk: f"{litter.department.display_name} › Katten › Kattenbakvulling"}
        assert (product.pk, "Klonterende kattenbakvulling 10 L") in adapter.search_catalog(
            "product", "kattenbakvulling")
    assert adapter.catalog_names("product", [product.pk]) == {
        product.pk: "Clumping cat litter 10 L"}


def test_seeding_a_demo_seeded_before_the_dutch_names_fills_them_in(seeded):
    Department.objects.update(name_nl="")
    Category.objects.update(name_nl="", description_nl="")
    Product.objects.update(name_nl="", description_nl="")
    Product.objects.filter(slug="pizza-margherita").update(name_nl="Margherita (huisrecept)")

    call_command("seed_demo", customers=5, history=False, stdout=StringIO())

    assert Department.objects.get(slug="pets").name_nl == "Dieren"
    assert Category.objects.get(slug="cat-litter").description_nl.startswith("Klonterende")
    litter = Product.objects.get(slug="clumping-cat-litter-10-l")
    assert litter.name_nl == "Klonterende kattenbakvulling 10 L"
    assert litter.description_nl.startswith("Klonterende kattenbakvulling 10 L. Klonterende")
    # A merchant's own Dutch is kept.
    assert Product.objects.get(slug="pizza-margherita").name_nl == "Margherita (huisrecept)"
