"""The personalization part of the seed: the demo's slots and a campaign for every seed case
of DESIGN §1 (the tour through them is docs/demo-tour.md).

Each segment and campaign is created only when its slug or name is missing, so seeding twice
changes nothing; a campaign edited in the admin is left as the merchant left it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from demo_shop.catalog.models import Category, Product
from personalization.jobs.affinities import rebuild_product_affinities
from personalization.jobs.refresh import refresh_segment
from personalization.models import (
    BannerVariant,
    Campaign,
    DiscountVariant,
    PopupVariant,
    ProductAffinity,
    ProductListVariant,
    Segment,
    Slot,
    TextVariant,
)
from personalization.rules import (
    CartAbandonedRule,
    CategoryAffinityRule,
    CurrentCategoryRule,
    CustomerGroupRule,
    DaysSinceLastOrderRule,
    LoggedInRule,
    PathRule,
    PurchasedRule,
    TemperatureRule,
    UsedDiscountCodeRule,
)

#: Every slot the demo templates declare: key, name, kind, where.
SLOTS = [
    ("home_hero", "Home page hero", "banner", "The big banner at the top of the home page."),
    ("usual_order", "Usual order", "product_list",
     "Home page: the customer's usual order with one-click reorder (hidden when empty)."),
    ("home_products", "Home page products", "product_list", "Featured products, home page."),
    ("category_banner", "Category banner", "banner", "Above the products of a category."),
    ("product_banner", "Product page banner", "banner", "Beside the product's description."),
    ("product_recommendations", "Product recommendations", "product_list",
     "Below a product: 'more in this category' by default."),
    ("search_results", "Search results", "product_list", "Order of the search results."),
    ("cart_message", "Cart message", "banner", "Above the lines of the cart."),
    ("checkout_discount", "Checkout discount code", "discount",
     "Prefills the discount-code field at checkout."),
    ("greeting", "Greeting", "text", "The greeting in the header of every page."),
    ("site_popup", "Site popup", "popup", "One popup, on any page."),
]

#: Popups that compete for ``site_popup``; the highest priority the visitor matches wins.
PRIORITY_CART_WAITING = 30
PRIORITY_WIN_BACK = 20
PRIORITY_WEATHER = 15
PRIORITY_INTEREST = 5


def image(slug: str) -> str:
    return f"/img/{slug}.svg"


def seed_personalization(created: Counter) -> None:
    slots = {}
    for key, name, kind, description in SLOTS:
        slots[key], new = Slot.objects.get_or_create(
            key=key, defaults={"name": name, "kind": kind, "description": description})
        created["slots"] += new
    categories = dict(Category.objects.values_list("slug", "pk"))
    seeder = _Seeder(slots, created)
    for case in CASES:
        case(seeder, categories)
    if created["orders"] or not ProductAffinity.objects.exists():
        rebuild_product_affinities()


class _Seeder:
    def __init__(self, slots: dict[str, Slot], created: Counter) -> None:
        self.slots = slots
        self.created = created

    def segment(self, slug: str, name: str, description: str, *rules: Any,
                kind: str = "live", match: str = "all") -> Segment:
        seg = Segment.objects.filter(slug=slug).first()
        if seg is None:
            seg = Segment.objects.create(name=name, slug=slug, description=description,
                                         kind=kind, match=match)
            for position, rule in enumerate(rules):
                rule.segment, rule.position = seg, position
                rule.save()
            if kind == "computed":  # reported in the seed's summary, not as a log line
                self.created["computed segment members"] += refresh_segment(
                    seg.pk, log=False).members
            self.created["segments"] += 1
        return seg

    def campaign(self, name: str, slot: str, segments: list[Segment], priority: int,
                 *variants: Callable[[Campaign], Any], **fields: Any) -> None:
        if Campaign.objects.filter(name=name).exists():
            return
        campaign = Campaign.objects.create(name=name, slot=self.slots[slot], status="live",
                                           priority=priority, **fields)
        campaign.segments.set(segments)
        for make in variants:
            make(campaign)
        self.created["campaigns"] += 1


def _product_ids(category: str, count: int = 4) -> list[str]:
    return [str(pk) for pk in Product.objects.filter(category__slug=category, is_active=True)
            .order_by("pk").values_list("pk", flat=True)[:count]]


# -- the seed cases, in the order of DESIGN §1 ------------------------------------------------

def pet_shop(s: _Seeder, categories: dict[str, int]) -> None:
    """On the cat-litter category, a banner offers the litter scoop, never dog food."""
    seg = s.segment("viewing-cat-litter", "Viewing cat litter",
                    "Visitors looking at the cat litter category or a litter product.",
                    CurrentCategoryRule(category_ids=[str(categories["cat-litter"])]))
    s.campaign("Litter scoop next to the litter", "category_banner", [seg], 10,
               lambda c: BannerVariant.objects.create(
                   campaign=c, name="Scoop", headline="Don't forget the scoop",
                   body="A sturdy <strong>litter scoop</strong> makes the daily round twice "
                        "as quick.",
                   image_url=image("litter-scoop-with-stand"), image_alt="Litter scoop",
                   cta_label="See litter scoops", link="/c/litter-scoops/",
                   translations={"nl": {
                       "headline": "Vergeet het schepje niet",
                       "body": "Met een stevig <strong>kattenbakschepje</strong> is de "
                               "dagelijkse ronde twee keer zo snel klaar.",
                       "image_alt": "Kattenbakschepje",
                       "cta_label": "Bekijk de schepjes"}}))


def usual_order(s: _Seeder, categories: dict[str, int]) -> None:
    """A farmer's home page shows his usual order, with one-click reorder."""
    seg = s.segment("business-customers", "Business customers",
                    "Customers with a business (B2B) account, such as farms.",
                    CustomerGroupRule(business="b2b"))
    s.campaign("Your usual order", "usual_order", [seg], 10,
               lambda c: ProductListVariant.objects.create(
                   campaign=c, name="Buy again", title="Your usual order",
                   strategy="buy_again", limit=8,
                   translations={"nl": {"title": "Je vaste bestelling"}}))


