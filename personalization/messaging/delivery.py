"""Sending a stored message once: the claim-then-send state machine every outgoing message
of the app shares (a sales rep's SMS, a customer's journey e-mail or SMS).

A message is a row with ``status``, ``attempts``, ``claimed_at``, ``send_after``,
``sent_at``, ``last_error`` and ``provider_message_id``, unique for what it is about, so a
repeated trigger never makes a second row. Its states::

    queued ──claim (conditional UPDATE, attempts+1)──▶ sending ──provider OK──▶ sent
      ▲                                                  │
      └──── transient error (retry with backoff) ◀───────┤──final error / last retry──▶ failed
                                                         │
                          worker died (row left in "sending" longer than the courier's
                          ``stale_after``): the next delivery asks the provider
                          (``find_sent``): found → sent; not found → claim again and send;
                          the courier cannot tell → failed, for a person to look at.

Only the delivery whose conditional UPDATE changed the row may call the provider, so two
copies of the task never both send. A courier (one per channel) says how the row is sent,
looked up and handed to a worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

# SendError: what a courier raises when sending fails (SMS backends raise its SmsError).
from personalization.messaging.channels.base import SendError as SendError
from personalization.messaging.channels.base import SendResult
from personalization.models.delivery import DeliveryStatus

logger = logging.getLogger(__name__)

#: A queued row whose task has not run this long after it was due is enqueued again (the
#: broker was down when it was due, or lost the message; a second copy is harmless, the
#: claim lets one send). The outbox relay looks every minute.
STALLED_AFTER = timedelta(seconds=30)

QUEUED, SENDING, SENT, FAILED = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING,
                                 DeliveryStatus.SENT, DeliveryStatus.FAILED)


class TransientSendError(Exception):
    """The message could not be sent now; the task retries it later with backoff."""


class Courier:
    """How one channel sends a stored message. Subclass and implement :meth:`send`."""

    #: Whether :meth:`find_sent` can answer (otherwise an interrupted send is not retried).
    can_find_sent = False
    #: A row "sending" for longer than this lost its worker.
    stale_after = timedelta(minutes=2)

    def send(self, row: Any) -> SendResult:
        """Send the row's message; raise :class:`SendError` when it fails."""
        raise NotImplementedError

    def find_sent(self, row: Any, since: datetime) -> SendResult | None:
        """The provider's record of the row's message accepted at or after ``since``, or
        None when the provider never got it."""
        raise NotImplementedError

    def enqueue(self, row: Any) -> None:
        """Hand the row to a worker at its ``send_after`` time."""
        raise NotImplementedError

    def still_wanted(self, row: Any) -> tuple[str, str] | None:
        """Checked right before the claim: None, or the status (``skipped``,
        ``cancelled``) and the reason when the message is no longer to go out."""
        return None


def deliver(model: type[models.Model], pk: int, courier: Courier | Callable[[], Courier], *,
            last_attempt: bool = False) -> str:
    """Send one queued row of ``model`` at most once; returns its status afterwards.

    Raises :class:`TransientSendError` when it should be tried again later, unless
    ``last_attempt``: then the row ends as failed with the error. ``courier`` may be a
    factory, called only when there is something to send.
    """
    row = model.objects.filter(pk=pk).first()
    if row is None:
        return "missing"
    if row.status not in (QUEUED, SENDING):
        return row.status  # sent, failed, skipped…: a duplicate delivery does nothing
    now = timezone.now()
    if callable(courier) and not isinstance(courier, Courier):
        courier = courier()
    if row.send_after > now:
        courier.enqueue(row)  # delivered early (quiet hours): wait for the window again
        return row.status
    if row.status == SENDING:
        return _recover(model, row, courier, now, last_attempt)
    unwanted = courier.still_wanted(row)
    if unwanted is not None:
        status, reason = unwanted
        changed = model.objects.filter(pk=pk, status=QUEUED, attempts=row.attempts).update(
            status=status, last_error=reason)
        return status if changed else "busy"
    claimed = model.objects.filter(pk=pk, status=QUEUED, attempts=row.attempts).update(
        status=SENDING, attempts=F("attempts") + 1, claimed_at=now)
    if not claimed:
        return "busy"  # another delivery claimed it at the same moment; it sends
    return _send(model, row, row.attempts + 1, now, courier, last_attempt)


