"""The commerce adapter for django-oscar: how personalization sees an Oscar shop.

Name it in settings and nothing else is needed for Oscar's own models::

    PERSONALIZATION = {
        "COMMERCE_ADAPTER": "personalization.contrib.oscar.adapter.OscarCommerceAdapter",
    }

What it reads (all through ``oscar.core.loading.get_model``, so forked apps work):

- the cart: ``request.basket``, the basket Oscar's own middleware loads for its header;
- categories: the product–category many-to-many, a variant's categories being its
  parent's, and the tree's ancestors (treebeard paths), from one cached map of the catalog;
- orders and their lines; a code used on an order is an ``OrderDiscount.voucher_code``;
- discount codes: single-use Oscar vouchers, validated and applied by Oscar's basket;
- placed orders: Oscar's ``order_placed`` signal, forwarded with the request being served.

Oscar has no sales reps; a shop that has them sets :attr:`sales_rep_attribute` (see
``docs/adapter.md``).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import DEFAULT_CACHE_ALIAS
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext

from personalization import signals as pz_signals
from personalization.adapters import (
    CartLine,
    CartSnapshot,
    CommerceAdapter,
    CustomerFields,
    OrderFields,
    OrderSummary,
    SavedCartFields,
)
from personalization.cache import SafeCache

CATALOG_KEY = "pz:oscar:catalog"
CATALOG_SECONDS = 60 * 60
#: Oscar's catalogue URL names whose ``pk`` is a category, and a product.
CATEGORY_URL, PRODUCT_URL = "category", "detail"

cache = SafeCache(DEFAULT_CACHE_ALIAS)


def _model(app_label: str, name: str) -> Any:
    from oscar.core.loading import get_model

    return get_model(app_label, name)


class OscarCommerceAdapter(CommerceAdapter):
    """Reads Oscar's basket, catalogue, orders and vouchers. Subclass it for what Oscar does
    not know (sales reps, customer groups)."""

    order_fields = OrderFields(
        customer="user", created="date_placed", total="total_incl_tax",
        discount_code="discounts__voucher_code", line="lines", product="lines__product",
        # A variant (child product) has no categories of its own: its parent's count.
        category=("lines__product__categories", "lines__product__parent__categories"))
    #: Oscar has no customer groups. A shop that keeps them sets this (the ORM path from a
    #: user to his group) and ``customer_attributes()["customer_group"]`` in a subclass.
    customer_fields = CustomerFields(group="")
    #: Baskets of known customers that are open and hold lines (abandoned-cart journeys).
    saved_cart_fields = SavedCartFields(customer="owner", updated="pz_updated")
    #: Dotted attribute path from an order's user to his sales rep (e.g.
    #: ``"account.sales_rep"``), for the rep's SMS; None: Oscar shops have no reps.
    sales_rep_attribute: str | None = None

    def ready(self) -> None:
        from oscar.apps.order.signals import order_placed

        order_placed.connect(_forward_order, dispatch_uid="pz_oscar_order_placed")
        Product, Category = _model("catalogue", "Product"), _model("catalogue", "Category")
        ProductCategory = _model("catalogue", "ProductCategory")
        for model in (Product, Category, ProductCategory):
            post_save.connect(_drop_catalog, sender=model, dispatch_uid=f"pz_oscar_{model}_s")
            post_delete.connect(_drop_catalog, sender=model,
                                dispatch_uid=f"pz_oscar_{model}_d")
        m2m_changed.connect(_drop_catalog, sender=Product.categories.through,
                            dispatch_uid="pz_oscar_product_categories")

    # -- the request ----------------------------------------------------------------------
    def cart(self, request: HttpRequest) -> CartSnapshot:
        """The basket Oscar's middleware loaded for this request (its lines are read once
        per request and shared with Oscar's own header), with each line's categories from
        the cached catalog map."""
        basket = getattr(request, "basket", None)
        if basket is None or getattr(basket, "id", None) is None:
            return CartSnapshot()
        return self._snapshot(basket)

    def _snapshot(self, basket: Any) -> CartSnapshot:
        catalog = _catalog()
        lines, updated = [], None
        for line in basket.all_lines():
            try:
                price = line.unit_effective_price
            except Exception:  # no strategy on a basket loaded outside a request
                price = line.price_incl_tax if line.price_incl_tax is not None else \
                    line.price_excl_tax
            lines.append(CartLine(product_id=line.product_id,
                                  category_ids=_product_categories(line.product_id, catalog),
                                  quantity=line.quantity,
                                  price=Decimal(price if price is not None else 0)))
            stamp = line.date_updated or line.date_created
            updated = stamp if updated is None or (stamp and stamp > updated) else updated
        return CartSnapshot(lines=tuple(lines), updated_at=updated)

    def customer_cart(self, user: Any) -> CartSnapshot | None:
        Basket = _model("basket", "Basket")
        basket = Basket.open.filter(owner=user).order_by("-id").first()
        if basket is None:
            return CartSnapshot()
        return self._snapshot(basket)

    def saved_carts(self) -> QuerySet:
        from django.db.models import Max

        Basket = _model("basket", "Basket")
        return (Basket.open.filter(owner__isnull=False, lines__isnull=False)
                .annotate(pz_updated=Max("lines__date_updated")))

    def restore_cart(self, request: HttpRequest, user: Any) -> str:
        """Oscar keeps a customer's basket with his account: signing in brings it back, so
        the link leads to the basket page (Oscar asks him to sign in if he is not)."""
        return reverse("basket:summary")

    def current_category(self, request: HttpRequest) -> tuple[int, ...]:
        """From the URL Oscar resolved: a category page's category, or a product page's
        product's categories; with their ancestors, nearest first. No query."""
        match = getattr(request, "resolver_match", None)
        if match is None or "catalogue" not in (match.namespaces or ()):
            return ()
        try:
            pk = int(match.kwargs.get("pk"))
        except (TypeError, ValueError):
            return ()
        catalog = _catalog()
        if match.url_name == CATEGORY_URL:
            return _chain(pk, catalog)
        if match.url_name == PRODUCT_URL:
            return _product_categories(pk, catalog)
        return ()

    def checkout_paths(self) -> tuple[str, ...]:
        return (reverse("basket:summary"), reverse("checkout:index"))

    def is_checkout(self, request: HttpRequest) -> bool:
        """Oscar's basket and checkout views, by the URL namespace Oscar resolved (forked
        apps and translated URL prefixes included)."""
        match = getattr(request, "resolver_match", None)
        if match is None:
            return super().is_checkout(request)
        return not {"basket", "checkout"}.isdisjoint(match.namespaces or ())

    def category_descendants(self, ids: frozenset[int]) -> frozenset[int]:
        """The categories and all below them in the tree (treebeard paths), from the
        cached catalog map."""
        paths = _catalog()["paths"]
        prefixes = tuple(paths[i] for i in ids if i in paths)
        return frozenset(pk for pk, path in paths.items() if path.startswith(prefixes)) | ids

    def product_categories(self, products: list) -> list[int | None]:
        catalog = _catalog()  # one cache read for the whole list
        return [next(iter(_product_categories(getattr(p, "pk", None), catalog)), None)
                for p in products]

    # -- sets and history -----------------------------------------------------------------
    def orders(self) -> QuerySet:
        return _model("order", "Order").objects.filter(user__isnull=False)

    def customers(self) -> QuerySet:
        return get_user_model().objects.filter(is_active=True, is_staff=False)

    def customer_attributes(self, user: Any) -> dict[str, Any]:
        attrs: dict[str, Any] = {"first_name": user.first_name, "last_name": user.last_name,
                                 "username": user.get_username()}
        address = (_model("address", "UserAddress").objects
                   .filter(user=user).order_by("-is_default_for_shipping", "-id").first())
        if address is not None:
            attrs.update(city=address.line4, country=address.country_id)
        return attrs

    def products(self, ids: list[int]) -> list:
        """Oscar's own product objects (its templates render them), public ones only, in
        the order given."""
        Product = _model("catalogue", "Product")
        found = (Product.objects.filter(pk__in=ids, is_public=True)
                 .prefetch_related("images").in_bulk())
        out = [found[i] for i in ids if i in found]
        for product in out:  # what journey e-mails and reasons read of any product
            product.name = product.get_title()
            images = list(product.images.all())
            product.image_url = images[0].original.url if images else ""
        return out

    has_catalog_lookup = True

    def catalog_names(self, kind: str, ids: list[int]) -> dict[int, str]:
        if kind == "category":
            return _category_paths(_model("catalogue", "Category").objects.filter(pk__in=ids))
        return dict(_model("catalogue", "Product").objects.filter(pk__in=ids)
                    .values_list("pk", "title"))

    def search_catalog(self, kind: str, term: str, limit: int = 20) -> list[tuple[int, str]]:
        if kind == "category":
            qs = _model("catalogue", "Category").objects.filter(name__icontains=term)
            found = _category_paths(qs.order_by("name")[:limit])
            return sorted(found.items(), key=lambda item: item[1])
        qs = _model("catalogue", "Product").objects.filter(title__icontains=term)
        return list(qs.order_by("title").values_list("pk", "title")[:limit])

    def recommend(self, strategy: str, ctx: Any, products: list, limit: int) -> list:
        """``buy_again``: the products of the customer's orders, most recently bought
        first, without those in his basket (two queries)."""
        if strategy != "buy_again" or not getattr(ctx, "user_id", None):
            return []
        Line = _model("order", "Line")
        in_cart = ctx.cart.product_ids
        ids: list[int] = []
        rows = (Line.objects.filter(order__user_id=ctx.user_id, product__isnull=False)
                .order_by("-order__date_placed").values_list("product_id", flat=True)[:200])
        for pid in rows:
            if pid not in ids and pid not in in_cart:
                ids.append(pid)
        return self.products(ids[:limit])

    # -- discount codes -------------------------------------------------------------------
    def create_discount_code(self, *, prefix: str, percent: Decimal | None = None,
                             amount: Decimal | None = None, valid_days: int = 30,
                             single_use: bool = True, user: Any = None) -> str:
        """An Oscar voucher for all products: ``percent`` or ``amount`` off the basket,
        single-use (or usable by anyone) until ``valid_days`` from now. Oscar's basket
        validates and applies it like any voucher made in its dashboard."""
        Range = _model("offer", "Range")
        Benefit, Condition = _model("offer", "Benefit"), _model("offer", "Condition")
        ConditionalOffer, Voucher = _model("offer", "ConditionalOffer"), _model("voucher",
                                                                              "Voucher")
        kind, value = ((Benefit.PERCENTAGE, Decimal(percent)) if percent is not None
                       else (Benefit.FIXED, Decimal(amount or 0)))
        off = f"{value.normalize():f}%" if percent is not None else f"{value:.2f}"  # English
        with transaction.atomic():
            everything, _ = Range.objects.get_or_create(
                name="All products (personalization)",
                defaults={"includes_all_products": True})
            benefit, _ = Benefit.objects.get_or_create(range=everything, type=kind,
                                                       value=value)
            condition, _ = Condition.objects.get_or_create(range=everything,
                                                           type=Condition.COUNT, value=1)
            offer, _ = ConditionalOffer.objects.get_or_create(
                name=f"{prefix} {off} off (personalization)",
                defaults={"offer_type": ConditionalOffer.VOUCHER, "condition": condition,
                          "benefit": benefit})
            code = f"{prefix}-{secrets.token_hex(4)}".upper()
            now = timezone.now()
            voucher = Voucher.objects.create(
                name=code, code=code,  # named below, once it has a number
                usage=Voucher.SINGLE_USE if single_use else Voucher.MULTI_USE,
                start_datetime=now, end_datetime=now + timedelta(days=valid_days))
            # Oscar shows "<name> (<code>)"; a name must be unique, so it carries the
            # voucher's number, not the code again. Stored in the shopper's language at the
            # time (Oscar's dashboard shows it); the basket names it in the language of each
            # page (voucher_name), since a visitor keeps his code when he changes language.
            voucher.name = _voucher_name(kind == Benefit.PERCENTAGE, value, voucher.pk)
            voucher.save(update_fields=["name"])
            voucher.offers.add(offer)
        return voucher.code

    def voucher_name(self, voucher: Any) -> str:
        """A voucher's name in the active language: for one this adapter made, "10%
        korting, bon 12" on a Dutch page whatever language it was made in (its figure
        written the locale's way); any other voucher, its own name."""
        Benefit = _model("offer", "Benefit")
        offer = next((o for o in voucher.offers.all()
                      if o.name.endswith(" off (personalization)")), None)
        if offer is None:
            return voucher.name
        benefit = offer.benefit
        return _voucher_name(benefit.type == Benefit.PERCENTAGE, benefit.value, voucher.pk)

    # -- sales reps -----------------------------------------------------------------------
    def sales_rep_of_order(self, order: Any) -> Any:
        if not self.sales_rep_attribute or order.user_id is None:
            return None
        value: Any = order.user
        for name in self.sales_rep_attribute.split("."):
            value = getattr(value, name, None)
            if value is None:
                return None
        return value

    def order_summary(self, order: Any) -> OrderSummary:
        user = order.user
        return OrderSummary(
            reference=str(order.number),
            customer_name=(user.get_full_name() or user.get_username()) if user else
            (order.guest_email or ""),
            account_name="",
            line_count=order.lines.count(),
            total=order.total_incl_tax,
            admin_path=reverse("dashboard:order-detail", kwargs={"number": order.number}),
        )


