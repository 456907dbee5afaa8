"""Exposure and conversion events: written at once when a client is told they were
accepted, otherwise buffered in the cache and bulk-inserted in batches.

Events a client sends and is answered "accepted" (the API's ``events/``, the dismiss
form) are written by ``event_rows.record_events`` before the answer, in one INSERT: nothing
a client was told is recorded may be lost by a restart of Redis, which a shop may run
without persistence. What a page records about itself (its impressions, the visit) is buffered, so
that a page costs no database write: a response's impressions go into the cache, and each
time another ``EVENT_BUFFER_FLUSH_SIZE`` events are waiting, a Celery task bulk-inserts
them. A restart of a Redis without persistence loses what waits there (at most about
``EVENT_FLUSH_MAX_DELAY`` seconds' worth; see docs/operations.md).

With Django's Redis cache the buffer is a Redis list. A response appends its rows to a list
in the process; a sender thread pushes what gathered once per ``EVENT_SEND_INTERVAL`` (one
RPUSH, whose answer is the list's length), and a flush pushes first, then takes the list
atomically (LRANGE + LTRIM). With the local-memory cache, which lives and dies with its
process anyway, the buffer is a plain list in the process (no pickling on the request path).
Other caches get a numbered batch per response.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import time
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction

from personalization.cache import (
    RETRY_AFTER,
    CacheUnavailable,
    app_cache,
    cache_is_down,
    mark_down,
    server_of,
)
from personalization.conf import app_settings
from personalization.measurement.event_rows import existing_refs, to_event
from personalization.signals import events_waiting

try:
    from redis.exceptions import ConnectionError as _RedisDown
    from redis.exceptions import ResponseError as _RedisRefused
except ImportError:  # no Redis client installed, so no Redis cache either
    _RedisDown = _RedisRefused = ConnectionError

logger = logging.getLogger(__name__)

SEQ_KEY = "pz:events:seq"
DONE_KEY = "pz:events:done"
PENDING_KEY = "pz:events:pending"
LOCK_KEY = "pz:events:lock"
BATCH_KEY = "pz:events:batch:{}"
LIST_KEY = "pz:events:list"
FLUSH_CHUNK = 1000
BATCH_TIMEOUT = 7 * 24 * 60 * 60
# A batch numbered within this many of the newest may still be being written: wait for it.
IN_FLIGHT = 50


def _cache():
    return caches[app_settings.CACHE_ALIAS]


def _redis(cache: Any = None) -> tuple[Any, str, Any] | None:
    """(client, key of the event list, connection pool) when the cache is Django's
    RedisCache; kept on the cache's own client object (Django builds a new redis client on
    every call, which costs more than the round trip)."""
    cache = cache if cache is not None else _cache()
    if type(cache).__module__ != "django.core.cache.backends.redis":
        return None
    backend = cache._cache
    found = backend.__dict__.get("_pz_events")
    if found is None:
        found = backend.__dict__["_pz_events"] = (
            backend.get_client(write=True), cache.make_and_validate_key(LIST_KEY),
            backend._get_connection_pool(write=True))
    return found


class _Outbox:
    """This process's events on their way to the Redis list.

    A response only appends its rows here. With ``EVENT_SEND_INTERVAL`` above zero a sender
    thread pushes what has gathered once per interval, in one RPUSH; with zero, the
    response pushes its own rows and waits for Redis. Either way a flush in this process,
    :func:`settle_events` and the process's exit push at once, so a restart loses nothing;
    a process killed outright loses at most the last interval's events.
    """

    #: Rows kept while Redis cannot be reached; beyond this the oldest are dropped (logged).
    MAX_WAITING = 100_000

    def __init__(self) -> None:
        self.lock = threading.Lock()  # guards rows and target
        self.send_lock = threading.Lock()  # one push at a time on the connection
        self.rows: list[dict[str, Any]] = []
        self.target: tuple[str, Any] | None = None  # (key of the list, connection pool)
        self.server = ""  # the cache's server, as its outages are remembered
        self.conn: Any = None
        self.conn_pool: Any = None
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.flush_due = False
        self.since = 0.0  # when the oldest waiting row came

    def add(self, key: str, pool: Any, rows: list[dict[str, Any]], server: str) -> None:
        if self.target != (key, pool):  # first use, or another cache (tests)
            self.try_send()
            with self.lock:
                self.target, self.server = (key, pool), server
        now = time.monotonic()
        with self.lock:
            if not self.rows:
                self.since = now
            self.rows.extend(rows)
        interval = app_settings.EVENT_SEND_INTERVAL
        if not interval or now - self.since > 10 * interval + 1:
            # Pushing on every response; or the sender thread is not running (uWSGI
            # without --enable-threads runs no thread of ours): this response pushes.
            self.try_send()
        elif not self.wake.is_set():
            self._wake_sender()

    def _wake_sender(self) -> None:
        if self.thread is None:
            with self.lock:
                if self.thread is None:
                    self.thread = threading.Thread(target=self._run, name="pz-events",
                                                   daemon=True)
                    self.thread.start()
        self.wake.set()

    def _run(self) -> None:
        while True:
            self.wake.wait()
            time.sleep(app_settings.EVENT_SEND_INTERVAL or 0)  # let a batch gather
            self.wake.clear()
            self.try_send()
            if self.rows and not self.wake.is_set():  # Redis is down: try again later
                time.sleep(RETRY_AFTER)
                self.wake.set()

    def try_send(self) -> None:
        """:meth:`send`, unless Redis is known to be down; a failure keeps the rows here
        (bounded by MAX_WAITING) for the next try, and never reaches the page."""
        # The outage the app's other cache calls found counts here too: one wait, not two.
        server = self.server
        if server and not cache_is_down(server):
            try:
                self.send()
            except Exception as exc:
                mark_down(exc, server)
        if self.rows and threading.current_thread() is not self.thread:
            self._wake_sender()  # the rows wait: the sender thread tries again later

    def send(self) -> None:
        """Push the rows gathered so far (one RPUSH) and read Redis's answer."""
        with self.send_lock:
            with self.lock:
                rows, self.rows = self.rows, []
                target = self.target
            if not rows:
                return
            key, pool = target
            try:
                if self.conn_pool is not pool:
                    if self.conn is not None:
                        self.conn.disconnect()
                    self.conn_pool = pool
                    self.conn = pool.connection_class(**pool.connection_kwargs)
                command = self.conn.pack_command("RPUSH", key, *[json.dumps(r) for r in rows])
                try:
                    self.conn.send_packed_command(command)
                    waiting = self.conn.read_response()
                except _RedisDown:  # a stale connection (Redis restarted): once more
                    # (not after a time-out: a Redis that hangs would cost the wait twice)
                    self.conn.disconnect()
                    self.conn.send_packed_command(command)
                    waiting = self.conn.read_response()
            except _RedisRefused:  # e.g. out of memory: Redis did not take them
                logger.exception("Redis refused %d buffered event(s); they are lost", len(rows))
                return
            except Exception:
                self._put_back(rows)
                raise
            size = max(1, app_settings.EVENT_BUFFER_FLUSH_SIZE)
            if int(waiting) // size != (int(waiting) - len(rows)) // size:
                self.flush_due = True  # scheduled by the next response (or settle_events)

    def _put_back(self, rows: list[dict[str, Any]]) -> None:
        with self.lock:
            self.rows[:0] = rows
            extra = len(self.rows) - self.MAX_WAITING
            if extra > 0:
                del self.rows[:extra]
                logger.error("Redis is unreachable: dropped the %d oldest buffered events",
                             extra)


