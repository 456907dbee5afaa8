"""The transactional outbox: work is written with the change that asks for it, then handed
to the broker after commit; nothing is lost when the broker cannot be reached.

    post()  ── in the caller's transaction ──▶ OutboxMessage row (not done)
       │ after commit: publish (may fail: logged, the row waits)
       ▼
    run_outbox_message task ──▶ the function ──▶ row marked done
       ▲
    relay (beat every minute, and at worker start): publishes rows not done whose last
    publication is missing or older than STALLED_AFTER (a broker that lost the message)

A message may therefore run more than once, so its function must be idempotent (recording
an order's conversion is: one conversion per order and campaign).

Personal data: a message's arguments name the customer (``user_id``) and his browser
(``visitor_id``) as long as it waits, and no longer: a message done keeps no arguments, and
erasing a customer's data cancels his messages (``datarights.subjects``). A message cancelled
while it was running has its customer erased once more when it ends, so whatever it wrote
goes too. Sales-rep SMS keep their
own durable row, :class:`~personalization.models.RepNotification`, whose claim-then-send
state machine is what makes each SMS go out once; the relay re-enqueues those rows too.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from personalization.datarights.subjects import cancelled_by_erasure, erase_named_subject
from personalization.jobs.publishing import publish as publish_task
from personalization.journeys.messages import resume_stalled_messages
from personalization.messaging.alerts import resume_stalled_notifications
from personalization.models import OutboxMessage

logger = logging.getLogger(__name__)

#: A message handed to the broker this long ago and still not done is handed over again.
STALLED_AFTER = timedelta(minutes=1)
#: Done messages are kept this long (to see what ran), then deleted by the relay.
KEEP_DONE = timedelta(days=7)
TASK = "personalization.jobs.tasks.run_outbox_message"


def post(function: str, kwargs: dict[str, Any], *,
         available_at: datetime | None = None) -> OutboxMessage:
    """Record a call of ``function`` (dotted path) with JSON-able ``kwargs`` in the current
    transaction, and hand it to a worker once the transaction commits."""
    message = OutboxMessage.objects.create(function=function, kwargs=kwargs,
                                           available_at=available_at or timezone.now())
    transaction.on_commit(lambda: publish([message.pk]))
    return message


def publish(ids: list[int]) -> int:
    """Hand these messages to the broker; returns how many were handed over. A broker that
    cannot be reached (or hangs: each try waits at most PUBLISH_TIMEOUT) is logged and
    leaves them for the relay."""
    handed = 0
    for pk in ids:
        handover = publish_task(current_app.tasks[TASK], (pk,))
        if not handover:  # the broker is down: the relay tries again
            logger.warning("Could not publish outbox message %s: %s", pk, handover.error)
            OutboxMessage.objects.filter(pk=pk).update(
                last_error=f"publish: {handover.error}"[:2000])
            break  # the next ones would fail the same way
        OutboxMessage.objects.filter(pk=pk).update(  # (an eager task is done already)
            published_at=timezone.now(), publish_count=F("publish_count") + 1)
        handed += 1
    return handed


def run(pk: int) -> str:
    """Make the call a message stands for, once: a message already done (or cancelled)
    does nothing; one done drops its arguments (they may name a customer)."""
    message = OutboxMessage.objects.filter(pk=pk).first()
    if message is None or message.done_at is not None:
        return "done"
    function = import_string(message.function)
    function(**message.kwargs)
    with transaction.atomic():  # waits for an erasure that is cancelling this message
        finished = OutboxMessage.objects.filter(pk=pk, done_at=None).update(
            done_at=timezone.now(), last_error="", kwargs={})
    if not finished and cancelled_by_erasure(pk):
        # His data was erased while this ran: what it wrote is erased too.
        erase_named_subject(message.kwargs)
    return "ran"


def due(now: datetime | None = None) -> list[int]:
    """Messages to hand over (again): not done, available, never published or stalled."""
    now = now or timezone.now()
    pending = (OutboxMessage.objects.filter(done_at=None, available_at__lte=now)
               .exclude(published_at__gte=now - STALLED_AFTER).order_by("available_at", "pk"))
    if connection.features.has_select_for_update_skip_locked:
        pending = pending.select_for_update(skip_locked=True)
    return list(pending.values_list("pk", flat=True)[:1000])


def relay(now: datetime | None = None) -> dict[str, int]:
    """Publish what is still unpublished or stalled, re-enqueue stalled SMS, and delete done
    messages older than KEEP_DONE. Safe to run on several workers at once."""
    now = now or timezone.now()
    with transaction.atomic():  # rows being published here are skipped by another relay
        published = publish(due(now))
    sms = resume_stalled_notifications(now)
    journeys = resume_stalled_messages(now)
    deleted, _ = OutboxMessage.objects.filter(done_at__lt=now - KEEP_DONE).delete()
    return {"published": published, "sms": sms, "journeys": journeys, "deleted": deleted}
