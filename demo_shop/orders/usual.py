"""A customer's usual order: what he buys again and again, and how many of each."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from demo_shop.catalog.models import Product

from .models import Order, OrderLine

#: Orders older than this do not shape the usual order any more.
HISTORY_DAYS = 365
#: A product is "usual" when it was in at least this many orders.
MIN_ORDERS = 2


def usual_order(user: Any, limit: int = 8, exclude: Iterable[int] = ()) -> list[Product]:
    """Products the customer ordered repeatedly, most often first (then most recently),
    each with ``usual_quantity``: the quantity he ordered most often (on a tie, the
    latest if it is among them, else the largest).

    Out-of-stock products and the ids in ``exclude`` (e.g. the cart) are left out.
    Two queries, whatever the number of products.
    """
    since = timezone.now() - timedelta(days=HISTORY_DAYS)
    lines = (OrderLine.objects
             .filter(order__in=Order.objects.placed().filter(user=user, created_at__gte=since))
             .order_by("order__created_at")
             .values_list("product_id", "order_id", "order__created_at", "quantity"))
    orders: dict[int, set[int]] = defaultdict(set)
    last: dict[int, Any] = {}
    quantities: dict[int, Counter] = defaultdict(Counter)
    latest_quantity: dict[int, int] = {}
    for product_id, order_id, created_at, quantity in lines:
        orders[product_id].add(order_id)
        last[product_id] = created_at
        quantities[product_id][quantity] += 1
        latest_quantity[product_id] = quantity
    skip = set(exclude)
    ranked = sorted((pid for pid, seen in orders.items()
                     if len(seen) >= MIN_ORDERS and pid not in skip),
                    key=lambda pid: (-len(orders[pid]), -last[pid].timestamp(), pid))
    products = Product.objects.active().select_related("category").in_bulk(ranked)
    result = []
    for pid in ranked:
        product = products.get(pid)
        if product is None or not product.in_stock:
            continue
        counts = quantities[pid]
        top = max(counts.values())
        usual = latest_quantity[pid] if counts[latest_quantity[pid]] == top else max(
            q for q, n in counts.items() if n == top)
        product.usual_quantity = min(usual, product.stock)
        result.append(product)
        if len(result) >= limit:
            break
    return result