def pizza_chain(s: _Seeder, categories: dict[str, int]) -> None:
    """Abandoned cart → "your cart is waiting"; lapsed → win-back code at checkout; the
    priority decides which popup a visitor in both segments sees."""
    abandoners = s.segment("cart-abandoners", "Cart abandoners",
                           "A cart left untouched for two hours or more, on a page other than "
                           "the cart and the checkout (where a reminder would be in the way).",
                           CartAbandonedRule(hours=2),
                           PathRule(pattern="^/(cart|checkout)/", negate=True))
    lapsed = s.segment("lapsed-customers", "Lapsed customers",
                       "Customers whose last order is more than 90 days old.",
                       DaysSinceLastOrderRule(minimum=90))
    s.campaign("Your cart is waiting", "site_popup", [abandoners], PRIORITY_CART_WAITING,
               lambda c: PopupVariant.objects.create(
                   campaign=c, name="Cart reminder", title="Your cart is waiting",
                   body="<p>The things you chose are still in your cart. Complete your order "
                        "before they are gone.</p>",
                   image_url=image("pizza-margherita"), cta_label="Back to my cart",
                   link="/cart/", trigger="load",
                   translations={"nl": {
                       "title": "Je winkelwagen wacht op je",
                       "body": "<p>Wat je koos ligt nog in je winkelwagen. Rond je bestelling "
                               "af voordat het op is.</p>",
                       "cta_label": "Terug naar mijn winkelwagen"}}))
    s.campaign("We miss you", "site_popup", [lapsed], PRIORITY_WIN_BACK,
               lambda c: PopupVariant.objects.create(
                   campaign=c, name="Win-back", title="We miss you! 15% off your next order",
                   body="<p>Your personal code is waiting for you at checkout.</p>",
                   image_url=image("pizza-pepperoni"), cta_label="Order pizza",
                   link="/c/pizzas/", trigger="delay", delay_seconds=2,
                   translations={"nl": {
                       "title": "We missen je! 15% korting op je volgende bestelling",
                       "body": "<p>Je persoonlijke code ligt voor je klaar bij het afrekenen."
                               "</p>",
                       "cta_label": "Bestel pizza"}}))
    s.campaign("Win-back code", "checkout_discount", [lapsed], 10,
               lambda c: DiscountVariant.objects.create(
                   campaign=c, name="15% single-use", mode="generated",
                   percent=Decimal("15"), valid_days=14,
                   message="We missed you! Your personal 15% code is filled in.",
                   translations={"nl": {
                       "message": "We hebben je gemist! Je persoonlijke code voor 15% korting "
                                  "is al ingevuld."}}))


