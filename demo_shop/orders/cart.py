"""The session cart.

Session layout (read by the personalization adapter):

* ``cart``: ``{"<product id>": <quantity>, ...}``
* ``cart_updated_at``: ISO 8601 time (UTC, aware) of the last change, absent for a new cart
* ``cart_discount_code``: the code applied in the cart, or absent
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from demo_shop.catalog.models import Product

from .discounts import validate_discount
from .models import DiscountCode, normalize_code

SESSION_KEY = "cart"
UPDATED_AT_KEY = "cart_updated_at"
DISCOUNT_KEY = "cart_discount_code"
MAX_QUANTITY = 999


class CartError(Exception):
    """A change the cart refused; the message is meant for the shopper."""


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int

    @property
    def unit_price(self) -> Decimal:
        return self.product.price

    @property
    def line_total(self) -> Decimal:
        return self.product.price * self.quantity


class Cart:
    """The cart of ``request.session``; every change saves the session and the change time."""

    def __init__(self, request: HttpRequest) -> None:
        from .preview import previewed_session

        self.request = request
        previewed = previewed_session(request)  # a staff preview of a customer: his cart
        self.session = previewed if previewed is not None else request.session
        self._lines: list[CartLine] | None = None

    # -- reading -----------------------------------------------------------------------------

    @property
    def quantities(self) -> dict[int, int]:
        raw = self.session.get(SESSION_KEY) or {}
        return {int(pid): int(qty) for pid, qty in raw.items()}

    def lines(self) -> list[CartLine]:
        """The cart's lines with their products (one query; vanished products are dropped)."""
        if self._lines is None:
            quantities = self.quantities
            products = Product.objects.select_related("category").in_bulk(list(quantities))
            self._lines = [
                CartLine(products[pid], qty)
                for pid, qty in quantities.items()
                if pid in products and products[pid].is_active
            ]
        return self._lines

    def __iter__(self) -> Iterator[CartLine]:
        return iter(self.lines())

    def __len__(self) -> int:
        return len(self.quantities)

    @property
    def count(self) -> int:
        """Number of items (sum of quantities), without touching the database."""
        return sum(self.quantities.values())

    @property
    def is_empty(self) -> bool:
        return not self.quantities

    @property
    def subtotal(self) -> Decimal:
        return sum((line.line_total for line in self.lines()), Decimal("0.00"))

    @property
    def updated_at(self) -> datetime | None:
        value = self.session.get(UPDATED_AT_KEY)
        return datetime.fromisoformat(value) if value else None

    @property
    def discount_code(self) -> str:
        return self.session.get(DISCOUNT_KEY, "")

    def discount_validation(self) -> tuple[DiscountCode | None, str]:
        """The applied code re-validated now (it may have expired since it was applied)."""
        return validate_discount(
            self.discount_code, self.request.user, self.subtotal, timezone.now()
        )

    @property
    def discount(self) -> Decimal:
        code, _error = self.discount_validation()
        return code.amount_off(self.subtotal) if code else Decimal("0.00")

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount

    # -- changing ----------------------------------------------------------------------------

    def add(self, product: Product | int, quantity: int = 1) -> None:
        """Add ``quantity`` of ``product``; raises CartError when it is not available."""
        product = self._product(product)
        quantity = int(quantity)
        if quantity < 1:
            raise CartError(_("Choose a quantity of at least 1."))
        if not product.in_stock:
            raise CartError(_("Sorry, “%(name)s” is out of stock.")
                            % {"name": product.display_name})
        quantities = self.quantities
        wanted = quantities.get(product.pk, 0) + quantity
        if wanted > product.stock:
            raise CartError(
                _("Sorry, only %(stock)d of “%(name)s” left in stock.")
                % {"stock": product.stock, "name": product.display_name}
            )
        quantities[product.pk] = min(wanted, MAX_QUANTITY)
        self._save(quantities)

    def add_many(self, items: Iterable[tuple[int, int]]) -> list[str]:
        """Add several ``(product_id, quantity)`` pairs; returns the messages of refused ones."""
        errors: list[str] = []
        items = list(items)
        products = Product.objects.active().in_bulk([pid for pid, _qty in items])
        for pid, qty in items:
            product = products.get(pid)
            if product is None:
                errors.append(_("A product is no longer available."))
                continue
            try:
                self.add(product, qty)
            except CartError as exc:
                errors.append(str(exc))
        return errors

    def update(self, product: Product | int, quantity: int) -> None:
        """Set the quantity of a product already in the cart (0 removes it)."""
        product = self._product(product)
        quantity = int(quantity)
        if quantity <= 0:
            self.remove(product.pk)
            return
        if quantity > product.stock:
            raise CartError(
                _("Sorry, only %(stock)d of “%(name)s” left in stock.")
                % {"stock": product.stock, "name": product.display_name}
            )
        quantities = self.quantities
        quantities[product.pk] = min(quantity, MAX_QUANTITY)
        self._save(quantities)

    def remove(self, product_id: int) -> None:
        quantities = self.quantities
        if quantities.pop(int(product_id), None) is not None:
            self._save(quantities)

    def clear(self) -> None:
        for key in (SESSION_KEY, DISCOUNT_KEY):
            self.session.pop(key, None)
        self.session[UPDATED_AT_KEY] = timezone.now().isoformat()
        self._lines = None
        self._keep({}, None)

    def apply_discount(self, code: str) -> tuple[DiscountCode | None, str]:
        """Validate ``code`` and keep it in the cart if it is valid."""
        discount, error = validate_discount(
            code, self.request.user, self.subtotal, timezone.now()
        )
        if discount is not None:
            self.session[DISCOUNT_KEY] = discount.code
        return discount, error

    def remove_discount(self) -> None:
        self.session.pop(DISCOUNT_KEY, None)

    def set_discount_code(self, code: str) -> None:
        """Remember ``code`` without validating (checkout validates it again anyway)."""
        code = normalize_code(code)
        if code:
            self.session[DISCOUNT_KEY] = code
        else:
            self.remove_discount()

    # -- internals ---------------------------------------------------------------------------

    def _product(self, product: Product | int) -> Product:
        if isinstance(product, Product):
            return product
        try:
            return Product.objects.active().get(pk=int(product))
        except (Product.DoesNotExist, ValueError, TypeError) as exc:
            raise CartError(_("This product is not available.")) from exc

    def _save(self, quantities: dict[int, int]) -> None:
        now = timezone.now()
        self.session[SESSION_KEY] = {str(pid): qty for pid, qty in quantities.items()}
        self.session[UPDATED_AT_KEY] = now.isoformat()
        self._lines = None
        self._keep(self.session[SESSION_KEY], now)

    def _keep(self, items: dict[str, int], now: datetime | None) -> None:
        """A logged-in customer's cart is kept with him too (not in a staff preview)."""
        from .models import SavedCart
        from .preview import previewed_session

        user = getattr(self.request, "user", None)
        if (user is None or not user.is_authenticated
                or previewed_session(self.request) is not None):
            return
        if items:
            SavedCart.objects.update_or_create(user=user, defaults={"items": items,
                                                                    "updated_at": now})
        else:
            SavedCart.objects.filter(user=user).delete()
