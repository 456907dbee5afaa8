"""The demo shop's commerce adapter: how personalization sees this shop."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache as django_cache
from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django.urls import reverse
from django.utils.dateparse import parse_datetime

from personalization import signals as pz_signals
from personalization.adapters import (
    CartLine,
    CartSnapshot,
    CommerceAdapter,
    CustomerFields,
    OrderFields,
    OrderSummary,
    RepContact,
)
from personalization.cache import SafeCache

CATALOG_VERSION_KEY = "demo:catalog:version"
#: The pages where a purchase is under way: no popup opens there unless allowed.
CHECKOUT_URL_NAMES = frozenset({"cart", "checkout"})


def _category_of_url(request: HttpRequest) -> int | None:
    """The category of a category or product page, by the slug in its resolved URL (one
    query; only where no view noted it)."""
    from demo_shop.catalog.models import Category, Product

    match = getattr(request, "resolver_match", None)
    slug = match.kwargs.get("slug") if match is not None else None
    if slug is None or match.url_name not in ("category", "product"):
        return None
    if match.url_name == "category":
        return Category.objects.filter(slug=slug).values_list("pk", flat=True).first()
    return Product.objects.filter(slug=slug).values_list("category_id", flat=True).first()

#: The catalog's version number; a cache that is down reads as "reload from the database".
cache = SafeCache(django_cache)


class DemoCommerceAdapter(CommerceAdapter):
    """Reads the session cart, the catalog and the orders of ``demo_shop``."""

    order_fields = OrderFields(
        customer="user", created="created_at", total="total", discount_code="discount_code",
        line="lines", product="lines__product", category="lines__product__category")
    customer_fields = CustomerFields(
        group="customer_profile__customer_group",
        b2b=Q(customer_profile__account__kind="b2b"))

    def ready(self) -> None:
        from demo_shop.catalog.models import Category, Product
        from demo_shop.orders.signals import order_placed

        order_placed.connect(_forward_order, dispatch_uid="demo_pz_order_placed")
        for model in (Product, Category):
            post_save.connect(_drop_catalog, sender=model, dispatch_uid=f"demo_pz_{model}_s")
            post_delete.connect(_drop_catalog, sender=model, dispatch_uid=f"demo_pz_{model}_d")

    # -- the request ----------------------------------------------------------------------
    def cart(self, request: HttpRequest) -> CartSnapshot:
        session = getattr(request, "session", None)
        if session is None:
            return CartSnapshot()
        return _snapshot(session)

    def customer_cart(self, user: Any) -> CartSnapshot | None:
        """The cart kept with the customer (saved whenever he changes it logged in), else
        the one in his latest session: the one his previewed cart pages show too."""
        from demo_shop.orders.preview import customer_cart_data

        return _snapshot(customer_cart_data(user.pk))

    def sample_cart(self) -> CartSnapshot:
        from demo_shop.orders.preview import sample_cart_data

        return _snapshot(sample_cart_data())

    def saved_carts(self) -> QuerySet:
        from demo_shop.orders.models import SavedCart

        return SavedCart.objects.all()

    def restore_cart(self, request: HttpRequest, user: Any) -> str:
        from demo_shop.orders.cart import Cart, CartError
        from demo_shop.orders.models import SavedCart

        saved = SavedCart.objects.filter(user=user).first()
        if saved is not None:  # his quantities, however often the link is opened
            cart = Cart(request)
            for pid, qty in saved.items.items():
                try:
                    cart.update(int(pid), int(qty))
                except CartError:
                    continue  # no longer sold, or fewer in stock: the rest is restored
        return reverse("cart")

    def customer_phone(self, user: Any) -> str:
        from demo_shop.customers.models import CustomerProfile

        profile = CustomerProfile.objects.filter(user=user).first()
        return str(profile.mobile or "") if profile is not None else ""

    def current_category(self, request: HttpRequest) -> tuple[int, ...]:
        """The category a page shows (with its parents): as the catalogue's views note it
        on the request, else from the URL (``explain --path``, where no view runs)."""
        category = getattr(request, "shop_category", None)
        pk = category.pk if category is not None else _category_of_url(request)
        if pk is None:
            return ()
        _prices, parents, _pc = _catalog()
        return _chain(pk, parents)

    def is_checkout(self, request: HttpRequest) -> bool:
        """The cart and checkout pages, by their URL names."""
        match = getattr(request, "resolver_match", None)
        return match is not None and match.url_name in CHECKOUT_URL_NAMES

    def category_descendants(self, ids: frozenset[int]) -> frozenset[int]:
        """The categories and every category nested below them, from the cached catalog."""
        _prices, parents, _pc = _catalog()
        return frozenset(pk for pk in parents if not ids.isdisjoint(_chain(pk, parents))) | ids

    # -- sets and history -----------------------------------------------------------------
    def orders(self) -> QuerySet:
        from demo_shop.orders.models import Order

        return Order.objects.placed().filter(user__isnull=False)

    def customers(self) -> QuerySet:
        """Active shoppers: staff (the merchant, reps entering orders) are not customers."""
        return get_user_model().objects.filter(is_active=True, is_staff=False)

    def customer_attributes(self, user: Any) -> dict[str, Any]:
        from demo_shop.customers.models import CustomerProfile

        profile = (CustomerProfile.objects.select_related("account")
                   .filter(user=user).first())
        attrs: dict[str, Any] = {"first_name": user.first_name, "last_name": user.last_name,
                                 "username": user.get_username()}
        if profile is not None:
            attrs.update(
                customer_group=profile.customer_group, city=profile.city,
                country=profile.country,
                is_b2b=bool(profile.account and profile.account.kind == "b2b"),
                account_id=profile.account_id,
                # The language messages to him are written in (journeys).
                language="nl" if profile.country in ("NL", "BE") else "en")
        return attrs

    def products(self, ids: list[int]) -> list[Any]:
        """The shop's own Product objects (templates render them with the product card)."""
        from demo_shop.catalog.models import Product

        found = {p.pk: p for p in Product.objects.filter(pk__in=ids, is_active=True)
                 .select_related("category")}
        return [p for p in (found.get(i) for i in ids) if p is not None]

    has_catalog_lookup = True

    def catalog_names(self, kind: str, ids: list[int]) -> dict[int, str]:
        rows = self._catalog_model(kind).objects.filter(pk__in=ids)
        if kind == "category":
            return {c.pk: _category_path(c) for c in rows.select_related("parent",
                                                                          "department")}
        from demo_shop.catalog.models import localized

        return dict(rows.values_list("pk", localized("name")))  # in the reader's language

    def search_catalog(self, kind: str, term: str, limit: int = 20) -> list[tuple[int, str]]:
        from demo_shop.catalog.models import localized

        rows = self._catalog_model(kind).objects.filter(
            Q(name__icontains=term) | Q(name_nl__icontains=term)).order_by(localized("name"))
        if kind == "category":
            return [(c.pk, _category_path(c))
                    for c in rows.select_related("parent", "department")[:limit]]
        return list(rows.values_list("pk", localized("name"))[:limit])

    @staticmethod
    def _catalog_model(kind: str) -> Any:
        from demo_shop.catalog.models import Category, Product

        return Category if kind == "category" else Product

    def recommend(self, strategy: str, ctx: Any, products: list, limit: int) -> list:
        """"Buy again": the customer's usual order with ``usual_quantity`` on each product,
        without what is already in his cart. Other strategies: the app's own answers."""
        if strategy != "buy_again" or ctx is None or not ctx.is_authenticated:
            return []
        from demo_shop.orders.usual import usual_order

        return usual_order(ctx.user, limit, exclude=ctx.cart.product_ids)

    def create_discount_code(self, *, prefix: str, percent: Decimal | None = None,
                             amount: Decimal | None = None, valid_days: int = 30,
                             single_use: bool = True, user: Any = None) -> str:
        from demo_shop.orders.discounts import create_single_use_code

        code = create_single_use_code(prefix, percent=percent, amount=amount,
                                      valid_days=valid_days, assigned_to=user,
                                      description="personalization campaign")
        return code.code

    def sales_rep_of_order(self, order: Any) -> Any:
        account = order.account
        return account.sales_rep if account is not None else None

    def rep_contact(self, rep: Any) -> RepContact:
        return RepContact(reference=str(rep.pk), name=rep.name, phone=str(rep.mobile),
                          user_id=rep.user_id)

    def order_summary(self, order: Any) -> OrderSummary:
        user = order.user
        customer = (user.get_full_name() or user.get_username()) if user else order.name
        return OrderSummary(
            reference=order.number, customer_name=customer or order.name,
            account_name=order.account.name if order.account_id else "",
            line_count=order.lines.count(), total=order.total,
            admin_path=order.get_admin_url(), entered_by_id=order.placed_by_id)


