"""Sales-rep SMS alerts: who gets one, when, with which text, and sending it once.

State machine of a :class:`~personalization.models.RepNotification`::

    queued ──claim (conditional UPDATE, attempts+1)──▶ sending ──provider OK──▶ sent
      ▲                                                  │
      └──── transient error (retry with backoff) ◀───────┤──final error / last retry──▶ failed
                                                         │
                          worker died (row left in "sending" for 2 × SMS_SEND_TIMEOUT):
                          the next delivery asks the provider (``find_sent``): found → sent;
                          not found → claim again and send; backend cannot tell → failed.

Only the delivery whose conditional UPDATE changed the row may call the provider, so two
copies of the task never both send; the unique (order, rep) row means a repeated
``order_placed`` never queues a second message. See docs/async.md for the trade-offs.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone
from phonenumber_field.phonenumber import to_python

from personalization.adapters import OrderSummary, RepContact, get_adapter
from personalization.conf import app_settings
from personalization.engine.request_facts import store_timezone
from personalization.fields import format_money
from personalization.messaging.channels import (
    SendResult,
    SmsBackendBase,
    SmsError,
    SmsMessage,
    get_sms_backend,
)
from personalization.models import RepAlertSettings, RepNotification
from personalization.models.notifications import DEFAULT_TEMPLATE
from personalization.signals import rep_alert_due

logger = logging.getLogger(__name__)
Status = RepNotification.Status

#: A row "sending" for longer than this many send time-outs lost its worker.
STALE_AFTER_TIMEOUTS = 2
#: A queued row whose task has not run this long after it was due is enqueued again (the
#: broker was down when it was due, or lost the message; a second copy is harmless, the
#: claim lets one send). The outbox relay looks every minute.
STALLED_AFTER = timedelta(seconds=30)


class TransientSendError(Exception):
    """The SMS could not be sent now; the task retries it later with backoff."""


# -- deciding ---------------------------------------------------------------------------

def next_send_time(now: datetime, start: time | None, end: time | None,
                   tz: tzinfo) -> datetime:
    """``now``, or the end of the quiet hours [start, end) (store time) when ``now`` is in them.

    ``start`` may be later than ``end``: 22:00–07:00 spans midnight.
    """
    if start is None or end is None or start == end:
        return now
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    opening_day: date = local.date()
    if start < end:
        quiet = start <= t < end
    else:
        quiet = t >= start or t < end
        if t >= start:
            opening_day += timedelta(days=1)
    if not quiet:
        return now
    return datetime.combine(opening_day, end, tzinfo=tz)


def skip_reason(settings: RepAlertSettings, rep: RepContact, order: OrderSummary) -> str:
    """Why this order gets no SMS under the merchant's settings, or ""."""
    if order.total < settings.minimum_order_value:
        return (f"Order total {order.total:.2f} is below the minimum of "
                f"{settings.minimum_order_value:.2f}.")
    if (settings.skip_orders_entered_by_rep and rep.user_id is not None
            and order.entered_by_id == rep.user_id):
        return "The rep entered this order himself."
    return ""


def render_message(template: str, rep: RepContact, order: OrderSummary,
                   admin_url: str) -> str:
    """The SMS text; a template that no longer validates falls back to the default."""
    values = {
        "customer": order.customer_name, "account": order.account_name or order.customer_name,
        "order_number": order.reference, "lines": order.line_count,
        "total": f"{Decimal(order.total):.2f}", "amount": format_money(order.total),
        "admin_url": admin_url, "rep": rep.name,
    }
    try:
        return template.format(**values).strip()
    except (KeyError, ValueError, IndexError, AttributeError):
        logger.warning("Invalid rep alert template %r; using the default.", template)
        return DEFAULT_TEMPLATE.format(**values).strip()


def absolute_url(path: str, request: HttpRequest | None = None) -> str:
    """``path`` on ``SITE_URL``, else on the request's host, else as given."""
    if not path or path.startswith(("http://", "https://")):
        return path
    if app_settings.SITE_URL:
        return app_settings.SITE_URL.rstrip("/") + path
    if request is not None:
        return request.build_absolute_uri(path)
    return path


def e164(phone: str) -> str:
    """``phone`` in E.164 form, or "" when it is not a valid number."""
    number = to_python(phone) if phone else None
    return number.as_e164 if number is not None and number.is_valid() else ""


