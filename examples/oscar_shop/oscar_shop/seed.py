"""A few products, a sales rep with a business customer, and campaigns on Oscar's pages.

Idempotent: ``python manage.py seed_oscar_shop`` may run again and changes nothing then.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from django.core.management import call_command
from oscar.apps.catalogue.categories import create_from_breadcrumbs
from oscar.core.loading import get_model

from personalization.engine import rulebook
from personalization.models import (
    BannerVariant,
    Campaign,
    DiscountVariant,
    RepAlertSettings,
    Segment,
    Slot,
)
from personalization.privacy.consent import ensure_purposes
from personalization.rules import CartContainsRule, OrderCountRule

PRODUCTS = [  # title, category path, price
    ("Cat food 2 kg", "Pets > Cats", "12.95"),
    ("Cat litter 10 l", "Pets > Cats", "8.50"),
    ("Dog biscuits", "Pets > Dogs", "5.95"),
    ("Dog lead", "Pets > Dogs", "14.00"),
]


def seed() -> dict[str, Any]:
    """Create what the example shows; returns the objects tests refer to by name."""
    Product, ProductClass = get_model("catalogue", "Product"), get_model("catalogue",
                                                                            "ProductClass")
    Partner, StockRecord = get_model("partner", "Partner"), get_model("partner", "StockRecord")
    get_model("address", "Country").objects.get_or_create(iso_3166_1_a2="NL", defaults={
        "iso_3166_1_a3": "NLD", "iso_3166_1_numeric": "528", "name": "Netherlands",
        "printable_name": "Netherlands", "is_shipping_country": True})
    Site.objects.update_or_create(pk=1, defaults={"domain": "127.0.0.1:8001",
                                                  "name": "Oscar example shop"})
    kind, _ = ProductClass.objects.get_or_create(name="Pet supplies", defaults={
        "requires_shipping": True, "track_stock": True})
    partner, _ = Partner.objects.get_or_create(name="Example partner")
    products, categories = {}, {}
    for title, path, price in PRODUCTS:
        category = create_from_breadcrumbs(path)
        categories[category.name] = category
        product = Product.objects.filter(title=title).first()
        if product is None:
            product = Product.objects.create(title=title, product_class=kind,
                                             structure=Product.STANDALONE)
            product.categories.add(category)
            StockRecord.objects.create(product=product, partner=partner,
                                       partner_sku=f"SKU-{product.pk}", price=Decimal(price),
                                       price_currency="EUR", num_in_stock=100)
        products[title] = product
    categories["Pets"] = categories["Cats"].get_ancestors().get()

    User = get_user_model()
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@example.com", "admin")
    rep, jan = _rep_and_customer()

    hero = _slot("home_hero", "Catalogue hero", "banner")
    _slot("site_popup", "Popup on every page", "popup")  # oscar/base.html declares it
    cats = _segment("cat-basket", "Cat food or litter in the basket")
    if not cats.rules.exists():
        CartContainsRule.objects.create(segment=cats, category_ids=str(categories["Cats"].pk))
    cat_campaign = _campaign("Cat lovers' hero", hero, [cats])
    if not cat_campaign.variants.exists():
        BannerVariant.objects.create(campaign=cat_campaign,
                                     headline="Your cat will love our scratching posts",
                                     body="Free delivery on cat supplies this week.")
    # Its texts for Dutch shoppers (also given to a shop seeded before they existed).
    for variant in BannerVariant.objects.filter(campaign=cat_campaign, translations={}):
        variant.translations = {"nl": {"headline": "Je kat is dol op onze krabpalen",
                                       "body": "Deze week gratis bezorging van alles voor "
                                               "je kat."}}
        variant.save()
    loyal = Segment.objects.get_or_create(slug="loyal", defaults={
        "name": "Loyal customers (2+ orders)", "kind": Segment.Kind.COMPUTED})[0]
    if not loyal.rules.exists():
        OrderCountRule.objects.create(segment=loyal, minimum=2)
    welcome = _campaign("Welcome voucher", _slot("checkout_discount", "Basket voucher",
                                                 "discount"), [])
    if not welcome.variants.exists():
        DiscountVariant.objects.create(campaign=welcome, mode="generated",
                                       percent=Decimal("10"), valid_days=14)
    RepAlertSettings.load()
    ensure_purposes()  # made by a migration; back after a test flushed the tables
    rulebook.invalidate()
    # Oscar lists products from its search index; entries of deleted products go.
    call_command("update_index", remove=True, verbosity=0)
    return {"products": products, "categories": categories, "rep": rep, "jan": jan,
            "cat_campaign": cat_campaign, "welcome": welcome, "loyal": loyal}


def _rep_and_customer() -> tuple[Any, Any]:
    from oscar_shop.models import Account, SalesRep

    User = get_user_model()
    rep = SalesRep.objects.get_or_create(name="Pieter Mulder",
                                         defaults={"mobile": "+31612345678"})[0]
    jan = User.objects.filter(username="jan").first()
    if jan is None:
        jan = User.objects.create_user("jan", "jan@example.com", "demo",
                                       first_name="Jan", last_name="de Vries")
    Account.objects.get_or_create(user=jan, defaults={"company": "Hoeve De Vries",
                                                      "sales_rep": rep})
    return rep, jan


def _slot(key: str, name: str, kind: str) -> Slot:
    return Slot.objects.get_or_create(key=key, defaults={"name": name, "kind": kind})[0]


def _segment(slug: str, name: str) -> Segment:
    return Segment.objects.get_or_create(slug=slug, defaults={"name": name})[0]


def _campaign(name: str, slot: Slot, segments: list[Segment]) -> Campaign:
    campaign, created = Campaign.objects.get_or_create(name=name, slot=slot,
                                                       defaults={"status": "live"})
    if created and segments:
        campaign.segments.add(*segments)
    return campaign
