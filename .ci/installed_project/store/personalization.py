"""The shop's commerce adapter, written from docs/adapter.md: the session cart, the category
tree, and orders without discount codes (``discount_code=None``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django.utils.dateparse import parse_datetime

from personalization.adapters import CartLine, CartSnapshot, CommerceAdapter, OrderFields

CATALOG_KEY = "store:catalog"


class ShopAdapter(CommerceAdapter):
    order_fields = OrderFields(
        customer="customer", created="placed_at", total="total",
        discount_code=None,  # this shop has no discount codes
        line="lines", product="lines__product", category="lines__product__category")

    def ready(self) -> None:
        from store.models import Category, Product

        for model in (Product, Category):
            post_save.connect(_drop_catalog, sender=model, dispatch_uid=f"store_{model}_s")
            post_delete.connect(_drop_catalog, sender=model, dispatch_uid=f"store_{model}_d")

    def cart(self, request: HttpRequest) -> CartSnapshot:
        session = getattr(request, "session", None)
        items = session.get("cart") if session is not None else None
        if not items:
            return CartSnapshot()
        prices, parents, categories = _catalog()
        lines = tuple(CartLine(product_id=int(pid), quantity=int(qty),
                               category_ids=_chain(categories[int(pid)], parents),
                               price=prices[int(pid)])
                      for pid, qty in items.items() if int(pid) in prices)
        updated = session.get("cart_updated_at")
        return CartSnapshot(lines=lines, updated_at=parse_datetime(updated) if updated else None)

    def current_category(self, request: HttpRequest) -> tuple[int, ...]:
        category = getattr(request, "shop_category", None)
        return _chain(category.pk, _catalog()[1]) if category is not None else ()

    def orders(self) -> QuerySet:
        from store.models import Order

        return Order.objects.filter(customer__isnull=False)

    def customers(self) -> QuerySet:
        return get_user_model().objects.filter(is_active=True, is_staff=False)

    def products(self, ids: list[int]) -> list[Any]:
        from store.models import Product

        found = Product.objects.in_bulk(ids)
        return [found[i] for i in ids if i in found]


def _catalog() -> tuple[dict[int, Decimal], dict[int, int | None], dict[int, int]]:
    """Prices, category parents and each product's category: one cache read when warm."""
    data = cache.get(CATALOG_KEY)
    if data is None:
        from store.models import Category, Product

        rows = list(Product.objects.values_list("pk", "price", "category_id"))
        data = ({pk: price for pk, price, _c in rows},
                dict(Category.objects.values_list("pk", "parent_id")),
                {pk: category for pk, _p, category in rows})
        cache.set(CATALOG_KEY, data, 3600)
    return data


def _chain(category_id: int, parents: dict[int, int | None]) -> tuple[int, ...]:
    chain: list[int] = []
    current: int | None = category_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return tuple(chain)


def _drop_catalog(**kwargs: Any) -> None:
    cache.delete(CATALOG_KEY)
