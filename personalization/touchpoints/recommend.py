"""Product lists for ``{% personalized_products %}``: manual, affinity sort, history.

The shop's adapter answers first (:meth:`CommerceAdapter.recommend`); for "frequently bought
together" and "popular in the visitor's segment" the app has shop-independent answers of its
own, from the co-purchase counts and the shop's orders. Lists never show products that are
out of stock, nor (except a manual list) products already in the visitor's cart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone

from personalization.adapters import get_adapter
from personalization.cache import app_cache
from personalization.engine.decide import Decision

#: Co-purchase and popularity lists are the same for many visitors: cached this long.
LIST_CACHE_SECONDS = 10 * 60
#: "Popular" counts the orders of this many recent days.
POPULAR_DAYS = 90
#: A product counts as the segment's favourite only when this many of its customers bought it.
POPULAR_MIN_BUYERS = 2


def _pk(product: Any) -> int | None:
    value = getattr(product, "pk", None)
    if value is None and isinstance(product, int):
        value = product
    return value


def affinity_sorted(products: list, affinity: dict[int, float]) -> list:
    """Products of the categories the visitor cares most about first; stable otherwise."""
    if not affinity:
        return list(products)
    items = list(products)
    categories = get_adapter().product_categories(items)  # one call for the whole list
    order = sorted(range(len(items)), key=lambda i: -affinity.get(categories[i] or -1, 0.0))
    return [items[i] for i in order]


def available(products: list, exclude: set[int] | frozenset[int] = frozenset()) -> list:
    """Without products out of stock (``in_stock`` false) or whose id is in ``exclude``."""
    return [p for p in products
            if getattr(p, "in_stock", True) and _pk(p) not in exclude]


def _cart_ids(ctx: Any) -> frozenset[int]:
    return ctx.cart.product_ids if ctx is not None else frozenset()


def products_for(decision: Decision | None, ctx: Any, products: Any = None,
                 limit: int | None = None, source: Any = None) -> list:
    """The list a product-list slot shows: the variant's strategy, or the given products.

    ``source`` is the product (or products) the page is about, for "frequently bought
    together"; without it the given products are used.
    """
    given = LazyList(products)  # the shop's own list is fetched only if it is shown or used
    variant = decision.variant if decision is not None and decision.shows_variant else None
    if variant is None:
        items = list(given)
    elif variant.strategy == "affinity_sort":
        # A reorder of the page's own list (search results, a category) keeps every item:
        # only the template's own ``limit`` cuts it, never the variant's.
        items = affinity_sorted(list(given), ctx.category_affinity if ctx is not None else {})
    else:
        strategy, wanted = variant.strategy, limit or variant.limit or 4
        if strategy == "manual":
            items = available(get_adapter().products([int(i) for i in variant.product_ids]))
        else:
            items = list(get_adapter().recommend(strategy, ctx, given, wanted) or [])
            if not items and strategy == "bought_together":
                items = bought_together(ctx, _source_ids(source, given), wanted)
            elif not items and strategy == "popular_in_segment":
                items = popular_in_segment(decision, ctx, wanted)
        if items:
            return items[:wanted]
        items = list(given)  # nothing to recommend: the page's own list, as without a campaign
    return items[:limit] if limit else items


class LazyList(Sequence):
    """A list of products evaluated on first use (a queryset is not run when a strategy
    replaces it)."""

    def __init__(self, products: Any) -> None:
        self._source = products
        self._items: list | None = None

    def _list(self) -> list:
        if self._items is None:
            self._items = list(self._source) if self._source is not None else []
        return self._items

    def __getitem__(self, index: Any) -> Any:
        return self._list()[index]

    def __len__(self) -> int:
        return len(self._list())

    def __iter__(self) -> Any:
        return iter(self._list())


def _source_ids(source: Any, given: list) -> list[int]:
    if source is None:
        source = given
    elif not isinstance(source, (list, tuple)) and not hasattr(source, "__iter__"):
        source = [source]
    return [pk for pk in (_pk(p) for p in source) if pk is not None]


def bought_together(ctx: Any, source_ids: list[int], limit: int) -> list:
    """Products most often ordered together with ``source_ids`` and the cart's products,
    by the co-purchase counts (:class:`~personalization.models.ProductAffinity`)."""
    from personalization.models import ProductAffinity

    cart = _cart_ids(ctx)
    base = sorted(set(source_ids) | set(cart))
    if not base:
        return []
    cache = app_cache()
    key = "pz:together:" + ",".join(map(str, base[:50]))
    ids = cache.get(key)
    if ids is None:
        rows = (ProductAffinity.objects.filter(product_id__in=base)
                .exclude(other_id__in=base).values("other_id")
                .annotate(n=Sum("count")).order_by("-n", "other_id")[:48])
        ids = [row["other_id"] for row in rows]
        cache.set(key, ids, LIST_CACHE_SECONDS)
    exclude = set(base)
    wanted = [i for i in ids if i not in exclude][:limit * 2]
    return available(get_adapter().products(wanted), exclude)[:limit]


def popular_in_segment(decision: Decision | None, ctx: Any, limit: int) -> list:
    """The products the visitor's segment favours: bought in the last :data:`POPULAR_DAYS`
    days by a larger share of the segment's buyers than of all buyers (the lift), by at least
    :data:`POPULAR_MIN_BUYERS` of them; ties by how many bought it. What everybody buys
    (pizza) does not open the cat lovers' list.

    "The visitor's segment" is the computed segments of the campaign's audience that the
    visitor is in (their members are known from the last refresh). A campaign whose
    audience has no such segment (live segments, or everybody) uses all customers.
    """

    adapter = get_adapter()
    orders = adapter.orders()
    if orders is None or decision is None or decision.campaign is None:
        return []
    book = ctx.rulebook
    segment_ids = sorted(
        s for s in decision.campaign.segment_ids
        if s in book.segments and book.segments[s].computed and ctx.in_segment(s))
    cache = app_cache()
    key = f"pz:popular:{book.version}:{','.join(map(str, segment_ids)) or 'all'}"
    ids = cache.get(key)
    if ids is None:
        f = adapter.order_fields
        recent = orders.filter(**{f"{f.created}__gte": timezone.now()
                                  - timedelta(days=POPULAR_DAYS)})
        ids = _favoured(recent, segment_ids, f)
        cache.set(key, ids, LIST_CACHE_SECONDS)
    cart = _cart_ids(ctx)
    return available(adapter.products([i for i in ids if i not in cart][:limit * 2]),
                     cart)[:limit]


def _favoured(recent: Any, segment_ids: list[int], f: Any) -> list[int]:
    """Product ids by lift among the segment's buyers (all buyers: by how many bought)."""
    from personalization.models import SegmentMembership

    def buyers(orders: Any) -> dict[int, int]:
        rows = (orders.order_by().filter(**{f"{f.product}__isnull": False})
                .values(f.product).annotate(n=Count(f.customer, distinct=True))
                .order_by("-n", f.product)[:200])
        return {row[f.product]: row["n"] for row in rows}

    everybody = buyers(recent)
    if not segment_ids:
        return list(everybody)[:48]
    members = SegmentMembership.objects.filter(segment_id__in=segment_ids).values("user_id")
    mine = recent.filter(**{f"{f.customer}__in": members})
    in_segment = buyers(mine)
    segment_total = mine.values(f.customer).distinct().count() or 1
    all_total = recent.values(f.customer).distinct().count() or 1

    def lift(pk: int) -> float:
        overall = everybody.get(pk) or in_segment[pk]
        return (in_segment[pk] / segment_total) / (overall / all_total)

    chosen = [pk for pk, n in in_segment.items() if n >= POPULAR_MIN_BUYERS] or list(in_segment)
    return sorted(chosen, key=lambda pk: (-lift(pk), -in_segment[pk], pk))[:48]