def _category_path(category: Any) -> str:
    """"Pets › Cats › Cat food": where a category sits, so a rule on a parent is chosen
    knowingly (it matches the categories below it too)."""
    return f"{category.department.display_name} › {category}"


def _chain(category_id: int, parents: dict[int, int | None]) -> tuple[int, ...]:
    chain, seen = [], set()
    current: int | None = category_id
    while current is not None and current not in seen:
        chain.append(current)
        seen.add(current)
        current = parents.get(current)
    return tuple(chain)


def _catalog() -> tuple[dict[int, Decimal], dict[int, int | None], dict[int, int]]:
    """Prices and categories of all products: a copy per process, checked against a version
    number in the cache (one small cache read, no query and no unpickling when warm)."""
    version = cache.get(CATALOG_VERSION_KEY)
    local = _Catalog.data
    if version is not None and local is not None and local[0] == version:
        return local[1]
    if version is None:
        cache.add(CATALOG_VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(CATALOG_VERSION_KEY)
    from demo_shop.catalog.models import Category, Product

    rows = list(Product.objects.values_list("pk", "price", "category_id"))
    data = (
        {pk: price for pk, price, _c in rows},
        dict(Category.objects.values_list("pk", "parent_id")),
        {pk: cat for pk, _p, cat in rows},
    )
    _Catalog.data = (version, data)
    return data


class _Catalog:
    data: tuple[str, Any] | None = None


def _drop_catalog(**kwargs: Any) -> None:
    cache.set(CATALOG_VERSION_KEY, uuid.uuid4().hex, None)


def _forward_order(sender: Any, order: Any, request: Any = None, **kwargs: Any) -> None:
    """The shop's order_placed becomes personalization's order_placed."""
    pz_signals.order_placed.send(
        sender=type(order), order=order, user=order.user, request=request, value=order.total,
        reference=order.number)


def _snapshot(session: Any) -> CartSnapshot:
    """The cart kept in a session (``cart``: product id → quantity, ``cart_updated_at``)."""
    items = session.get("cart") or {}
    if not items:
        return CartSnapshot()
    prices, parents, product_category = _catalog()
    lines = []
    for pid, qty in items.items():
        pid = int(pid)
        if pid in prices:
            lines.append(CartLine(product_id=pid,
                                  category_ids=_chain(product_category[pid], parents),
                                  quantity=int(qty), price=prices[pid]))
    updated = session.get("cart_updated_at")
    return CartSnapshot(lines=tuple(lines),
                        updated_at=parse_datetime(updated) if updated else None)
