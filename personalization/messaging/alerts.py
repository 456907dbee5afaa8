"""Sales-rep SMS alerts: who gets one, when, with which text, and sending it once.

Each notification is a row, unique per (order, rep), so a repeated ``order_placed`` never
queues a second message; it is sent with the claim-then-send state machine all of the app's
messages share (``personalization.messaging.delivery``). See docs/async.md for the
trade-offs.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from django.conf import settings as django_settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import ngettext
from phonenumber_field.phonenumber import to_python

from personalization.adapters import OrderSummary, RepContact, get_adapter
from personalization.conf import app_settings
from personalization.engine.request_facts import store_timezone
from personalization.fields import format_money
from personalization.messaging import delivery
from personalization.messaging.channels import (
    SendResult,
    SmsBackendBase,
    SmsMessage,
    get_sms_backend,
)
from personalization.models import RepAlertSettings, RepNotification
from personalization.models.notifications import DEFAULT_TEMPLATE, format_string
from personalization.signals import rep_alert_due

logger = logging.getLogger(__name__)
Status = RepNotification.Status

#: A row "sending" for longer than this many send time-outs lost its worker.
STALE_AFTER_TIMEOUTS = 2
STALLED_AFTER = delivery.STALLED_AFTER


TransientSendError = delivery.TransientSendError


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
        "order_lines": _order_lines(order.line_count),
        "total": f"{Decimal(order.total):.2f}", "amount": format_money(order.total),
        "admin_url": admin_url, "rep": rep.name,
    }
    try:
        return format_string(template).format(**values).strip()
    except (KeyError, ValueError, IndexError, AttributeError):
        logger.warning("Invalid rep alert template %r; using the default.", template)
        return format_string(DEFAULT_TEMPLATE).format(**values).strip()


def _order_lines(count: int) -> str:
    """"1 line", "3 lines": in the shop's language (``LANGUAGE_CODE``), the language the
    merchant writes the template in, not the ordering customer's."""
    with translation.override(django_settings.LANGUAGE_CODE):
        return ngettext("%(n)s line", "%(n)s lines", count) % {"n": count}


def absolute_url(path: str, request: HttpRequest | None = None) -> str:
    """``path`` made absolute, on the first base known: the host of ``request`` (the one
    the visitor used, as Django's own e-mails do), else ``SITE_URL``, else the current
    site of the Sites framework when it is installed, else ``path`` as given."""
    if not path or path.startswith(("http://", "https://")):
        return path
    if request is not None:
        return request.build_absolute_uri(path)
    base = app_settings.SITE_URL or _sites_base()
    return base.rstrip("/") + path if base else path


#: The Sites framework's placeholder domain: not an address to send anybody to.
_PLACEHOLDER_DOMAINS = ("", "example.com")


def _sites_base() -> str:
    """``https://<domain>`` of the Sites framework's current site ("http" for a local
    one), or "" without the framework or with its placeholder domain."""
    from django.apps import apps

    if not apps.is_installed("django.contrib.sites"):
        return ""
    from django.contrib.sites.models import Site

    try:
        domain = Site.objects.get_current().domain
    except Exception:  # no SITE_ID, or no such site
        return ""
    if domain in _PLACEHOLDER_DOMAINS:
        return ""
    local = domain.split(":")[0] in ("localhost", "127.0.0.1")
    return f"{'http' if local else 'https'}://{domain}"


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

class SmsCourier(delivery.Courier):
    """A rep's SMS through the configured SMS backend."""

    def __init__(self) -> None:
        self.backend: SmsBackendBase = get_sms_backend()
        self.can_find_sent = self.backend.can_find_sent
        self.stale_after = _stale_after()

    @staticmethod
    def message(row: RepNotification) -> SmsMessage:
        return SmsMessage(to=str(row.phone), body=row.body)

    def send(self, row: RepNotification) -> SendResult:
        return self.backend.send(self.message(row))

    def find_sent(self, row: RepNotification, since: datetime) -> SendResult | None:
        return self.backend.find_sent(self.message(row), since)

    def enqueue(self, row: RepNotification) -> None:
        enqueue(row)


def send_rep_notification(notification_id: int, *, last_attempt: bool = False) -> str:
    """Send one queued notification, at most once; returns its status afterwards
    (``personalization.messaging.delivery`` has the state machine).

    Raises :class:`TransientSendError` when it should be tried again later, unless
    ``last_attempt``: then the notification ends as failed with the error.
    """
    return delivery.deliver(RepNotification, notification_id, SmsCourier,
                            last_attempt=last_attempt)


def _stale_after() -> timedelta:
    return timedelta(seconds=STALE_AFTER_TIMEOUTS * float(app_settings.SMS_SEND_TIMEOUT))


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
    count = 0
    for notification in delivery.stalled(RepNotification, _stale_after(), now).iterator():
        enqueue(notification)
        count += 1
    return count
