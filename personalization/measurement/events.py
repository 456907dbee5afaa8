"""Exposure and conversion events: written at once when a client is told they were
accepted, otherwise buffered and bulk-inserted in batches.

Events a client sends and is answered "accepted" (the API's ``events/``, the dismiss
form) are written by ``event_rows.record_events`` before the answer, in one INSERT: nothing
a client was told is recorded may be lost by a restart of Redis, which a shop may run
without persistence. What a page records about itself (its impressions, the visit) is
buffered, so that a page costs no database write: each time another
``EVENT_BUFFER_FLUSH_SIZE`` events are waiting, and when the oldest a process buffered is
older than ``EVENT_FLUSH_MAX_DELAY``, a Celery task bulk-inserts them.

Where they wait is one of three buffers (``measurement/buffers/``), chosen by
``PERSONALIZATION["EVENT_BUFFER"]``: ``"memory"`` (a list in the process), ``"cache"`` (a
numbered batch per response in any Django cache) or ``"redis"`` (a Redis list on the
cache's server). ``None``, the default, follows the cache: memory with ``LocMemCache``,
Redis with Django's ``RedisCache``, batches in the cache otherwise. What each can lose is in
docs/measurement.md, "Where buffered events wait".
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.db import transaction

from personalization.cache import app_cache
from personalization.conf import app_settings
from personalization.measurement.buffers.base import EventBuffer
from personalization.measurement.buffers.cache import CacheBuffer
from personalization.measurement.buffers.memory import MemoryBuffer
from personalization.measurement.buffers.redis_list import BUFFER as REDIS_BUFFER
from personalization.measurement.buffers.redis_list import LIST_KEY  # noqa: F401 (bench)
from personalization.signals import events_waiting

LOCK_KEY = "pz:events:lock"
#: The cache backend whose server the Redis buffer uses.
REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"

MEMORY_BUFFER = MemoryBuffer()
CACHE_BUFFER = CacheBuffer()
#: The buffers by the name ``EVENT_BUFFER`` gives them.
BUFFERS: dict[str, EventBuffer] = {b.name: b for b in (MEMORY_BUFFER, CACHE_BUFFER,
                                                       REDIS_BUFFER)}

_chosen: list[EventBuffer] = []  # the buffer in use, once worked out


def default_buffer_name(alias: str) -> str:
    """The buffer that suits the cache ``alias`` (``EVENT_BUFFER = None``)."""
    backend = settings.CACHES.get(alias, {}).get("BACKEND", "")
    if backend == "django.core.cache.backends.locmem.LocMemCache":
        return "memory"
    if backend == REDIS_CACHE:
        return "redis"
    return "cache"


def event_buffer() -> EventBuffer:
    """The buffer the settings choose (the system check ``E040`` vets the name)."""
    if not _chosen:
        name = app_settings.EVENT_BUFFER or default_buffer_name(app_settings.CACHE_ALIAS)
        _chosen.append(BUFFERS[name])
    return _chosen[0]


def _forget_choice(*, setting: str, **kwargs: Any) -> None:
    if setting in ("CACHES", "PERSONALIZATION"):
        _chosen.clear()


setting_changed.connect(_forget_choice)


def buffer_events(rows: list[dict[str, Any]]) -> None:
    """Queue rows (see :func:`event_row`); ask for a flush when enough are waiting, or
    when the oldest waited too long."""
    if not rows:
        return
    if event_buffer().add(rows) or _Waiting.overdue():
        transaction.on_commit(_schedule_flush)


def settle_events() -> None:
    """Push this process's waiting events to the shared buffer now (Redis: a flush does
    this first), and ask for a flush when enough are waiting there. While Redis is down the
    events wait in the process."""
    if event_buffer().settle():
        transaction.on_commit(_schedule_flush)


def discard_local_buffer() -> int:
    """Drop the events waiting in this process (tests): the memory buffer's, and those not
    yet sent to Redis (after any push under way); returns how many."""
    _Waiting.since = None
    return MEMORY_BUFFER.discard() + REDIS_BUFFER.discard()


class _Waiting:
    """When this process's oldest event not yet asked to be flushed was buffered: past
    EVENT_FLUSH_MAX_DELAY the process asks for a flush (beat does too, on the same
    interval), so events reach the database in bounded time even on a quiet shop."""

    since: float | None = None

    @classmethod
    def overdue(cls) -> bool:
        now = time.monotonic()
        if cls.since is None:
            cls.since = now
            return False
        if now - cls.since < app_settings.EVENT_FLUSH_MAX_DELAY:
            return False
        cls.since = None
        return True


def _schedule_flush() -> None:
    """Ask for a flush on a Celery worker (jobs/receivers.py enqueues it)."""
    events_waiting.send(sender=None)


def flush_events() -> int:
    """Write every buffered event to the database, one flush at a time (a lock in the
    cache: while the cache is down nothing is flushed and nothing lost); returns the number
    of events."""
    cache = app_cache()
    if not cache.add(LOCK_KEY, 1, 60):
        return 0
    try:
        return event_buffer().flush()
    finally:
        cache.delete(LOCK_KEY)