def _forward_order(sender: Any, order: Any, user: Any = None, **kwargs: Any) -> None:
    """Oscar's ``order_placed`` (sent by ``OrderCreator`` after its transaction) as the
    app's signal, with the request being served: the buyer's browser and consent."""
    from personalization.middleware import current_request

    pz_signals.order_placed.send_robust(
        sender=type(order), order=order, user=user, request=current_request(),
        value=order.total_incl_tax, reference=order.number)


# -- the catalog map (catalog data, never a visitor's) -----------------------------------
def _catalog() -> dict[str, Any]:
    """{"products": {id: (category ids...)}, "parents": {product id: parent id},
    "paths": {category id: treebeard path}, "by_path": {path: category id}}; three
    queries when missing, then cached for an hour and dropped when the catalogue changes."""
    data = cache.get(CATALOG_KEY)
    if data is not None:
        return data
    Product, Category = _model("catalogue", "Product"), _model("catalogue", "Category")
    through = Product.categories.through
    products: dict[int, list[int]] = {}
    for pid, cid in through.objects.values_list("product_id", "category_id").order_by(
            "product_id", "category_id"):
        products.setdefault(pid, []).append(cid)
    parents = dict(Product.objects.filter(parent__isnull=False)
                   .values_list("pk", "parent_id"))
    paths = dict(Category.objects.values_list("pk", "path"))
    data = {"products": products, "parents": parents, "paths": paths,
            "by_path": {path: pk for pk, path in paths.items()}}
    cache.set(CATALOG_KEY, data, CATALOG_SECONDS)
    return data


