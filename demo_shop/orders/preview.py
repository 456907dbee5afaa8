"""Demo only: a staff preview shows the previewed visitor's cart, read only.

The demo keeps carts in sessions, and a logged-in customer's cart with him too (SavedCart).
"His cart" is the saved one, else the one in his latest session: the cart the decisions read
(the adapter's ``customer_cart``) is the one the cart pages show. A preview as a segment shows
a sample cart. Nothing done in a preview changes a cart.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.models import Session
from django.http import HttpRequest
from django.utils import timezone

#: How many of the newest live sessions are searched for the customer's.
SEARCH_SESSIONS = 2000


class ReadOnlySession(dict):
    """A copy of a session: the cart reads and writes it, nothing is ever saved."""

    modified = False

    def save(self, *args: Any, **kwargs: Any) -> None:
        pass


def customer_session(user_id: int) -> dict[str, Any] | None:
    """The data of the customer's latest live session, or None."""
    sessions = (Session.objects.filter(expire_date__gt=timezone.now())
                .order_by("-expire_date")[:SEARCH_SESSIONS])
    for session in sessions:
        data = session.get_decoded()
        if data.get("_auth_user_id") == str(user_id):
            return data
    return None


def customer_cart_data(user_id: int) -> dict[str, Any]:
    """The customer's cart as session data (``cart``, ``cart_updated_at``): his saved cart,
    else his latest session's; empty when he has neither."""
    from .models import SavedCart

    saved = SavedCart.objects.filter(user_id=user_id).first()
    if saved is not None:
        return {"cart": saved.items, "cart_updated_at": saved.updated_at.isoformat()}
    return customer_session(user_id) or {}


#: How many products the sample cart of a segment preview holds.
SAMPLE_LINES = 2


def sample_cart_data() -> dict[str, Any]:
    """The cart a preview as a segment shows: one each of the first products in stock."""
    from demo_shop.catalog.models import Product

    ids = (Product.objects.filter(is_active=True, stock__gt=0).order_by("pk")
           .values_list("pk", flat=True)[:SAMPLE_LINES])
    return {"cart": {str(pk): 1 for pk in ids}}


def previewed_session(request: HttpRequest) -> ReadOnlySession | None:
    """During a staff preview: a read-only copy of the previewed customer's cart (empty if
    he has none) or, as a segment, the sample cart; None outside a preview."""
    ctx = getattr(request, "visitor", None)
    target = getattr(ctx, "target", None) if getattr(ctx, "is_preview", False) else None
    if target is None:
        return None
    found = getattr(request, "_pz_previewed_session", None)
    if found is None:  # looked up once per request, however many carts the page builds
        found = ReadOnlySession(customer_cart_data(target.user_id)
                                if target.user_id is not None else sample_cart_data())
        request._pz_previewed_session = found  # type: ignore[attr-defined]
    return found
