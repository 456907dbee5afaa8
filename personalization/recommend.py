"""Product lists for ``{% personalized_products %}``: manual, affinity sort, history."""

from __future__ import annotations

from typing import Any

from .adapters import get_adapter
from .decide import Decision


def _category_of(product: Any) -> int | None:
    for attr in ("category_id", "category_ids"):
        value = getattr(product, attr, None)
        if isinstance(value, (list, tuple)):
            return value[0] if value else None
        if value is not None:
            return value
    return None


def affinity_sorted(products: list, affinity: dict[int, float]) -> list:
    """Products of the categories the visitor cares most about first; stable otherwise."""
    if not affinity:
        return list(products)
    return sorted(products, key=lambda p: -affinity.get(_category_of(p) or -1, 0.0))


def products_for(decision: Decision | None, ctx: Any, products: Any = None,
                 limit: int | None = None) -> list:
    """The list a product-list slot shows: the variant's strategy, or the given products."""
    given = list(products) if products is not None else []
    variant = decision.variant if decision is not None and decision.shows_variant else None
    if variant is None:
        items = given
    else:
        limit = limit or variant.limit
        strategy = variant.strategy
        if strategy == "manual":
            items = get_adapter().products([int(i) for i in variant.product_ids])
        elif strategy == "affinity_sort":
            items = affinity_sorted(given, ctx.category_affinity if ctx is not None else {})
        else:
            items = get_adapter().recommend(strategy, ctx, given, limit or 4) or given
    return items[:limit] if limit else items
