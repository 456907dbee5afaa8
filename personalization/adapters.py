"""The commerce adapter: the only door from personalization to the shop."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.db.models import Q

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest


@dataclass(frozen=True)
class CartLine:
    product_id: int
    category_ids: tuple[int, ...]
    quantity: int
    price: Decimal


@dataclass(frozen=True)
class CartSnapshot:
    """What is in the visitor's cart now; plain values so rules stay pure."""

    lines: tuple[CartLine, ...] = ()
    updated_at: Any = None  # aware datetime of the last change, or None

    @cached_property
    def total(self) -> Decimal:
        return sum((line.price * line.quantity for line in self.lines), Decimal("0"))

    @property
    def product_ids(self) -> frozenset[int]:
        return frozenset(line.product_id for line in self.lines)

    @property
    def category_ids(self) -> frozenset[int]:
        return frozenset(c for line in self.lines for c in line.category_ids)

    @property
    def is_empty(self) -> bool:
        return not self.lines


@dataclass(frozen=True)
class OrderFields:
    """ORM paths on the shop's order model, used by set-based (computed) rules.

    Paths may cross many-valued relations (a product's categories, an order's discounts):
    the app counts orders and lines distinctly and tests codes with a subquery, so a join
    never counts an order twice. A shop without discount codes or without categories says
    so with ``None``: no order then counts as placed with a code or in a category, and the
    admin refuses the rules that need them. System check ``personalization.E014`` checks
    every path against the model of ``orders()`` at start-up.
    """

    customer: str = "user"  # FK from the order to the customer (AUTH_USER_MODEL)
    created: str = "created_at"  # when the order was placed
    total: str = "total"  # order total
    #: Text, empty or NULL when no code was used; None: the shop has no discount codes.
    discount_code: str | None = "discount_code"
    line: str = "lines"  # the order's lines
    product: str = "lines__product"  # a line's product
    #: A line's product's categories: one path, or several when a product's categories
    #: can be found in more than one place (e.g. a variant's are its parent's); None: the
    #: shop has no categories.
    category: str | tuple[str, ...] | None = "lines__product__category"

    @property
    def category_paths(self) -> tuple[str, ...]:
        if not self.category:
            return ()
        return (self.category,) if isinstance(self.category, str) else tuple(self.category)

    @property
    def has_discount_codes(self) -> bool:
        return bool(self.discount_code)

    @property
    def has_categories(self) -> bool:
        return bool(self.category_paths)

    def in_categories(self, ids: Any) -> Q:
        """Orders (or lines) with a product in one of the categories ``ids`` (none when the
        shop has no categories)."""
        if not self.category_paths:
            return Q(pk__in=[])
        q = Q()
        for path in self.category_paths:
            q |= Q(**{f"{path}__in": ids})
        return q

    def used_code(self, orders: QuerySet) -> Q:
        """Selects the orders of ``orders`` placed with a discount code (as a subquery, so
        a code kept on another table never repeats an order in a join); none when the shop
        has no discount codes."""
        if not self.discount_code:
            return Q(pk__in=[])
        return Q(pk__in=orders.filter(**{f"{self.discount_code}__gt": ""}).values("pk"))


@dataclass(frozen=True)
class SavedCartFields:
    """ORM paths on the saved-carts queryset (:meth:`CommerceAdapter.saved_carts`)."""

    customer: str = "user"  # FK to the customer (AUTH_USER_MODEL)
    updated: str = "updated_at"  # when the cart last changed


@dataclass(frozen=True)
class CustomerFields:
    """ORM paths on the customers queryset (the user model)."""

    group: str = "profile__customer_group"
    b2b: Any = None  # a Q() selecting business customers


@dataclass(frozen=True)
class ProductInfo:
    id: int
    name: str
    url: str
    price: Decimal
    image_url: str = ""
    in_stock: bool = True
    category_ids: tuple[int, ...] = field(default_factory=tuple)

    @property
    def pk(self) -> int:
        return self.id

    def get_absolute_url(self) -> str:
        return self.url


@dataclass(frozen=True)
class RepContact:
    """A sales rep as the SMS alerts need him: plain text, nothing of the shop's model."""

    reference: str  # the shop's stable identifier, e.g. the rep's primary key
    name: str
    phone: str  # E.164
    user_id: int | None = None  # the rep's login, to recognise orders he entered himself


@dataclass(frozen=True)
class OrderSummary:
    """An order as a rep alert describes it."""

    reference: str  # order number
    customer_name: str
    account_name: str
    line_count: int
    total: Decimal
    admin_path: str  # path (or absolute URL) of the order in the admin; "" if none
    entered_by_id: int | None = None  # user who entered the order (customer or rep)


