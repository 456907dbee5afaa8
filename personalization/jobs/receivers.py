"""Where work is handed to Celery: the shop's orders, rep alerts due, events waiting."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from celery.signals import worker_ready
from django.db import transaction
from django.utils import timezone

from personalization.adapters import get_adapter
from personalization.jobs import outbox
from personalization.jobs.publishing import publish
from personalization.jobs.tasks import flush_events, notify_rep_of_order
from personalization.measurement.events import settle_events
from personalization.messaging.alerts import queue_rep_alert
from personalization.signals import (
    events_waiting,
    journey_message_due,
    order_placed,
    rep_alert_due,
)
from personalization.touchpoints.rendering import mark_codes_used

logger = logging.getLogger(__name__)


def on_order_placed(sender: Any, order: Any = None, user: Any = None, request: Any = None,
                    value: Decimal | None = None, reference: str = "", **kwargs: Any) -> None:
    """Write the order's follow-up work in the shop's transaction (send ``order_placed``
    inside it): the conversion to record, the sales rep's SMS, and the visitor codes it spent
    (not offered again). The first two are handed to a
    worker after commit; a broker that cannot be reached then loses nothing (the outbox
    relay publishes them when it is back). Never raises into the shop's checkout."""
    ctx = getattr(request, "visitor", None) if request is not None else None
    # The consent of the buyer's browser at the moment of the order; without a request
    # (an order entered by staff) the task reads the customer's recorded choices.
    allowed = sorted(ctx.allowed_purposes) if ctx is not None else None
    visitor_id = ctx.visitor_id if ctx is not None and ctx.remembered else None
    total = str(value if value is not None else Decimal("0"))
    # This process's exposures reach the buffer before the task reads it.
    transaction.on_commit(_settle_events_quietly)
    try:
        with transaction.atomic():  # a savepoint: a failure here never aborts the order
            outbox.post(RECORD_ORDER, {"user_id": getattr(user, "pk", None),
                                       "visitor_id": visitor_id, "value": total,
                                       "reference": str(reference), "allowed": allowed})
            if order is not None:
                queue_rep_alert(order, request=request)
    except Exception:
        logger.exception("Could not record the follow-up work of order %s", reference)
    if order is not None:
        try:
            with transaction.atomic():  # its own savepoint: the rows above stay
                mark_codes_used(get_adapter().order_codes(order))
        except Exception:
            logger.exception("Could not mark the codes of order %s as used", reference)


RECORD_ORDER = "personalization.measurement.orders.record_order"


def _settle_events_quietly() -> None:
    try:
        settle_events()
    except Exception:  # the cache may be down; the events stay in this process
        logger.exception("Could not settle this process's events")


def enqueue_rep_alert(sender: Any, notification: Any, **kwargs: Any) -> None:
    """Hand a rep's SMS to a worker, at its ``send_after`` time."""
    eta = notification.send_after if notification.send_after > timezone.now() else None
    if eta is not None and notify_rep_of_order.app.conf.task_always_eager:
        # Eager Celery cannot wait: the notification stays queued until a worker runs
        # resume_rep_notifications after the quiet hours.
        logger.info("SMS %s waits for the quiet hours to end (%s)", notification.pk, eta)
        return
    handover = publish(notify_rep_of_order, (notification.pk,), eta=eta)
    if not handover:  # the row is queued: the outbox relay enqueues it again
        logger.warning("Could not enqueue SMS %s: %s", notification.pk, handover.error)


def enqueue_journey_message(sender: Any, message: Any, **kwargs: Any) -> None:
    """Hand a journey message to a worker, at its ``send_after`` time (after quiet hours);
    eager Celery leaves it queued until a run after them, as for the rep's SMS."""
    from personalization.jobs.tasks import send_journey_message

    eta = message.send_after if message.send_after > timezone.now() else None
    if eta is not None and send_journey_message.app.conf.task_always_eager:
        logger.info("Journey message %s waits for the quiet hours to end (%s)", message.pk,
                    eta)
        return
    handover = publish(send_journey_message, (message.pk,), eta=eta)
    if not handover:  # the row is queued: the outbox relay enqueues it again
        logger.warning("Could not enqueue journey message %s: %s", message.pk,
                       handover.error)


def schedule_flush(sender: Any, **kwargs: Any) -> None:
    """Flush the event buffer on a worker (in the web process when Celery runs eagerly).
    A broker that cannot be reached costs nothing: the events stay buffered for the next
    flush (beat's, or the next request's)."""
    handover = publish(flush_events)
    if not handover:
        logger.warning("Could not enqueue flush_events (%s); the events stay buffered",
                       handover.error)


def relay_at_worker_start(sender: Any = None, **kwargs: Any) -> None:
    """A worker that starts publishes what waited while no worker or broker was there."""
    try:
        outbox.relay()
    except Exception:
        logger.exception("The outbox relay failed at worker start")


def connect() -> None:
    order_placed.connect(on_order_placed, dispatch_uid="pz_order_placed")
    rep_alert_due.connect(enqueue_rep_alert, dispatch_uid="pz_rep_alert_due")
    journey_message_due.connect(enqueue_journey_message, dispatch_uid="pz_journey_due")
    events_waiting.connect(schedule_flush, dispatch_uid="pz_events_waiting")
    worker_ready.connect(relay_at_worker_start, dispatch_uid="pz_relay_at_worker_start")
    get_adapter().ready()
