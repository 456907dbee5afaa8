"""Every seed case of DESIGN §1, seen by browsing the seeded demo as its personas
(docs/demo-tour.md tells the same tour)."""

import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from demo_shop.catalog.models import Product
from demo_shop.orders.models import DiscountCode, Order
from personalization.models import Campaign
from tests.script import exposure_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def seeded(settings):
    """The demo after ``seed_demo --customers 30``; visitors allow personalization (the
    consent banner's "accept" is another module's business)."""
    from personalization.conf import DEFAULTS

    if "CONSENT_MODE" in DEFAULTS:
        settings.PERSONALIZATION = {**settings.PERSONALIZATION, "CONSENT_MODE": "implied"}
    settings.DEMO_PERSONA_SWITCHER = settings.DEBUG = True  # the switcher needs DEBUG
    call_command("seed_demo", customers=30, history=False, stdout=StringIO())


def as_persona(username: str | None) -> Client:
    client = Client()
    if username:
        assert client.login(username=username, password="demo")
    return client


def html_of(client: Client, url: str, **extra) -> str:
    response = client.get(url, **extra)
    assert response.status_code == 200, url
    return response.content.decode()


def popup_title(html: str) -> str | None:
    found = re.search(r'class="pz-popup__title" id="[^"]+">(.*?)</h2>', html)
    return found.group(1) if found else None


def checkout_code(html: str) -> str:
    return re.search(r'<input type="text" name="discount_code" id="id_discount_code"[^>]*'
                     r'value="([^"]*)"', html).group(1)


def test_anonymous_visitor_sees_the_defaults():
    client = as_persona(None)
    html = html_of(client, "/")
    assert "Everything for pets, farm, wardrobe and dinner" in html  # default hero
    assert "Featured products" in html and "Your usual order" not in html
    assert popup_title(html) is None
    assert re.search(r'data-pz-slot="greeting"><span class="greeting">Welcome', html)


def test_pet_shop_litter_scoop_on_the_cat_litter_category_only():
    client = as_persona(None)
    litter = html_of(client, "/c/cat-litter/")
    banner = re.search(r'<section class="pz-banner".*?</section>', litter, re.S).group(0)
    assert "Don&#x27;t forget the scoop" in banner
    assert 'href="/c/litter-scoops/"' in banner and 'alt="Litter scoop"' in banner
    assert "dog" not in banner.lower()
    assert "Don&#x27;t forget the scoop" not in html_of(client, "/c/dog-food/")


def test_jan_reorders_his_usual_order_in_one_click_and_checks_out():
    client = as_persona("jan")
    html = html_of(client, "/")
    block = re.search(r'<section class="pz-usual-order".*?</section>', html, re.S).group(0)
    assert "Your usual order" in block and "Add all to cart" in block
    ids = re.findall(r'name="product_id" value="(\d+)"', block)
    quantities = re.findall(r'name="quantity" value="(\d+)"', block)
    names = dict(Product.objects.filter(pk__in=ids).values_list("pk", "slug"))
    usual = {names[int(pk)]: int(q) for pk, q in zip(ids, quantities, strict=True)}
    assert usual == {"pig-grower-pellets-25-kg": 10, "piglet-starter-feed-20-kg": 6,
                     "mineral-lick-block-10-kg": 4, "injection-needles-12-25-mm-100": 2}

    response = client.post("/cart/add-all/", {"product_id": ids, "quantity": quantities,
                                              "next": "/cart/"}, follow=True)
    assert "4 products added to your cart." in response.content.decode()
    cart = {line.product.slug: line.quantity for line in response.context["lines"]}
    assert cart == usual
    assert "pz-usual-order" not in html_of(client, "/")  # all of it is in the cart now

    before = Order.objects.filter(user__username="jan").count()
    response = client.post("/checkout/", {
        "name": "Jan de Vries", "email": "jan@example.com", "address": "Dorpsstraat 1",
        "discount_code": "", "action": "place"}, follow=True)
    assert "Thank you! Your order has been placed." in response.content.decode()
    assert Order.objects.filter(user__username="jan").count() == before + 1


def test_lisa_cart_waiting_wins_then_win_back_and_her_code_at_checkout():
    client = as_persona(None)
    client.post("/demo/persona/", {"username": "lisa", "next": "/"})
    html = html_of(client, "/")
    assert popup_title(html) == "Your cart is waiting"  # priority 30 beats 20
    # Not on the cart and checkout pages, where the reminder would be in the way.
    assert popup_title(html_of(client, "/cart/")) != "Your cart is waiting"
    waiting = Campaign.objects.get(name="Your cart is waiting")
    token = client.cookies["csrftoken"].value
    assert client.post("/pz/dismiss/", {"campaign": waiting.pk,
                                        "token": exposure_token(html, waiting.pk)},
                       HTTP_X_CSRFTOKEN=token).status_code == 204
    html = html_of(client, "/c/pizzas/")
    assert popup_title(html) == "We miss you! 15% off your next order"

    checkout = html_of(client, "/checkout/")
    code = checkout_code(checkout)
    win_back = Campaign.objects.get(name="Win-back code")
    assert code.startswith(f"PZ{win_back.pk}-")
    discount = DiscountCode.objects.get(code=code)
    assert discount.single_use and discount.assigned_to.username == "lisa"
    assert discount.value == Decimal("15")
    assert f"Code {code} applied" in checkout
    subtotal = Decimal("2") * Decimal("9.50") + Decimal("11.50")
    assert f"−€{(subtotal * Decimal('0.15')).quantize(Decimal('0.01'))}" in checkout
    assert checkout_code(html_of(client, "/checkout/")) == code  # the same code on reload