def holiday_rentals(s: _Seeder, categories: dict[str, int]) -> None:
    """A popup with images of the part of the shop the visitor browsed (or bought) most."""
    interests = [
        # A category rule covers the categories below: "cats" is litter, boxes, food ...
        ("likes-cats", "Likes cats", ("cats",),
         "More for your cat", "adult-cat-dry-food-chicken-2-kg", "/c/cats/", "delay",
         "Meer voor je kat"),
        ("likes-pizza", "Likes pizza", ("pizzas", "toppings"),
         "Pizza night?", "pizza-quattro-formaggi", "/c/pizzas/", "scroll", "Pizza-avond?"),
        ("likes-fashion", "Likes fashion", ("t-shirts", "cardigans", "jeans"),
         "New in: knitwear", "chunky-knit-cardigan-cream", "/c/cardigans/", "exit",
         "Nieuw: breiwerk"),
    ]
    for slug, name, cats, title, picture, link, trigger, title_nl in interests:
        seg = s.segment(slug, name, f"At least 40% of what the visitor viewed or bought is in "
                        f"{', '.join(cats)}.",
                        CategoryAffinityRule(category_ids=[str(categories[c]) for c in cats],
                                             min_share=40))
        s.campaign(f"Interest popup: {name.lower()}", "site_popup", [seg], PRIORITY_INTEREST,
                   lambda c, title=title, picture=picture, link=link, trigger=trigger,
                   title_nl=title_nl: PopupVariant.objects.create(
                       campaign=c, name=title, title=title, image_url=image(picture),
                       body="<p>Picked from the part of the shop you visit most.</p>",
                       cta_label="Take a look", link=link, trigger=trigger,
                       delay_seconds=3, scroll_percent=40,
                       translations={"nl": {
                           "title": title_nl,
                           "body": "<p>Gekozen uit het deel van de winkel waar je het vaakst "
                                   "komt.</p>",
                           "cta_label": "Neem een kijkje"}}),
                   cap_impressions=3, cap_period_hours=24)


def field_insertion(s: _Seeder, categories: dict[str, int]) -> None:
    """ "Hallo Anna" for a known visitor, a neutral greeting otherwise."""
    seg = s.segment("known-customers", "Known customers", "Visitors who are logged in.",
                    LoggedInRule())
    s.campaign("Personal greeting", "greeting", [seg], 0,
               lambda c: TextVariant.objects.create(
                   campaign=c, name="Hallo", text="Hallo {{ first_name }}!",
                   fallback="Welcome back!",
                   translations={"nl": {"fallback": "Welkom terug!"}}))


def t_shirt_buyers(s: _Seeder, categories: dict[str, int]) -> None:
    """The segment that bought t-shirts is recommended cardigans."""
    seg = s.segment("t-shirt-buyers", "T-shirt buyers", "Customers who bought a t-shirt.",
                    PurchasedRule(category_ids=[str(categories["t-shirts"])]))
    s.campaign("Cardigans for t-shirt buyers", "home_products", [seg], 5,
               lambda c: ProductListVariant.objects.create(
                   campaign=c, name="Cardigans", title="Cardigans to go with your t-shirts",
                   strategy="manual", product_ids=_product_ids("cardigans"), limit=4,
                   translations={"nl": {"title": "Vesten bij je T-shirts"}}))


