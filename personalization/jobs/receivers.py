"""Reactions to the shop's signals: conversions and fresh profile aggregates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from personalization.adapters import get_adapter
from personalization.measurement.events import settle_events
from personalization.signals import order_placed


def on_order_placed(sender: Any, order: Any = None, user: Any = None, request: Any = None,
                    value: Decimal | None = None, reference: str = "", **kwargs: Any) -> None:
    """Record the conversion and refresh the customer's aggregates once the order commits;
    alert the order's sales rep by SMS."""
    from personalization.jobs.tasks import record_order
    from personalization.messaging.alerts import queue_rep_alert

    ctx = getattr(request, "visitor", None) if request is not None else None
    # The consent of the buyer's browser at the moment of the order; without a request
    # (an order entered by staff) the task reads the customer's recorded choices.
    allowed = sorted(ctx.allowed_purposes) if ctx is not None else None
    visitor_id = ctx.visitor_id if ctx is not None and ctx.remembered else None
    user_id = getattr(user, "pk", None)
    total = str(value if value is not None else Decimal("0"))

    def after_commit() -> None:
        settle_events()  # this process's exposures reach the buffer before the task reads it
        record_order.delay(user_id=user_id, visitor_id=visitor_id, value=total,
                           reference=str(reference), allowed=allowed)

    transaction.on_commit(after_commit)
    if order is not None:
        queue_rep_alert(order, request=request)


def connect() -> None:
    order_placed.connect(on_order_placed, dispatch_uid="pz_order_placed")
    get_adapter().ready()