def test_a_spent_single_use_code_is_not_offered_again(django_capture_on_commit_callbacks):
    from personalization.models import IssuedCode

    client = as_persona(None)
    client.post("/demo/persona/", {"username": "lisa", "next": "/"})
    code = checkout_code(html_of(client, "/checkout/"))
    assert code.startswith("PZ")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/checkout/", {
            "name": "Lisa", "email": "lisa@example.com", "address": "Kerkstraat 1",
            "discount_code": code, "action": "place"}, follow=True)
    assert "Thank you! Your order has been placed." in response.content.decode()
    assert IssuedCode.objects.get(code=code).used_at is not None
    pizza = Product.objects.get(slug="pizza-margherita")
    client.post("/cart/add/", {"product_id": pizza.pk, "quantity": 1})
    checkout = html_of(client, "/checkout/")
    assert checkout_code(checkout) == "" and "already been used" not in checkout
    assert IssuedCode.objects.filter(user__username="lisa").count() == 1  # no new one


def test_the_win_back_code_is_never_given_outside_the_lapsed_segment():
    pizza = Product.objects.get(slug="pizza-margherita")
    for username in (None, "anna", "tom"):
        client = as_persona(username)
        client.post("/cart/add/", {"product_id": pizza.pk, "quantity": 1})
        html = html_of(client, "/checkout/")
        assert checkout_code(html) == "", username
    assert not DiscountCode.objects.filter(code__startswith="PZ").exists()


def test_category_interest_popup_for_the_part_of_the_shop_browsed_most():
    client = as_persona(None)
    assert popup_title(html_of(client, "/")) is None
    html_of(client, "/c/pizzas/")
    html_of(client, "/c/toppings/")
    html = html_of(client, "/")
    assert popup_title(html) == "Pizza night?"
    assert 'src="/img/pizza-quattro-formaggi.svg"' in html
    assert popup_title(html_of(as_persona("anna"), "/")) == "More for your cat"


def test_field_insertion_greets_a_known_visitor_by_name():
    assert "Hallo Anna!" in html_of(as_persona("anna"), "/")
    assert "Hallo" not in html_of(as_persona(None), "/")


def test_t_shirt_buyers_are_recommended_cardigans():
    html = html_of(as_persona("tom"), "/")
    section = re.search(r'<section class="section" data-pz-slot="home_products".*?</section>',
                        html, re.S).group(0)
    assert "Cardigans to go with your t-shirts" in section
    assert "Merino cardigan grey" in section and "Pizza" not in section
    assert "Cardigans to go with" not in html_of(as_persona("jan"), "/")


def test_bargain_hunters_see_the_sale_banner():
    assert "Sale: 20% off all pizzas this week" in html_of(as_persona("bram"), "/")
    assert "Sale: 20% off all pizzas this week" not in html_of(as_persona("anna"), "/")


def test_weather_popup_follows_the_visitors_country():
    spain = as_persona(None)
    assert popup_title(html_of(spain, "/?country=ES")) == "Sunny where you are? Light t-shirts"
    assert popup_title(html_of(spain, "/c/cats/")) == "Sunny where you are? Light t-shirts"
    sweden = as_persona(None)
    assert popup_title(html_of(sweden, "/", HTTP_CF_IPCOUNTRY="SE")) == \
        "Cold out there? Warm cardigans"
    assert popup_title(html_of(as_persona(None), "/", HTTP_CF_IPCOUNTRY="NL")) is None


def test_social_proof_on_the_weeks_bestseller():
    html = html_of(as_persona(None), "/p/pizza-margherita/")
    found = re.search(r'class="social-proof">Bought (\d+) times this week</p>', html)
    assert found and int(found.group(1)) >= 10
    assert "social-proof" not in html_of(as_persona(None), "/p/covered-litter-box-with-filter/")


def test_frequently_bought_together_on_a_product_page():
    html = html_of(as_persona(None), "/p/pizza-margherita/")
    section = re.search(r'data-pz-slot="product_recommendations".*?</section>', html,
                        re.S).group(0)
    assert "Often bought together" in section and "Garlic dip" in section
    assert "Pizza Margherita</a>" not in section


def test_popular_with_cat_people_on_annas_home_page():
    html = html_of(as_persona("anna"), "/")
    section = re.search(r'data-pz-slot="home_products".*?</section>', html, re.S).group(0)
    assert "Popular with other cat lovers" in section
    titles = re.findall(r'class="card-title"><a [^>]*>(.*?)</a>', section)
    assert titles, section
    # What cat people favour, not what everybody buys (pizza, garlic dip) first.
    assert not any(word in titles[0].lower() for word in ("pizza", "dip")), titles
    assert "cat" in " ".join(titles[:2]).lower(), titles


def test_search_results_follow_the_visitors_interest():
    def first_result(client):
        html = html_of(client, "/search/?q=cat")
        return re.search(r'class="card-title"><a [^>]*>(.*?)</a>', html).group(1)

    assert first_result(as_persona("tom")) == "Graphic t-shirt cat print"
    assert first_result(as_persona("anna")) != "Graphic t-shirt cat print"


def test_a_dutch_visitor_sees_the_seeded_campaigns_in_dutch():
    client = as_persona(None)
    client.post("/demo/persona/", {"username": "lisa", "next": "/"})
    html = html_of(client, "/", HTTP_ACCEPT_LANGUAGE="nl")
    assert popup_title(html) == "Je winkelwagen wacht op je"
    assert "Terug naar mijn winkelwagen" in html and "Back to my cart" not in html
    english = html_of(client, "/", HTTP_ACCEPT_LANGUAGE="en")
    assert popup_title(english) == "Your cart is waiting"
