"""The steps of "Adding the app to your shop", walked against the installed wheel by a shop
of its own (``store``: a category tree, products, a session cart, orders without discount
codes, and an adapter written from docs/adapter.md):

1. a wrong ``OrderFields`` path stops ``manage.py check`` with a message naming it (a correct
   one passes: CI runs ``check --fail-level WARNING`` before this script);
2. a campaign's banner shows to its audience, the default to everybody else, and a known
   customer (his order history read through the adapter) gets his campaign;
3. an order placed through the shop's checkout records the campaign's conversion (Celery
   eager) and leaves nothing waiting in the outbox;
4. a category page tells the adapter its category, and a rule on the parent category
   matches it.
"""
import os
import sys
from dataclasses import replace
from decimal import Decimal
from io import StringIO

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.base import SystemCheckError  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from store.models import Category, Order, OrderLine, Product  # noqa: E402
from store.personalization import ShopAdapter  # noqa: E402

import personalization  # noqa: E402
from personalization.models import (  # noqa: E402
    BannerVariant,
    Campaign,
    Event,
    OutboxMessage,
    Segment,
    Slot,
)
from personalization.rules import (  # noqa: E402
    CurrentCategoryRule,
    LoggedInRule,
    QueryParameterRule,
)
from personalization.testing import give_consent  # noqa: E402

assert "site-packages" in personalization.__file__, personalization.__file__


def step(text: str) -> None:
    print(f"- {text}")


# 1. A wrong OrderFields path fails `check` loudly (the shop meant "no discount codes").
class TypoAdapter(ShopAdapter):
    order_fields = replace(ShopAdapter.order_fields, discount_code="None")


with override_settings(PERSONALIZATION={**settings.PERSONALIZATION,
                                        "COMMERCE_ADAPTER": TypoAdapter}):
    try:
        call_command("check", stdout=StringIO(), stderr=StringIO())
    except SystemCheckError as exc:
        message = str(exc)
    else:
        sys.exit("check passed with order_fields.discount_code = 'None'")
assert "personalization.E014" in message, message
assert "TypoAdapter.order_fields.discount_code = 'None' is not a path on store.Order" in message
assert "Cannot resolve keyword 'None'" in message, message
call_command("check", stdout=StringIO())  # the shop's own adapter passes
step("a wrong OrderFields path stops `check` (E014); the shop's adapter passes")

# The shop's catalogue and a customer with an order.
pets = Category.objects.create(name="Pets")
cats = Category.objects.create(name="Cats", parent=pets)
litter = Product.objects.create(name="Cat litter", price=Decimal("12.50"), category=cats)
anna = get_user_model().objects.create_user("anna", password="x")
past = Order.objects.create(number="S00000", customer=anna, total=Decimal("12.50"))
OrderLine.objects.create(order=past, product=litter, quantity=1, price=litter.price)

# 2. Campaigns: one for ?promo=spring, one for known customers, one on the Pets tree.
slot = Slot.objects.create(key="home_hero", name="Home hero", kind="banner")


def campaign(name: str, headline: str, rule: object, priority: int) -> Campaign:
    segment = Segment.objects.create(name=name, slug=name.lower().replace(" ", "-"))
    rule.segment = segment
    rule.save()
    live = Campaign.objects.create(name=name, slot=slot, status="live", priority=priority)
    live.segments.add(segment)
    BannerVariant.objects.create(campaign=live, headline=headline)
    return live


spring = campaign("Spring", "Spring sale: 20% off", QueryParameterRule(name="promo",
                                                                       value="spring"), 30)
campaign("Members", "Welcome back, member", LoggedInRule(), 20)
campaign("Pet lovers", "Everything for your pet", CurrentCategoryRule(
    category_ids=[str(pets.pk)]), 10)

visitor = give_consent(Client())
promo = visitor.get("/?promo=spring")
assert promo.status_code == 200, promo.status_code
page = promo.content.decode()
assert "Spring sale: 20% off" in page and "Our default hero" not in page, page
plain = give_consent(Client()).get("/").content.decode()
assert "Our default hero" in plain and "Spring sale" not in plain, plain
assert "pz.js" in page and Client().get("/").status_code == 200
member = Client()
member.force_login(anna)
give_consent(member, user=anna)
assert "Welcome back, member" in member.get("/").content.decode()
explained = StringIO()
call_command("explain", "--user", "anna", "--slot", "home_hero", stdout=explained)
assert "Shows: campaign 'Members'" in explained.getvalue(), explained.getvalue()
step("the banner shows to ?promo=spring and to a known customer, the default to others")

# 3. The order of a visitor who saw the spring banner is its conversion (Celery eager).
visitor.post("/cart/add/", {"product_id": litter.pk, "quantity": 2})
placed = visitor.post("/checkout/")
assert placed.status_code == 200, placed.content
conversion = Event.objects.get(type="conversion", campaign=spring)
assert conversion.value == Decimal("25.00"), conversion.value
assert not OutboxMessage.objects.filter(done_at=None).exists(), "work left in the outbox"
step("an order records the campaign's conversion; nothing waits in the outbox")

# 4. A category page: the adapter gives Cats and its parent Pets.
cat_page = give_consent(Client()).get(f"/category/{cats.pk}/").content.decode()
assert "Everything for your pet" in cat_page, cat_page
step("a page of the Cats category matches a rule on Pets")

print(f"installed {personalization.__version__} from {personalization.__file__}: "
      "every step of adding the app to a shop of its own works")
sys.exit(0)
