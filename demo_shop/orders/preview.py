"""Demo only: a staff preview of a customer shows his cart, read only.

The demo keeps carts in sessions, so "his cart" is the one in his latest session. During a
preview of him the cart pages read a copy of it: what the preview shows is what he sees,
and nothing done in the preview changes his cart.
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


def previewed_session(request: HttpRequest) -> ReadOnlySession | None:
    """During a staff preview of a customer: a read-only copy of his latest session (empty
    if he has none); None otherwise."""
    ctx = getattr(request, "visitor", None)
    target = getattr(ctx, "target", None) if getattr(ctx, "is_preview", False) else None
    if target is None or target.user_id is None:
        return None
    found = getattr(request, "_pz_previewed_session", None)
    if found is None:  # looked up once per request, however many carts the page builds
        found = ReadOnlySession(customer_session(target.user_id) or {})
        request._pz_previewed_session = found  # type: ignore[attr-defined]
    return found
