"""The commerce adapter: the only door from personalization to the shop."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

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

    @property
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
class ProductInfo:
    id: int
    name: str
    url: str
    price: Decimal
    image_url: str = ""
    in_stock: bool = True
    category_ids: tuple[int, ...] = field(default_factory=tuple)


class CommerceAdapter:
    """Answers the questions personalization asks a shop. Subclass it for your shop.

    Every method has a harmless default, so a shop can start with contextual personalization
    and fill in order history later. The adapter is instantiated once per process.
    """

    #: Fields of the customers queryset (``customers()``) used by set-based rules.
    def cart(self, request: HttpRequest) -> CartSnapshot:
        """The cart of this request's visitor."""
        return CartSnapshot()

    def current_category(self, request: HttpRequest) -> int | None:
        """The id of the category the visitor is looking at, if any."""
        return None

    def orders(self) -> QuerySet | None:
        """All placed orders (for aggregates and affinities)."""
        return None

    def customers(self) -> QuerySet | None:
        """The customers queryset computed segments are evaluated over."""
        return None

    def customer_stats(self, user: Any) -> dict[str, Any]:
        """Order-history aggregates of one customer (see ``profile aggregates``)."""
        return {}

    def products(self, ids: list[int]) -> list[ProductInfo]:
        """Products by id, in the order given, skipping unknown ids."""
        return []

    def create_discount_code(self, *, prefix: str, percent: Decimal | None = None,
                             amount: Decimal | None = None, valid_days: int = 30,
                             single_use: bool = True) -> str:
        """Create a code in the shop's own discount system and return it."""
        raise NotImplementedError("This shop's adapter cannot create discount codes.")

    def sales_rep_of_order(self, order: Any) -> Any:
        """The sales rep to alert for this order, or None."""
        return None


_adapter: CommerceAdapter | None = None
_adapter_class: type | None = None


def get_adapter() -> CommerceAdapter:
    """The configured adapter instance (rebuilt when the setting changes)."""
    from .conf import app_settings

    global _adapter, _adapter_class
    cls = app_settings.COMMERCE_ADAPTER
    if _adapter is None or _adapter_class is not cls:
        _adapter, _adapter_class = cls(), cls
    return _adapter