def queue_rep_alert(order: Any, request: HttpRequest | None = None,
                    now: datetime | None = None) -> RepNotification | None:
    """Record the alert for ``order``'s sales rep and enqueue its sending after commit.

    Returns None when alerts are off, the order has no rep, or the alert was already
    recorded (a repeated ``order_placed``). Skipped alerts (minimum value, entered by the
    rep) are recorded with status "skipped" and their reason, so the merchant can see why.
    """
    adapter = get_adapter()
    rep_obj = adapter.sales_rep_of_order(order)
    if rep_obj is None:
        return None
    settings = RepAlertSettings.load()
    if not settings.enabled:
        return None
    rep, summary = adapter.rep_contact(rep_obj), adapter.order_summary(order)
    now = now or timezone.now()
    admin_url = absolute_url(summary.admin_path, request)
    phone = e164(rep.phone)
    status, reason = Status.QUEUED, skip_reason(settings, rep, summary)
    if reason:
        status = Status.SKIPPED
    elif not phone:
        status, reason = Status.FAILED, f"{rep.name} has no valid mobile number: {rep.phone!r}."
    is_model = isinstance(order, models.Model)
    try:
        with transaction.atomic():
            notification = RepNotification.objects.create(
                order_reference=summary.reference, rep_reference=rep.reference,
                rep_name=rep.name, phone=phone, customer_name=summary.customer_name,
                order_total=summary.total, admin_url=admin_url,
                body=render_message(settings.message_template, rep, summary, admin_url),
                status=status, last_error=reason,
                send_after=next_send_time(now, settings.quiet_hours_start,
                                          settings.quiet_hours_end, store_timezone()),
                order_type=ContentType.objects.get_for_model(order) if is_model else None,
                order_id=str(order.pk) if is_model else "",
            )
    except IntegrityError:
        return None  # this order's alert to this rep exists already
    if status == Status.QUEUED:
        transaction.on_commit(lambda: enqueue(notification))
    return notification


def enqueue(notification: RepNotification) -> None:
    """Hand the notification to a worker, at its ``send_after`` time (the jobs subsystem
    receives the signal and enqueues the task)."""
    rep_alert_due.send(sender=RepNotification, notification=notification)


# -- sending ------------------------------------------------------------------------------