def bargain_hunters(s: _Seeder, categories: dict[str, int]) -> None:
    """Visitors who used codes before see the sale banner."""
    seg = s.segment("bargain-hunters", "Bargain hunters",
                    "Customers who used a discount code in two or more orders.",
                    UsedDiscountCodeRule(minimum=2))
    s.campaign("Sale banner for bargain hunters", "home_hero", [seg], 10,
               lambda c: BannerVariant.objects.create(
                   campaign=c, name="Sale", headline="Sale: 20% off all pizzas this week",
                   body="Use code <strong>PIZZA20</strong> at checkout. You like a good deal, "
                        "so you hear it first.",
                   image_url=image("pizza-hawaii"), image_alt="Pizza Hawaii",
                   cta_label="See the pizzas", link="/c/pizzas/",
                   translations={"nl": {
                       "headline": "Uitverkoop: 20% korting op alle pizza's deze week",
                       "body": "Gebruik code <strong>PIZZA20</strong> bij het afrekenen. Je "
                               "houdt van een koopje, dus jij hoort het als eerste.",
                       "cta_label": "Bekijk de pizza's"}}))


def weather(s: _Seeder, categories: dict[str, int]) -> None:
    """A popup that depends on the temperature in the visitor's country."""
    warm = s.segment("warm-weather", "Warm weather", "Visitors where it is 15 °C or warmer.",
                     TemperatureRule(minimum=Decimal("15")))
    cold = s.segment("cold-weather", "Cold weather", "Visitors where it is 5 °C or colder.",
                     TemperatureRule(maximum=Decimal("5")))
    s.campaign("Warm weather: t-shirts", "site_popup", [warm], PRIORITY_WEATHER,
               lambda c: PopupVariant.objects.create(
                   campaign=c, name="Sunny", title="Sunny where you are? Light t-shirts",
                   body="<p>Organic cotton t-shirts, delivered tomorrow.</p>",
                   image_url=image("basic-t-shirt-white"), cta_label="See t-shirts",
                   link="/c/t-shirts/", trigger="load",
                   translations={"nl": {
                       "title": "Zonnig waar je bent? Luchtige T-shirts",
                       "body": "<p>T-shirts van biologisch katoen, morgen in huis.</p>",
                       "cta_label": "Bekijk T-shirts"}}))
    s.campaign("Cold weather: cardigans", "site_popup", [cold], PRIORITY_WEATHER,
               lambda c: PopupVariant.objects.create(
                   campaign=c, name="Cold", title="Cold out there? Warm cardigans",
                   body="<p>Merino and chunky knits to keep you warm.</p>",
                   image_url=image("merino-cardigan-grey"), cta_label="See cardigans",
                   link="/c/cardigans/", trigger="load",
                   translations={"nl": {
                       "title": "Koud buiten? Warme vesten",
                       "body": "<p>Merinowol en grof breiwerk houden je warm.</p>",
                       "cta_label": "Bekijk vesten"}}))


def recommendations(s: _Seeder, categories: dict[str, int]) -> None:
    """Bought together on product pages; popular among cat people on the home page."""
    s.campaign("Frequently bought together", "product_recommendations", [], 0,
               lambda c: ProductListVariant.objects.create(
                   campaign=c, name="Together", title="Often bought together",
                   strategy="bought_together", limit=4,
                   translations={"nl": {"title": "Vaak samen gekocht"}}))
    cat_people = s.segment(
        "cat-people", "Cat people", "Customers who bought for cats (refreshed from orders).",
        PurchasedRule(category_ids=[str(categories["cats"])]),  # and all below it
        kind="computed")
    s.campaign("Popular with cat people", "home_products", [cat_people], 3,
               lambda c: ProductListVariant.objects.create(
                   campaign=c, name="Popular", title="Popular with other cat lovers",
                   strategy="popular_in_segment", limit=8,
                   translations={"nl": {"title": "Populair bij andere kattenliefhebbers"}}))


def search(s: _Seeder, categories: dict[str, int]) -> None:
    """Search results re-ranked by the visitor's category affinity."""
    s.campaign("Search by interest", "search_results", [], 0,
               lambda c: ProductListVariant.objects.create(
                   campaign=c, name="Affinity", title="", strategy="affinity_sort",
                   limit=48))


CASES: list[Callable[[_Seeder, dict[str, int]], None]] = [
    pet_shop, usual_order, pizza_chain, holiday_rentals, field_insertion, t_shirt_buyers,
    bargain_hunters, weather, recommendations, search,
]
