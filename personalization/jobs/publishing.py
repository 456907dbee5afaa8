"""Handing a task to the broker without letting the broker hold up a request.

A publish from a web request (after an order commits, when events wait to be flushed) waits
for the broker at most ``PUBLISH_TIMEOUT`` seconds: the connection and every socket read
and write are bounded, the publish is not retried, and after a failure this process does
not try the broker again for a few seconds (``personalization.cache.RETRY_AFTER``), so a
request that publishes three tasks still waits once. Nothing is lost by giving up: what a
task stands for is a database row (outbox message, rep notification, journey message) that
the relay hands over again; a flush of the event buffer is asked for again by beat.

A broker that is down and one that hangs (a stopped process, a dropped network path, whose
TCP connections open but never answer) cost the same: one bounded wait.

The bounds are added to the project's own broker settings (``CELERY_BROKER_TRANSPORT_
OPTIONS``), which win where they set the same keys; the worker's consuming connection keeps
the project's settings unchanged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from kombu.exceptions import LimitExceeded
from kombu.pools import producers

from personalization.cache import cache_is_down, mark_down
from personalization.conf import app_settings

logger = logging.getLogger(__name__)

#: The transport options that bound each wait, per kind of broker (kombu's names).
BOUNDS = {
    "redis": ("socket_timeout", "socket_connect_timeout"),
    "rediss": ("socket_timeout", "socket_connect_timeout"),
    "sentinel": ("socket_timeout", "socket_connect_timeout"),
    "amqp": ("read_timeout", "write_timeout"),
    "pyamqp": ("read_timeout", "write_timeout"),
    "amqps": ("read_timeout", "write_timeout"),
}


def bounded_connection(app: Any) -> Any:
    """A connection to the broker whose every wait is bounded by PUBLISH_TIMEOUT."""
    timeout = app_settings.PUBLISH_TIMEOUT
    connection = app.connection_for_write()
    options = {key: timeout for key in BOUNDS.get(connection.transport_cls, ())}
    options.update(app.conf.broker_transport_options or {})
    # connect_timeout also bounds the total time kombu spends on connection attempts.
    return app.connection_for_write(
        connect_timeout=min(timeout, app.conf.broker_connection_timeout or timeout),
        transport_options=options)


@dataclass(frozen=True)
class Handover:
    """Whether the broker took a task, and if not why (for the row that waits)."""

    taken: bool
    error: str = ""

    def __bool__(self) -> bool:
        return self.taken


def broker_key(app: Any) -> str:
    """The broker as its outage is remembered (by URL, without the password)."""
    return "broker " + app.connection_for_write().as_uri()


def publish(task: Any, args: tuple = (), **options: Any) -> Handover:
    """``task.apply_async(args, **options)`` waiting at most about ``PUBLISH_TIMEOUT``
    seconds; says whether the broker took it. A failure is logged, never raised: the
    caller's durable row waits for the relay. (Eager Celery runs the task here; its error
    is logged and returned the same way.)"""
    app = task.app
    if app.conf.task_always_eager:  # runs here and now: there is no broker to wait for
        try:
            task.apply_async(args, **options)
        except Exception as exc:
            logger.exception("Task %s failed (eager)", task.name)
            return Handover(False, f"{type(exc).__name__}: {exc}")
        return Handover(True)
    key = broker_key(app)
    if cache_is_down(key):  # it failed a moment ago: the relay hands this over later
        return Handover(False, "the broker failed a few seconds ago; not tried again yet")
    try:
        # kombu's pools are keyed by the connection's settings: one pool per process.
        with producers[bounded_connection(app)].acquire(
                block=True, timeout=app_settings.PUBLISH_TIMEOUT) as producer:
            task.apply_async(args, producer=producer, retry=False, **options)
    except LimitExceeded:  # every pooled connection busy: not the broker's fault
        return Handover(False, "every connection to the broker was busy")
    except Exception as exc:
        mark_down(exc, key, what="broker")
        return Handover(False, f"{type(exc).__name__}: {exc}")
    return Handover(True)