class CommerceAdapter:
    """Answers the questions personalization asks a shop. Subclass it for your shop.

    Every method has a harmless default, so a shop can start with contextual personalization
    and fill in order history later. The adapter is instantiated once per process.
    """

    order_fields = OrderFields()
    customer_fields = CustomerFields()
    saved_cart_fields = SavedCartFields()

    def ready(self) -> None:
        """Called once at start-up: connect the shop's own signals here, e.g. send
        :data:`personalization.signals.order_placed` when the shop places an order."""

    def cart(self, request: HttpRequest) -> CartSnapshot:
        """The cart of this request's visitor."""
        return CartSnapshot()

    def customer_cart(self, user: Any) -> CartSnapshot | None:
        """The cart ``user`` has now, wherever it is kept (his latest session, a saved
        basket), for a preview or ``explain`` of that customer; None when the shop cannot
        tell (they then simulate an empty cart and say so). Read only: never change it."""
        return None

    def sample_cart(self) -> CartSnapshot | None:
        """A cart for a staff preview as a segment; None: an empty one, never the staff's."""
        return None

    def saved_carts(self) -> QuerySet | None:
        """The customers' carts with items, kept between visits (one row per customer, its
        change time in ``saved_cart_fields.updated``): what abandoned-cart journeys scan,
        set-based. None when the shop keeps no such record (the trigger then finds nobody)."""
        return None

    def restore_cart(self, request: HttpRequest, user: Any) -> str:
        """Put ``user``'s saved cart into this browser's cart (a journey message's link,
        opened on any device) and return the URL to send him to (the cart page)."""
        return "/"

    def customer_phone(self, user: Any) -> str:
        """The customer's mobile number for journey SMS, or "" (he is then skipped)."""
        return ""

    def current_category(self, request: HttpRequest) -> tuple[int, ...]:
        """Ids of the category the visitor is looking at and its ancestors, nearest first
        (empty when he is not on a category or product page). Must not query the database."""
        return ()

    def checkout_paths(self) -> tuple[str, ...]:
        """The cart and checkout pages' path prefixes: no popup opens there (unless allowed)."""
        return ("/cart/", "/basket/", "/checkout/")

    def is_checkout(self, request: HttpRequest) -> bool:
        """Whether the request shows the cart or the checkout. Must not query."""
        return request.path_info.startswith(self.checkout_paths())

    def category_descendants(self, ids: frozenset[int]) -> frozenset[int]:
        """``ids`` and every category below them (asked when the RuleBook is built)."""
        return frozenset(ids)

    def orders(self) -> QuerySet | None:
        """All placed orders (for aggregates and affinities)."""

    def customers(self) -> QuerySet | None:
        """The customers queryset computed segments are evaluated over."""

    def customer_attributes(self, user: Any) -> dict[str, Any]:
        """Facts about a customer rules may use: ``customer_group``, ``is_b2b``,
        ``account_id`` and the text fields (``city``, ``country`` ...)."""
        return {}

    def customer_stats(self, user: Any) -> dict[str, Any]:
        """Order-history aggregates of one customer, computed from ``orders()``.

        Returns order_count, total_spent, last_order_at, orders_365, spent_365,
        discount_order_count, products {id: last bought}, categories {id: last bought},
        category_lines {id: number of lines}, plus :meth:`customer_attributes`.
        """
        from datetime import timedelta

        from django.db.models import Count, Max, Sum
        from django.utils import timezone

        stats: dict[str, Any] = dict(self.customer_attributes(user))
        orders = self.orders()
        if orders is None:
            return stats
        f = self.order_fields
        mine = orders.filter(**{f.customer: user}).order_by()
        used_code = f.used_code(mine)
        year_ago = timezone.now() - timedelta(days=365)
        recent = Q(**{f"{f.created}__gte": year_ago})
        totals = mine.aggregate(
            pz_n=Count("pk"), pz_total=Sum(f.total), pz_last=Max(f.created),
            pz_with_code=Count("pk", filter=used_code),
            pz_n365=Count("pk", filter=recent), pz_s365=Sum(f.total, filter=recent),
        )
        stats.update(
            order_count=totals["pz_n"],
            total_spent=totals["pz_total"] or Decimal("0"),
            last_order_at=totals["pz_last"],
            discount_order_count=totals["pz_with_code"],
            orders_365=totals["pz_n365"],
            spent_365=totals["pz_s365"] or Decimal("0"),
            products={
                row[f.product]: row["pz_last"]
                for row in mine.values(f.product).annotate(pz_last=Max(f.created))
                if row[f.product] is not None
            },
        )
        categories: dict[int, Any] = {}
        lines: dict[int, int] = {}
        for path in f.category_paths:
            for row in mine.values(path).annotate(pz_last=Max(f.created),
                                                  pz_lines=Count(f.line, distinct=True)):
                category = row[path]
                if category is not None:
                    last = categories.get(category)
                    categories[category] = (row["pz_last"] if last is None
                                            else max(last, row["pz_last"]))
                    lines[category] = lines.get(category, 0) + row["pz_lines"]
        stats.update(categories=categories, category_lines=lines)
        return stats

    def products(self, ids: list[int]) -> list[ProductInfo]:
        """Products by id, in the order given, skipping unknown ids."""
        return []

    def product_categories(self, products: list) -> list[int | None]:
        """The category each product counts for in the affinity sort ("categories the
        visitor cares most about first"), in order, for any product objects a template
        passes; called once per list. The default reads ``category_id``, or the first of
        ``category_ids``. Must not query."""
        found: list[int | None] = []
        for product in products:
            value = next((v for v in (getattr(product, a, None)
                                      for a in ("category_id", "category_ids"))
                          if v is not None), None)
            found.append((value[0] if value else None)
                         if isinstance(value, (list, tuple)) else value)
        return found

    #: Whether :meth:`catalog_names` and :meth:`search_catalog` are implemented: then the
    #: admin picks products and categories by name and refuses ids that do not exist.
    has_catalog_lookup = False

    def catalog_names(self, kind: str, ids: list[int]) -> dict[int, str]:
        """Names of the products (``kind`` "product") or categories ("category") with these
        ids; ids that do not exist are left out."""
        return {}

    def search_catalog(self, kind: str, term: str, limit: int = 20) -> list[tuple[int, str]]:
        """Products or categories whose name contains ``term``, as (id, name), for the
        admin's pickers."""
        return []

    def recommend(self, strategy: str, ctx: Any, products: list, limit: int) -> list:
        """Products for the history strategies (buy_again, bought_together,
        popular_in_segment); an empty list lets the slot show the products given."""
        return []

    def times_bought(self, product_id: int, days: int = 7) -> int:
        """In how many placed orders of the last ``days`` days the product was, for social
        proof ("bought 37 times this week"). The base class counts ``orders()`` through
        ``order_fields``; the result is cached by the caller."""
        from datetime import timedelta

        from django.utils import timezone

        orders = self.orders()
        if orders is None:
            return 0
        f = self.order_fields
        return (orders.filter(**{f.product: product_id,
                                 f"{f.created}__gte": timezone.now() - timedelta(days=days)})
                .order_by().values("pk").distinct().count())

    def create_discount_code(self, *, prefix: str, percent: Decimal | None = None,
                             amount: Decimal | None = None, valid_days: int = 30,
                             single_use: bool = True, user: Any = None) -> str:
        """Create a code in the shop's own discount system and return it."""
        raise NotImplementedError("This shop's adapter cannot create discount codes.")

    def order_codes(self, order: Any) -> list[str]:
        """The discount codes used on ``order`` (so a visitor's single-use code is not
        offered again once spent). The base class reads ``order_fields.discount_code``
        through ``orders()``: one query."""
        orders = self.orders()
        path = self.order_fields.discount_code
        if orders is None or not path or getattr(order, "pk", None) is None:
            return []
        return [c for c in orders.filter(pk=order.pk).values_list(path, flat=True) if c]

    def sales_rep_of_order(self, order: Any) -> Any:
        """The sales rep to alert for this order, or None."""
        return None

    def rep_contact(self, rep: Any) -> RepContact:
        """Describe a rep returned by :meth:`sales_rep_of_order`. The default reads ``pk``,
        ``name``, ``mobile`` (or ``phone``) and ``user_id`` from the object."""
        phone = getattr(rep, "mobile", None) or getattr(rep, "phone", None) or ""
        return RepContact(reference=str(getattr(rep, "pk", "") or phone),
                          name=str(getattr(rep, "name", "") or rep), phone=str(phone),
                          user_id=getattr(rep, "user_id", None))

    def order_summary(self, order: Any) -> OrderSummary:
        """Describe an order for a rep alert. The default reads ``number``, ``total``,
        ``lines``, ``user``, ``placed_by_id`` and ``get_admin_url()`` when present."""
        user = getattr(order, "user", None)
        lines = getattr(order, "lines", None)
        admin_url = getattr(order, "get_admin_url", None)
        return OrderSummary(
            reference=str(getattr(order, "number", None) or order.pk),
            customer_name=(user.get_full_name() or user.get_username()) if user else "",
            account_name="",
            line_count=lines.count() if hasattr(lines, "count") else 0,
            total=Decimal(str(getattr(order, "total", 0) or 0)),
            admin_path=admin_url() if callable(admin_url) else "",
            entered_by_id=getattr(order, "placed_by_id", None),
        )


_adapter: CommerceAdapter | None = None
_adapter_class: type | None = None


def categories_of_path(path: str) -> tuple[int, ...]:
    """The categories a page shows, worked out from its URL alone (for ``explain --path``,
    where no view runs): the path resolved as Django would, then the adapter's
    ``current_category()`` on that request. Adapters that read the resolved URL (the
    django-oscar one) answer; those that rely on their views' attributes answer ()."""
    from django.http import HttpRequest
    from django.urls import Resolver404, resolve

    try:
        match = resolve(path)
    except Resolver404:
        return ()
    request = HttpRequest()
    request.method, request.path = "GET", path
    request.path_info = path
    request.resolver_match = match
    try:
        return tuple(get_adapter().current_category(request) or ())
    except Exception:  # an adapter that needs more of a request than a URL
        return ()


def get_adapter() -> CommerceAdapter:
    """The configured adapter instance (rebuilt when the setting changes)."""
    from personalization.conf import app_settings

    global _adapter, _adapter_class
    cls = app_settings.COMMERCE_ADAPTER
    if _adapter is None or _adapter_class is not cls:
        _adapter, _adapter_class = cls(), cls
    return _adapter