_OUTBOX = _Outbox()


def _new_outbox() -> None:
    """In a forked child: the parent's rows, connection and thread are not its own."""
    global _OUTBOX
    _OUTBOX = _Outbox()


os.register_at_fork(after_in_child=_new_outbox)


def settle_events() -> None:
    """Push this process's waiting events to Redis now (a flush does this first), and
    schedule a flush when enough are waiting there. Nothing to do for other caches; while
    Redis is down the events wait in the process."""
    _OUTBOX.try_send()
    _schedule_if_due()


def _schedule_if_due() -> None:
    """Schedule the flush a push found due (the list crossed the flush size)."""
    outbox = _OUTBOX
    if outbox.flush_due:
        outbox.flush_due = False
        transaction.on_commit(_schedule_flush)


@atexit.register
def _send_at_exit() -> None:
    try:
        _OUTBOX.send()
    except Exception:
        logger.exception("Could not send the buffered events to Redis at exit")


class _Local:
    """The buffer when the cache is process-local (LocMemCache)."""

    lock = threading.Lock()
    rows: list[dict[str, Any]] = []


def discard_local_buffer() -> int:
    """Drop the events waiting in this process (tests): the local-memory buffer's, and those
    not yet sent to Redis (after any push under way); returns how many."""
    _Waiting.since = None
    with _Local.lock:
        count, _Local.rows = len(_Local.rows), []
    outbox = _OUTBOX
    with outbox.send_lock, outbox.lock:
        count, outbox.rows = count + len(outbox.rows), []
    return count


