"""Plain contexts for the rule tests: the store's clock and a customer's history."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from personalization.adapters import CartLine, CartSnapshot
from personalization.testing import make_context

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 23, 18, 30, tzinfo=AMS)  # a Monday evening


def ctx(**facts):
    facts.setdefault("now", NOW)
    return make_context(**facts)


def customer(**fields):
    return {"order_count": 3, "total_spent": Decimal("120"), **fields}


def cart(*lines, updated_at=None):
    return CartSnapshot(lines=tuple(CartLine(product_id=p, category_ids=c, quantity=q,
                                             price=Decimal(price)) for p, c, q, price in lines),
                        updated_at=updated_at)
