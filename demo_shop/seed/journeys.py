"""The journeys part of the seed: an abandoned-cart e-mail, a win-back e-mail with a code,
a welcome, each in English and Dutch; Anna's cart left three hours ago, and Lisa, who has
not ordered for months."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from demo_shop.catalog.models import Product
from demo_shop.orders.models import SavedCart
from personalization.models import Journey

CART_EN = """<p>Hello {{ first_name }},</p>
<p>You left these in your cart:</p>
{{ cart }}
<p><a href="{{ cart_link }}">Back to my cart</a> (it opens on any device).</p>"""
CART_NL = """<p>Hallo {{ first_name }},</p>
<p>Dit ligt nog in je winkelwagen:</p>
{{ cart }}
<p><a href="{{ cart_link }}">Terug naar mijn winkelwagen</a> (werkt op elk apparaat).</p>"""
BACK_EN = """<p>Hello {{ first_name }},</p>
<p>We have not seen you for a while. Here is 15% off your next order:
<strong>{{ code }}</strong></p>
<p><a href="{{ shop_link }}">Visit the shop</a></p>"""
BACK_NL = """<p>Hallo {{ first_name }},</p>
<p>We hebben je een tijd niet gezien. Hier is 15% korting op je volgende bestelling:
<strong>{{ code }}</strong></p>
<p><a href="{{ shop_link }}">Naar de winkel</a></p>"""
WELCOME_EN = """<p>Welcome, {{ first_name }}!</p>
<p>Thank you for your first order. <a href="{{ shop_link }}">See what is new</a>.</p>"""
WELCOME_NL = """<p>Welkom, {{ first_name }}!</p>
<p>Bedankt voor je eerste bestelling. <a href="{{ shop_link }}">Bekijk wat er nieuw is</a>.</p>"""

JOURNEYS: list[dict[str, Any]] = [
    {"name": "Your cart is waiting", "trigger": Journey.Trigger.CART_ABANDONED, "hours": 2,
     "priority": 20,
     "subject": "{{ first_name }}, your cart is waiting", "body": CART_EN,
     "translations": {"nl": {"subject": "{{ first_name }}, je winkelwagen wacht",
                             "body": CART_NL}}},
    {"name": "We miss you", "trigger": Journey.Trigger.LAPSED, "lapsed_days": 60,
     "min_orders": 2, "priority": 10, "discount_percent": Decimal("15"),
     "subject": "We miss you, {{ first_name }}: 15% off", "body": BACK_EN,
     "translations": {"nl": {"subject": "We missen je, {{ first_name }}: 15% korting",
                             "body": BACK_NL}}},
    {"name": "Welcome", "trigger": Journey.Trigger.FIRST_ORDER, "hours": 1, "priority": 0,
     "subject": "Welcome to the shop, {{ first_name }}", "body": WELCOME_EN,
     "translations": {"nl": {"subject": "Welkom in de winkel, {{ first_name }}",
                             "body": WELCOME_NL}}},
]


def seed_journeys(users: dict[str, Any], created: Counter) -> None:
    """Create the journeys that are missing, enabled, without a holdout (so every persona
    gets his message in the tour; give one a holdout to measure it), each in English and
    Dutch, and Anna's cart."""
    for spec in JOURNEYS:
        spec = dict(spec)
        _journey, made = Journey.objects.get_or_create(
            name=spec.pop("name"), defaults={**spec, "enabled": True, "holdout_percent": 0})
        if made:
            created["journeys"] += 1
    anna = users.get("anna")
    if anna is not None and not SavedCart.objects.filter(user=anna).exists():
        products = list(Product.objects.active().filter(category__slug="pizzas")
                        .order_by("pk")[:2])
        SavedCart.objects.create(user=anna, items={str(p.pk): 1 for p in products},
                                 updated_at=timezone.now() - timedelta(hours=3))
        created["saved carts"] += 1