def send_rep_notification(notification_id: int, *, last_attempt: bool = False) -> str:
    """Send one queued notification, at most once; returns its status afterwards.

    Raises :class:`TransientSendError` when it should be tried again later, unless
    ``last_attempt``: then the notification ends as failed with the error.
    """
    n = RepNotification.objects.filter(pk=notification_id).first()
    if n is None:
        return "missing"
    if n.status not in (Status.QUEUED, Status.SENDING):
        return n.status  # sent, failed or skipped: a duplicate delivery does nothing
    now = timezone.now()
    if n.send_after > now:
        enqueue(n)  # delivered early (quiet hours): wait for the window again
        return n.status
    backend = get_sms_backend()
    message = SmsMessage(to=str(n.phone), body=n.body)
    if n.status == Status.SENDING:
        return _recover(n, backend, message, now, last_attempt)
    claimed = RepNotification.objects.filter(
        pk=n.pk, status=Status.QUEUED, attempts=n.attempts,
    ).update(status=Status.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    if not claimed:
        return "busy"  # another delivery claimed it at the same moment; it sends
    return _send(n.pk, n.attempts + 1, now, backend, message, last_attempt)


def _send(pk: int, attempt: int, claimed_at: datetime, backend: SmsBackendBase,
          message: SmsMessage, last_attempt: bool) -> str:
    try:
        result = backend.send(message)
    except SmsError as exc:
        if exc.maybe_sent:
            found = _lookup(backend, message, claimed_at)
            if isinstance(found, SendResult):
                return _finish(pk, attempt, Status.SENT, provider_id=found.provider_id,
                               error=f"Answer lost ({exc}); the provider had the message.")
            if found is None:  # the provider never got it: an ordinary transient error
                exc = SmsError(str(exc), transient=True)
            elif not last_attempt:  # unknown: stay "sending" and look again later
                raise TransientSendError(str(exc)) from exc
        if exc.transient and not last_attempt:
            _finish(pk, attempt, Status.QUEUED, error=str(exc))
            raise TransientSendError(str(exc)) from exc
        return _finish(pk, attempt, Status.FAILED, error=str(exc))
    except Exception as exc:  # a bug in a backend: visible as failed, never retried blindly
        logger.exception("SMS backend %s failed", type(backend).__name__)
        return _finish(pk, attempt, Status.FAILED, error=f"{type(exc).__name__}: {exc}")
    return _finish(pk, attempt, Status.SENT, provider_id=result.provider_id)


_UNKNOWN = object()


def _lookup(backend: SmsBackendBase, message: SmsMessage, since: datetime) -> Any:
    """The provider's record of the message, None if it has none, _UNKNOWN if it can't say."""
    if not backend.can_find_sent:
        return _UNKNOWN
    try:
        return backend.find_sent(message, since)
    except (SmsError, NotImplementedError):
        logger.warning("Could not look up an SMS at the provider", exc_info=True)
        return _UNKNOWN


def _finish(pk: int, attempt: int, status: str, *, provider_id: str = "",
            error: str = "") -> str:
    """Leave "sending" for ``status``, only if this attempt still owns the row."""
    fields: dict[str, Any] = {"status": status, "last_error": error}
    if status == Status.SENT:
        fields.update(provider_message_id=provider_id, sent_at=timezone.now())
    if status != Status.SENDING:
        fields["claimed_at"] = None
    updated = RepNotification.objects.filter(
        pk=pk, status=Status.SENDING, attempts=attempt).update(**fields)
    if not updated:
        logger.warning("RepNotification %s changed while attempt %s was sending", pk, attempt)
        return RepNotification.objects.values_list("status", flat=True).get(pk=pk)
    return status


def _stale_after() -> timedelta:
    return timedelta(seconds=STALE_AFTER_TIMEOUTS * float(app_settings.SMS_SEND_TIMEOUT))


def _recover(n: RepNotification, backend: SmsBackendBase, message: SmsMessage,
             now: datetime, last_attempt: bool) -> str:
    """A row found "sending": still in progress elsewhere, or left behind by a dead worker."""
    if n.claimed_at is not None and now < n.claimed_at + _stale_after():
        if last_attempt:
            return n.status
        raise TransientSendError("Another worker is sending this SMS right now.")
    found = _lookup(backend, message, n.claimed_at or n.created_at)
    if isinstance(found, SendResult):
        return _finish(n.pk, n.attempts, Status.SENT, provider_id=found.provider_id,
                       error="The worker stopped after sending; found at the provider.")
    if found is _UNKNOWN:
        # At most once: without the provider's word, a second SMS could be a duplicate.
        return _finish(n.pk, n.attempts, Status.FAILED, error=(
            "The worker stopped while sending; the SMS may or may not have gone out. "
            "Resend it from the admin if the rep did not get it."))
    reclaimed = RepNotification.objects.filter(
        pk=n.pk, status=Status.SENDING, attempts=n.attempts,
    ).update(attempts=F("attempts") + 1, claimed_at=now)
    if not reclaimed:
        return "busy"
    return _send(n.pk, n.attempts + 1, now, backend, message, last_attempt)


# -- admin and housekeeping ---------------------------------------------------------------

def resend(notifications: models.QuerySet[RepNotification]) -> int:
    """Queue failed notifications again (the admin's "resend" action); returns how many."""
    now = timezone.now()
    ids = list(notifications.filter(status=Status.FAILED).exclude(phone="")
               .values_list("pk", flat=True))
    RepNotification.objects.filter(pk__in=ids, status=Status.FAILED).update(
        status=Status.QUEUED, send_after=now, claimed_at=None)
    for notification in RepNotification.objects.filter(pk__in=ids, status=Status.QUEUED):
        transaction.on_commit(lambda n=notification: enqueue(n))
    return len(ids)


def resume_stalled_notifications(now: datetime | None = None) -> int:
    """Enqueue again what no worker has finished: queued past its time (the broker was down
    or lost the message) or "sending" longer than a send may take (its worker died)."""
    now = now or timezone.now()
    stalled = RepNotification.objects.filter(
        Q(status=Status.QUEUED, send_after__lt=now - STALLED_AFTER)
        | Q(status=Status.SENDING, claimed_at__lt=now - _stale_after()))
    count = 0
    for notification in stalled.iterator():
        enqueue(notification)
        count += 1
    return count