def _chain(category_id: int | None, catalog: dict[str, Any]) -> tuple[int, ...]:
    """The category and its ancestors, nearest first (a treebeard path's prefixes)."""
    path = catalog["paths"].get(category_id)
    if path is None:
        return ()
    step = _steplen()
    prefixes = [path[:end] for end in range(len(path), 0, -step)]
    return tuple(catalog["by_path"][p] for p in prefixes if p in catalog["by_path"])


def _product_categories(product_id: int | None, catalog: dict[str, Any]) -> tuple[int, ...]:
    """A product's categories and their ancestors (a variant's are its parent's)."""
    own = catalog["products"].get(product_id)
    if not own:
        own = catalog["products"].get(catalog["parents"].get(product_id), [])
    out: list[int] = []
    for category in own:
        for cid in _chain(category, catalog):
            if cid not in out:
                out.append(cid)
    return tuple(out)


def _category_paths(categories: QuerySet) -> dict[int, str]:
    """{id: "Pets › Cats"} for these categories, their ancestors' names from one query."""
    Category = _model("catalogue", "Category")
    step = Category.steplen
    rows = list(categories.values_list("pk", "path", "name"))
    prefixes = {path[:end] for _pk, path, _name in rows for end in range(step, len(path), step)}
    names = dict(Category.objects.filter(path__in=prefixes).values_list("path", "name"))
    out = {}
    for pk, path, name in rows:
        chain = [names.get(path[:end], "?") for end in range(step, len(path), step)]
        out[pk] = " › ".join([*chain, name])
    return out


def _steplen() -> int:
    return _model("catalogue", "Category").steplen


def _drop_catalog(**kwargs: Any) -> None:
    cache.delete(CATALOG_KEY)


def _voucher_name(percent: bool, value: Decimal, number: int) -> str:
    off = (f"{number_format(value.normalize())}%" if percent
           else number_format(value, decimal_pos=2))
    return gettext("%(off)s off, voucher %(number)s") % {"off": off, "number": number}
