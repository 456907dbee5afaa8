"""The buffer in a Redis list (``pz:events:list``), on the Redis server of the app's cache
(Django's RedisCache).

It talks to Redis through redis-py's public client, on a connection pool of its own made
from the cache's settings (the first server of its ``LOCATION``, its socket time-outs; 1 s
each when the cache gives none). A stale connection (Redis restarted) is retried once at
once; a time-out is not retried, so a Redis that hangs costs one time-out, not several.

A response only appends its rows to a list in its process (the outbox). A sender thread
pushes what gathered once per ``EVENT_SEND_INTERVAL`` in one RPUSH, whose answer is the
list's length; with an interval of 0 the response pushes its own rows. A flush in the
process, ``settle()`` and the process's exit push at once; a flush then takes the list in
chunks (LRANGE + LTRIM in one transaction) and pushes a chunk back if its insert fails.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import re
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed

from personalization.cache import (
    RETRY_AFTER,
    cache_is_down,
    mark_down,
    server_of,
)
from personalization.conf import app_settings
from personalization.measurement.buffers.base import (
    FLUSH_CHUNK,
    EventBuffer,
    crossed_flush_size,
    write_rows,
)

logger = logging.getLogger(__name__)

LIST_KEY = "pz:events:list"
#: Seconds each socket time-out lasts when the cache's OPTIONS give none.
DEFAULT_TIMEOUT = 1.0
#: OPTIONS of Django's RedisCache that are not connection settings.
_NOT_CONNECTION_OPTIONS = {"serializer", "pool_class", "parser_class"}


def redis_client(alias: str) -> Any:
    """A redis-py client for the server Django's RedisCache ``alias`` writes to (the first
    of its LOCATION), with the options that cache gives its connections; each socket
    time-out is 1 s where the cache sets none."""
    import redis
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.retry import Retry

    config = settings.CACHES[alias]
    location = config.get("LOCATION", "")
    servers = re.split("[;,]", location) if isinstance(location, str) else list(location)
    options = {k: v for k, v in (config.get("OPTIONS") or {}).items()
               if k not in _NOT_CONNECTION_OPTIONS}
    for key in ("socket_connect_timeout", "socket_timeout"):
        if options.get(key) is None:
            options[key] = DEFAULT_TIMEOUT
    # A stale connection is tried once more at once; a time-out is not tried again.
    options.pop("retry_on_timeout", None)
    options["retry"] = Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))
    return redis.Redis.from_url(servers[0], **options)


class _Target:
    """The list's client, key and server, as the current settings name them."""

    def __init__(self) -> None:
        cache = caches[app_settings.CACHE_ALIAS]
        self.client = redis_client(app_settings.CACHE_ALIAS)
        self.key = cache.make_and_validate_key(LIST_KEY)
        # The server as SafeCache remembers its outages: one outage, one wait.
        self.server = server_of(app_settings.CACHE_ALIAS)


class _Outbox:
    """This process's events on their way to the Redis list.

    With ``EVENT_SEND_INTERVAL`` above zero a sender thread pushes what has gathered once per
    interval; with zero, the response pushes its own rows and waits for Redis. Either way a
    flush in this process, ``settle()`` and the process's exit push at once, so a restart
    loses nothing; a process killed outright loses at most the last interval's events.
    """

    #: Rows kept while Redis cannot be reached; beyond this the oldest are dropped (logged).
    MAX_WAITING = 100_000

    def __init__(self) -> None:
        self.lock = threading.Lock()  # guards rows and target
        self.send_lock = threading.Lock()  # one push at a time
        self.rows: list[dict[str, Any]] = []
        self.target: _Target | None = None
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.flush_due = False
        self.since = 0.0  # when the oldest waiting row came

    def add(self, target: _Target, rows: list[dict[str, Any]]) -> None:
        if self.target is not target:  # first use, or other settings (tests)
            self.try_send()
            with self.lock:
                self.target = target
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

    def take_flush_due(self) -> bool:
        due, self.flush_due = self.flush_due, False
        return due

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
        target = self.target
        if target is not None and not cache_is_down(target.server):
            try:
                self.send()
            except Exception as exc:
                mark_down(exc, target.server)
        if self.rows and threading.current_thread() is not self.thread:
            self._wake_sender()  # the rows wait: the sender thread tries again later

    def send(self) -> None:
        """Push the rows gathered so far (one RPUSH)."""
        with self.send_lock:
            with self.lock:
                rows, self.rows = self.rows, []
                target = self.target
            if not rows or target is None:
                return  # nothing to push (a process that never used Redis, at exit)
            from redis.exceptions import ResponseError

            try:
                waiting = target.client.rpush(target.key, *[json.dumps(r) for r in rows])
            except ResponseError:  # e.g. out of memory: Redis did not take them
                logger.exception("Redis refused %d buffered event(s); they are lost", len(rows))
                return
            except Exception:
                self._put_back(rows)
                raise
            if crossed_flush_size(int(waiting), len(rows)):
                self.flush_due = True  # scheduled by the next response (or settle)

    def _put_back(self, rows: list[dict[str, Any]]) -> None:
        with self.lock:
            self.rows[:0] = rows
            extra = len(self.rows) - self.MAX_WAITING
            if extra > 0:
                del self.rows[:extra]
                logger.error("Redis is unreachable: dropped the %d oldest buffered events",
                             extra)

    def discard(self) -> int:
        with self.send_lock, self.lock:
            count, self.rows = len(self.rows), []
        return count


class RedisBuffer(EventBuffer):
    name = "redis"

    def __init__(self) -> None:
        self.outbox = _Outbox()
        self._target: _Target | None = None

    def target(self) -> _Target:
        target = self._target
        if target is None:
            target = self._target = _Target()
        return target

    def forget_target(self) -> None:
        """The settings changed: the next use builds the client anew."""
        self._target = None

    def add(self, rows: list[dict[str, Any]]) -> bool:
        self.outbox.add(self.target(), rows)
        return self.outbox.take_flush_due()

    def settle(self) -> bool:
        self.outbox.try_send()
        return self.outbox.take_flush_due()

    def flush(self) -> int:
        self.outbox.send()  # this process's own events go in before the list is taken
        target = self.target()
        client, key = target.client, target.key
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
                write_rows(rows)
            except Exception:
                client.rpush(key, *raw)  # put them back for the next flush
                raise
            written += len(rows)

    def discard(self) -> int:
        return self.outbox.discard()

    def after_fork(self) -> None:
        """In a forked child: the parent's rows and thread are not its own."""
        self.outbox = _Outbox()


BUFFER = RedisBuffer()
os.register_at_fork(after_in_child=BUFFER.after_fork)


@atexit.register
def _send_at_exit() -> None:
    try:
        BUFFER.outbox.send()
    except Exception:
        logger.exception("Could not send the buffered events to Redis at exit")


def _forget_target(*, setting: str, **kwargs: Any) -> None:
    if setting in ("CACHES", "PERSONALIZATION"):
        BUFFER.forget_target()


setting_changed.connect(_forget_target)
