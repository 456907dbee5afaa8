"""The personalization part of the seed: the demo's slots and a few starter campaigns."""

from __future__ import annotations

from collections import Counter

from demo_shop.catalog.models import Category, Product
from personalization.models import (
    BannerVariant,
    Campaign,
    ProductListVariant,
    Segment,
    Slot,
    TextVariant,
)
from personalization.rules import CurrentCategoryRule, LoggedInRule, PurchasedRule

#: Every slot the demo templates declare: key, name, kind, where.
SLOTS = [
    ("home_hero", "Home page hero", "banner", "The big banner at the top of the home page."),
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


def seed_personalization(created: Counter) -> None:
    slots = {}
    for key, name, kind, description in SLOTS:
        slots[key], new = Slot.objects.get_or_create(
            key=key, defaults={"name": name, "kind": kind, "description": description})
        created["slots"] += new
    categories = dict(Category.objects.values_list("slug", "pk"))

    if not Segment.objects.filter(slug="viewing-cat-litter").exists():
        seg = Segment.objects.create(
            name="Viewing cat litter", slug="viewing-cat-litter",
            description="Visitors looking at the cat litter category or a litter product.")
        CurrentCategoryRule.objects.create(segment=seg,
                                           category_ids=[str(categories["cat-litter"])])
        campaign = Campaign.objects.create(
            name="Litter scoop next to the litter", slot=slots["category_banner"],
            status="live", priority=10)
        campaign.segments.set([seg])
        BannerVariant.objects.create(
            campaign=campaign, name="Scoop", headline="Don't forget the scoop",
            body="A sturdy <strong>litter scoop</strong> makes the daily round twice as quick.",
            cta_label="See litter scoops", link="/c/litter-scoops/")
        created["campaigns"] += 1

    if not Segment.objects.filter(slug="known-customers").exists():
        seg = Segment.objects.create(name="Known customers", slug="known-customers",
                                     description="Visitors who are logged in.")
        LoggedInRule.objects.create(segment=seg)
        campaign = Campaign.objects.create(name="Personal greeting", slot=slots["greeting"],
                                           status="live", priority=0)
        campaign.segments.set([seg])
        TextVariant.objects.create(campaign=campaign, name="Hallo",
                                   text="Hallo {{ first_name }}!", fallback="Welcome back!")
        created["campaigns"] += 1

    if not Segment.objects.filter(slug="t-shirt-buyers").exists():
        seg = Segment.objects.create(name="T-shirt buyers", slug="t-shirt-buyers",
                                     description="Customers who bought a t-shirt.")
        PurchasedRule.objects.create(segment=seg, category_ids=[str(categories["t-shirts"])])
        campaign = Campaign.objects.create(name="Cardigans for t-shirt buyers",
                                           slot=slots["home_products"], status="live",
                                           priority=5)
        campaign.segments.set([seg])
        cardigans = list(Product.objects.filter(category__slug="cardigans")
                         .order_by("pk").values_list("pk", flat=True)[:4])
        ProductListVariant.objects.create(
            campaign=campaign, name="Cardigans", title="Cardigans to go with your t-shirts",
            strategy="manual", product_ids=[str(pk) for pk in cardigans], limit=4)
        created["campaigns"] += 1
