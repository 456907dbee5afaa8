"""The state of each part the app depends on, for ``manage.py pz_health`` and monitoring:
database, cache, Celery broker and workers, and the work waiting in the outbox.

The whole check answers within about ``DEADLINE`` seconds whatever is down or hung: the
cache, broker and workers are asked at the same time, each in a thread of its own, and one
that has not answered by the deadline is reported down ("no answer"). The database checks
run in the calling thread (its connection and test transaction are there); their bound is
the database's own connection time-out (``connect_timeout`` in ``DATABASES`` OPTIONS).
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from celery import current_app
from django.db import connection
from django.utils import timezone

from personalization.cache import app_cache, cache_is_down, reset
from personalization.jobs.publishing import bounded_connection
from personalization.messaging.alerts import STALLED_AFTER
from personalization.models import OutboxMessage, RepNotification

#: Work waiting longer than this makes the outbox unhealthy.
BACKLOG_AFTER = timedelta(minutes=5)
#: Seconds within which every check has answered (or is reported down).
DEADLINE = 2.5


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _timed(name: str, probe: object) -> Check:
    start = time.monotonic()
    try:
        detail = probe()  # type: ignore[operator]
    except Exception as exc:
        return Check(name, False, f"{type(exc).__name__}: {exc}")
    return Check(name, True, f"{detail} ({(time.monotonic() - start) * 1000:.0f} ms)")


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _cache() -> str:
    cache = app_cache()
    reset()  # ask the server now, not the memory of an earlier failure
    key, value = f"pz:health:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, 30)
    if cache.get(key) != value or cache_is_down(cache.server):
        raise ConnectionError(f"{cache.server} did not keep a value")
    cache.delete(key)
    return cache.server


def _broker() -> str:
    if current_app.conf.task_always_eager:
        return "eager mode: tasks run in the web process"
    with bounded_connection(current_app) as conn:  # a hung broker: a bounded wait
        conn.ensure_connection(max_retries=1)  # a Redis broker is asked a PING
        return conn.as_uri()


def _workers() -> str:
    if current_app.conf.task_always_eager:
        return "eager mode: no worker needed"
    with bounded_connection(current_app) as conn:
        replies = current_app.control.ping(timeout=1.0, connection=conn)
    if not replies:
        raise RuntimeError("no worker answered a ping within 1 s")
    return ", ".join(sorted(name for reply in replies for name in reply))


def _outbox() -> str:
    now = timezone.now()
    waiting = OutboxMessage.objects.filter(done_at=None, available_at__lte=now)
    oldest = waiting.order_by("available_at").values_list("available_at", flat=True).first()
    sms = RepNotification.objects.filter(status=RepNotification.Status.QUEUED,
                                         send_after__lt=now - STALLED_AFTER).count()
    detail = f"{waiting.count()} message(s) waiting, {sms} SMS overdue"
    if oldest is not None and now - oldest > BACKLOG_AFTER:
        raise RuntimeError(f"{detail}; the oldest since {oldest:%Y-%m-%d %H:%M:%S} "
                           "(is beat running relay_outbox, and a worker?)")
    return detail


class _Probe(threading.Thread):
    """One network check in a daemon thread: one that hangs never keeps the process alive."""

    def __init__(self, name: str, probe: object) -> None:
        super().__init__(name=f"pz-health-{name}", daemon=True)
        self.check_name, self.probe = name, probe
        self.result: Check | None = None

    def run(self) -> None:
        from django.db import connections

        try:
            self.result = _timed(self.check_name, self.probe)
        finally:
            connections.close_all()  # this thread's own, if a probe opened one

    def outcome(self, deadline: float) -> Check:
        self.join(max(0.0, deadline - time.monotonic()))
        if self.result is None:
            return Check(self.check_name, False, f"no answer within {DEADLINE:g} s")
        return self.result


def check_all() -> list[Check]:
    """Every part, in order; each check catches its own failure, and the whole answers
    within about DEADLINE seconds (see the module's docstring)."""
    deadline = time.monotonic() + DEADLINE
    probes = {name: _Probe(name, probe) for name, probe in
              (("cache", _cache), ("broker", _broker), ("workers", _workers))}
    for probe in probes.values():
        probe.start()
    database, outbox = _timed("database", _database), _timed("outbox", _outbox)
    return [database, *(p.outcome(deadline) for p in probes.values()), outbox]