def _incr(key: str, delta: int = 1) -> int:
    cache = app_cache()
    try:
        return cache.incr(key, delta)
    except ValueError:  # first use, or evicted
        if cache.add(key, delta, None):
            return delta
        return cache.incr(key, delta)


def buffer_events(rows: list[dict[str, Any]]) -> None:
    """Queue rows (see :func:`event_row`); flush when enough are waiting."""
    if not rows:
        return
    cache = _cache()
    redis = _redis(cache)
    if redis is not None:
        _OUTBOX.add(redis[1], redis[2], rows, server_of(cache))
        _schedule_if_due()
        if _Waiting.overdue():
            transaction.on_commit(_schedule_flush)
        return
    if isinstance(cache, LocMemCache):
        with _Local.lock:
            _Local.rows.extend(rows)
            waiting = len(_Local.rows)
    else:
        try:
            seq = _incr(SEQ_KEY)
            app_cache().set(BATCH_KEY.format(seq), rows, BATCH_TIMEOUT)
            waiting = _incr(PENDING_KEY, len(rows))
        except CacheUnavailable:
            logger.warning("The cache is down: %d event(s) are lost", len(rows))
            return
    size = max(1, app_settings.EVENT_BUFFER_FLUSH_SIZE)
    if waiting // size != (waiting - len(rows)) // size:  # crossed another multiple
        transaction.on_commit(_schedule_flush)
    elif _Waiting.overdue():
        transaction.on_commit(_schedule_flush)


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
    """Write every complete buffered batch to the database; returns the number of events."""
    from personalization.models import Event

    raw = _cache()
    cache = app_cache()  # a cache that is down: no lock, nothing flushed, nothing lost
    if not cache.add(LOCK_KEY, 1, 60):
        return 0
    try:
        redis = _redis(raw)
        if redis is not None:
            _OUTBOX.send()  # this process's own events go in before the list is taken
            return _flush_list(*redis[:2])
        if isinstance(raw, LocMemCache):
            return _flush_local()
        done = cache.get(DONE_KEY) or 0
        seq = cache.get(SEQ_KEY) or 0
        written = 0
        while done < seq:
            numbers = list(range(done + 1, min(seq, done + 500) + 1))
            keys = [BATCH_KEY.format(n) for n in numbers]
            found = cache.get_many(keys)
            rows, last_complete = [], done
            for n, key in zip(numbers, keys, strict=True):
                if key not in found:
                    if n > seq - IN_FLIGHT:
                        break  # still being written by another request
                    last_complete = n  # expired or lost long ago: skip it
                    continue
                rows.extend(found[key])
                last_complete = n
            Event.objects.bulk_create(existing_refs([to_event(r) for r in rows]),
                                      batch_size=1000)
            cache.delete_many(keys[: last_complete - done])
            written += len(rows)
            if last_complete == done:
                break
            done = last_complete
            cache.set(DONE_KEY, done, None)
        cache.set(PENDING_KEY, 0, None)
        return written
    finally:
        cache.delete(LOCK_KEY)


def _flush_list(client: Any, key: str) -> int:
    """Take the Redis list in chunks (LRANGE + LTRIM in one transaction) and insert them."""
    from personalization.models import Event

    written = 0
    while True:
        pipe = client.pipeline(transaction=True)
        pipe.lrange(key, 0, FLUSH_CHUNK - 1)
        pipe.ltrim(key, FLUSH_CHUNK, -1)
        raw, _trimmed = pipe.execute()
        if not raw:
            return written
        rows = [json.loads(r) for r in raw]
        try:
            Event.objects.bulk_create(existing_refs([to_event(r) for r in rows]),
                                      batch_size=FLUSH_CHUNK)
        except Exception:
            client.rpush(key, *raw)  # put them back for the next flush
            raise
        written += len(rows)


def _flush_local() -> int:
    from personalization.models import Event

    with _Local.lock:
        rows, _Local.rows = _Local.rows, []
    try:
        Event.objects.bulk_create(existing_refs([to_event(r) for r in rows]),
                                  batch_size=FLUSH_CHUNK)
    except Exception:
        with _Local.lock:  # put them back for the next flush
            _Local.rows[:0] = rows
        raise
    return len(rows)
