"""Finding the journey messages that are due, set-based, and recording each once.

For each enabled journey, highest priority first, one query over the shop's customers
finds who is due now (the trigger's occurrence old enough, in the audience, with marketing
consent, no journey message in the last period) and only those rows are read; they are
written with ``bulk_create(ignore_conflicts=True)`` under the (customer, journey,
occurrence) uniqueness, so a scan that runs twice, or two at once, records each message
once. A lower-priority journey's scan sees the rows the higher one just wrote: a customer
gets the one message that matters most.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Min, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from personalization.adapters import get_adapter
from personalization.conf import app_settings
from personalization.engine.request_facts import store_timezone
from personalization.messaging.alerts import next_send_time
from personalization.models import ConsentRecord, Journey, JourneyMessage, SegmentMembership
from personalization.privacy.consent import MARKETING
from personalization.signals import journey_message_due

Status = JourneyMessage.Status
#: A trigger's occurrence older than its delay plus this is not acted on (enabling a
#: journey does not write to every customer whose cart was left last year).
WINDOW = timedelta(days=7)
#: Statuses that count as "got a journey message" for the one-per-period rule.
COUNTED = [Status.QUEUED, Status.SENDING, Status.SENT, Status.HELD_OUT]


@dataclass
class ScanResult:
    queued: dict[str, int] = field(default_factory=dict)
    held_out: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {"queued": self.queued, "held_out": self.held_out}


def in_holdout(journey: Journey, user_id: int) -> bool:
    """A stable draw per (journey, customer): the same customer is always in or out."""
    digest = hashlib.sha256(f"pz-journey:{journey.pk}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < journey.holdout_percent


def occurrence(journey: Journey, at: datetime) -> str:
    if journey.trigger == Journey.Trigger.FIRST_ORDER:
        return "welcome"  # once in a customer's life
    return f"{journey.trigger}:{int(at.timestamp())}"


def describe_occurrence(value: str) -> str:
    """An occurrence as the merchant reads it: "cart left on 1 Jul 2026, 14:30",
    "no order since 1 Jul 2026" (store time zone)."""
    if value == "welcome":
        return gettext("first order")
    trigger, _sep, stamp = value.partition(":")
    try:
        at = timezone.localtime(datetime.fromtimestamp(int(stamp), tz=UTC), store_timezone())
    except (ValueError, OverflowError, OSError):
        return value
    day, moment = date_format(at, "DATE_FORMAT"), date_format(at, "DATETIME_FORMAT")
    if trigger == Journey.Trigger.CART_ABANDONED:
        return gettext("cart left on %(when)s") % {"when": moment}
    if trigger == Journey.Trigger.LAPSED:
        return gettext("no order since %(day)s") % {"day": day}
    if trigger == Journey.Trigger.ENTERED_SEGMENT:
        return gettext("entered the segment on %(when)s") % {"when": moment}
    return value


def due_customers(journey: Journey, now: datetime) -> QuerySet | None:
    """The customers this journey is due for now, annotated with ``at`` (when its trigger
    occurred); None when the shop cannot tell (no saved carts, no orders)."""
    qs = triggered(journey, now)
    if qs is None:
        return None
    for segment_id in journey.audience.values_list("pk", flat=True):
        qs = qs.filter(pk__in=SegmentMembership.objects.filter(segment_id=segment_id)
                       .values("user"))
    marketing = Subquery(ConsentRecord.objects.filter(
        user=OuterRef("pk"), purpose=MARKETING,
        policy_version=app_settings.CONSENT_POLICY_VERSION,
    ).order_by("-created_at", "-pk").values("granted")[:1])
    return qs.annotate(marketing=marketing).filter(marketing=True).exclude(
        pk__in=recent_messages(now).values("user"))


def recent_messages(now: datetime) -> QuerySet:
    """Journey messages that count toward the one-per-period rule."""
    period = timedelta(days=app_settings.JOURNEY_PERIOD_DAYS)
    return JourneyMessage.objects.filter(created_at__gt=now - period, status__in=COUNTED)


def triggered(journey: Journey, now: datetime) -> QuerySet | None:
    """The customers whose trigger occurred long enough ago, annotated with ``at``."""
    adapter = get_adapter()
    customers = adapter.customers()
    if customers is None:
        return None
    delay = timedelta(hours=journey.hours)
    of = OuterRef("pk")
    trigger = journey.trigger
    if trigger == Journey.Trigger.CART_ABANDONED:
        carts = adapter.saved_carts()
        if carts is None:
            return None
        f = adapter.saved_cart_fields
        at = Subquery(carts.filter(**{f.customer: of}).order_by(f"-{f.updated}")
                      .values(f.updated)[:1])
        qs = customers.annotate(at=at).filter(at__lte=now - delay, at__gt=now - delay - WINDOW)
    elif trigger == Journey.Trigger.ENTERED_SEGMENT:
        if journey.segment_id is None:
            return None
        at = Subquery(SegmentMembership.objects.filter(segment_id=journey.segment_id, user=of)
                      .values("since")[:1])
        qs = customers.annotate(at=at).filter(at__lte=now - delay, at__gt=now - delay - WINDOW)
    else:
        orders = adapter.orders()
        if orders is None:
            return None
        f = adapter.order_fields
        mine = orders.filter(**{f.customer: of}).order_by().values(f.customer)
        if trigger == Journey.Trigger.FIRST_ORDER:
            first = Subquery(mine.annotate(m=Min(f.created)).values("m")[:1])
            qs = customers.annotate(at=first).filter(at__lte=now - delay,
                                                     at__gt=now - delay - WINDOW)
        else:  # lapsed: at least K orders, the last one N days ago or more
            last = Subquery(mine.annotate(m=Max(f.created)).values("m")[:1])
            count = Subquery(mine.annotate(n=Count("pk")).values("n")[:1])
            qs = customers.annotate(at=last, n=count).filter(
                n__gte=journey.min_orders, at__lte=now - timedelta(days=journey.lapsed_days))
    return qs


def scan(now: datetime | None = None, journeys: Any = None) -> ScanResult:
    """Record every due journey message (queued, or held out), and hand the queued ones
    to a worker at their time (after quiet hours)."""
    now = now or timezone.now()
    result = ScanResult()
    tz = store_timezone()
    todo = journeys if journeys is not None else Journey.objects.filter(enabled=True)
    for journey in todo.order_by("-priority", "pk"):
        due = due_customers(journey, now)
        if due is None:
            continue
        send_after = next_send_time(now, journey.quiet_hours_start, journey.quiet_hours_end,
                                    tz)
        rows = []
        for user_id, at in due.values_list("pk", "at").iterator(chunk_size=2000):
            control = in_holdout(journey, user_id)
            rows.append(JourneyMessage(
                journey=journey, user_id=user_id, occurrence=occurrence(journey, at),
                control=control, channel=journey.channel, send_after=send_after,
                status=Status.HELD_OUT if control else Status.QUEUED, created_at=now))
            if len(rows) >= 2000:
                JourneyMessage.objects.bulk_create(rows, ignore_conflicts=True)
                rows = []
        JourneyMessage.objects.bulk_create(rows, ignore_conflicts=True)
        written = JourneyMessage.objects.filter(journey=journey, created_at=now)
        result.held_out[journey.name] = written.filter(status=Status.HELD_OUT).count()
        result.queued[journey.name] = 0
        for message in written.filter(status=Status.QUEUED).iterator():
            result.queued[journey.name] += 1  # counted as handed over: no count query
            journey_message_due.send(sender=JourneyMessage, message=message)
    return result


def explain(user: Any, now: datetime | None = None) -> list[tuple[Journey, bool, str]]:
    """For ``manage.py explain --user``: each enabled journey, highest priority first,
    whether it would write to him now and why (or why not)."""
    now = now or timezone.now()
    from personalization.privacy.consent import may_send_marketing

    lines: list[tuple[Journey, bool, str]] = []
    chosen: Journey | None = None
    recent = recent_messages(now).filter(user=user).select_related("journey").first()
    for journey in Journey.objects.filter(enabled=True).order_by("-priority", "pk"):
        found = triggered(journey, now)
        row = found.filter(pk=user.pk).values_list("at", flat=True).first() \
            if found is not None else None
        missing = [s.name for s in journey.audience.all()
                   if not SegmentMembership.objects.filter(segment=s, user=user).exists()]
        if row is None:
            why = f"not triggered ({Journey.Trigger(journey.trigger).label.lower()})"
        elif missing:
            why = f"not in its audience: {', '.join(missing)}"
        elif not may_send_marketing(user):
            why = "no consent to marketing messages"
        elif recent is not None:
            why = (f"already got “{recent.journey}” on {recent.created_at:%Y-%m-%d}: one "
                   f"journey message per {app_settings.JOURNEY_PERIOD_DAYS} days")
        elif chosen is not None:
            why = f"due, but “{chosen}” has a higher priority"
        else:
            chosen = journey
            held = " — in its holdout: recorded, not sent" if in_holdout(
                journey, user.pk) else ""
            lines.append((journey, True, f"due: triggered {row:%Y-%m-%d %H:%M}{held}"))
            continue
        lines.append((journey, False, why))
    return lines