def _send(model: type[models.Model], row: Any, attempt: int, claimed_at: datetime,
          courier: Courier, last_attempt: bool) -> str:
    try:
        result = courier.send(row)
    except SendError as exc:
        if exc.maybe_sent:
            found = _lookup(courier, row, claimed_at)
            if isinstance(found, SendResult):
                return _finish(model, row.pk, attempt, SENT, provider_id=found.provider_id,
                               error=f"Answer lost ({exc}); the provider had the message.")
            if found is None:  # the provider never got it: an ordinary transient error
                exc = SendError(str(exc), transient=True)
            elif not last_attempt:  # unknown: stay "sending" and look again later
                raise TransientSendError(str(exc)) from exc
        if exc.transient and not last_attempt:
            _finish(model, row.pk, attempt, QUEUED, error=str(exc))
            raise TransientSendError(str(exc)) from exc
        return _finish(model, row.pk, attempt, FAILED, error=str(exc))
    except Exception as exc:  # a bug in a backend: visible as failed, never retried blindly
        logger.exception("%s failed", type(courier).__name__)
        return _finish(model, row.pk, attempt, FAILED, error=f"{type(exc).__name__}: {exc}")
    return _finish(model, row.pk, attempt, SENT, provider_id=result.provider_id)


_UNKNOWN = object()


def _lookup(courier: Courier, row: Any, since: datetime) -> Any:
    """The provider's record of the message, None if it has none, _UNKNOWN if it can't say."""
    if not courier.can_find_sent:
        return _UNKNOWN
    try:
        return courier.find_sent(row, since)
    except (SendError, NotImplementedError):
        logger.warning("Could not look up a message at the provider", exc_info=True)
        return _UNKNOWN


def _finish(model: type[models.Model], pk: int, attempt: int, status: str, *,
            provider_id: str = "", error: str = "") -> str:
    """Leave "sending" for ``status``, only if this attempt still owns the row."""
    fields: dict[str, Any] = {"status": status, "last_error": error}
    if status == SENT:
        fields.update(provider_message_id=provider_id, sent_at=timezone.now())
    if status != SENDING:
        fields["claimed_at"] = None
    updated = model.objects.filter(pk=pk, status=SENDING, attempts=attempt).update(**fields)
    if not updated:
        logger.warning("%s %s changed while attempt %s was sending", model.__name__, pk,
                       attempt)
        return model.objects.values_list("status", flat=True).get(pk=pk)
    return status


def _recover(model: type[models.Model], row: Any, courier: Courier, now: datetime,
             last_attempt: bool) -> str:
    """A row found "sending": still in progress elsewhere, or left behind by a dead worker."""
    if row.claimed_at is not None and now < row.claimed_at + courier.stale_after:
        if last_attempt:
            return row.status
        raise TransientSendError("Another worker is sending this message right now.")
    found = _lookup(courier, row, row.claimed_at or row.created_at)
    if isinstance(found, SendResult):
        return _finish(model, row.pk, row.attempts, SENT, provider_id=found.provider_id,
                       error="The worker stopped after sending; found at the provider.")
    if found is _UNKNOWN:
        # At most once: without the provider's word, a second message could be a duplicate.
        return _finish(model, row.pk, row.attempts, FAILED, error=(
            "The worker stopped while sending; the message may or may not have gone out. "
            "Resend it from the admin if it did not arrive."))
    reclaimed = model.objects.filter(pk=row.pk, status=SENDING, attempts=row.attempts).update(
        attempts=F("attempts") + 1, claimed_at=now)
    if not reclaimed:
        return "busy"
    return _send(model, row, row.attempts + 1, now, courier, last_attempt)


def stalled(model: type[models.Model], stale_after: timedelta,
            now: datetime | None = None) -> models.QuerySet:
    """What no worker has finished: queued past its time (the broker was down or lost the
    task) or "sending" longer than a send may take (its worker died)."""
    now = now or timezone.now()
    return model.objects.filter(
        Q(status=QUEUED, send_after__lt=now - STALLED_AFTER)
        | Q(status=SENDING, claimed_at__lt=now - stale_after))
