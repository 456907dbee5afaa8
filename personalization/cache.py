"""The app's cache, degraded rather than failing: a cache server that is down costs a page
its cached shortcuts, never the page.

Every read answers "not cached" and every write is skipped while the cache cannot be
reached; after a failure the cache is not tried again for ``RETRY_AFTER`` seconds, so a dead
server costs one connection attempt per process every few seconds, not one per read. Callers
fall back to the database (consent purposes, a customer's snapshot) or to what the process
holds (its RuleBook). ``incr`` keeps Django's contract (ValueError for a missing key) and
raises :class:`CacheUnavailable` when the server is down.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache

from personalization.breaker import CircuitBreaker
from personalization.conf import app_settings

logger = logging.getLogger(__name__)

#: Seconds during which a cache that just failed is not tried again.
RETRY_AFTER = 5.0


class CacheUnavailable(Exception):
    """The cache server cannot be reached now."""


class _State:
    lock = threading.Lock()
    breakers: dict[str, CircuitBreaker] = {}  # per cache server (or broker)


def _breaker(server: str) -> CircuitBreaker:
    found = _State.breakers.get(server)
    if found is None:
        with _State.lock:
            found = _State.breakers.setdefault(server, CircuitBreaker(1, RETRY_AFTER))
    return found


def server_of(alias: str) -> str:
    """Which server the cache ``alias`` talks to, as ``settings.CACHES`` names it (its
    LOCATION, else its BACKEND), to keep one server's outage apart from another's."""
    config = settings.CACHES.get(alias) or {}
    return str(config.get("LOCATION") or config.get("BACKEND") or alias)


def cache_is_down(server: str = "") -> bool:
    """Whether the cache (by default: the app's) failed within the last RETRY_AFTER s."""
    server = server or server_of(app_settings.CACHE_ALIAS)
    found = _State.breakers.get(server)
    return found is not None and found.is_open()


def mark_down(exc: Exception, server: str = "", what: str = "cache") -> None:
    """Note that the cache (or another server, ``what``: the broker) failed: it is not
    tried again for RETRY_AFTER seconds."""
    server = server or server_of(app_settings.CACHE_ALIAS)
    if _breaker(server).failed():
        logger.warning("The %s %s cannot be reached (%s: %s); serving without it for "
                       "%.0f s", what, server, type(exc).__name__, exc, RETRY_AFTER)


def reset() -> None:
    """Try every cache again at the next operation (tests, and after a repair)."""
    _State.breakers.clear()


def alias_of(cache: Any) -> str | None:
    """The alias in ``settings.CACHES`` of a cache object (``django.core.cache.cache`` is
    the default's), or None for a cache made outside ``caches``."""
    if cache is default_cache:
        return DEFAULT_CACHE_ALIAS
    return next((alias for alias in settings.CACHES if caches[alias] is cache), None)


class SafeCache:
    """A Django cache whose failures read as misses (see the module's docstring): given by
    its alias (looked up when it is used), or as the cache object itself (a session
    engine's ``self._cache``)."""

    def __init__(self, cache: Any) -> None:
        if isinstance(cache, str):
            self.alias, self._backend = cache, None
        else:
            self.alias, self._backend = alias_of(cache), cache

    @property
    def backend(self) -> Any:
        return self._backend if self._backend is not None else caches[self.alias]

    @property
    def server(self) -> str:
        """The server whose outages this cache shares (see :func:`server_of`)."""
        if self.alias is None:
            return type(self._backend).__name__
        return server_of(self.alias)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)

    def _call(self, default: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        if cache_is_down(self.server):
            return default
        try:
            return getattr(self.backend, method)(*args, **kwargs)
        except Exception as exc:
            mark_down(exc, self.server)
            return default

    def __contains__(self, key: str) -> bool:
        return self._call(False, "has_key", key)

    def get(self, key: str, default: Any = None) -> Any:
        return self._call(default, "get", key, default)

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        return self._call({}, "get_many", keys)

    def set(self, key: str, value: Any, timeout: Any = None) -> None:
        self._call(None, "set", key, value, timeout)

    def add(self, key: str, value: Any, timeout: Any = None) -> bool:
        return self._call(False, "add", key, value, timeout)

    def delete(self, key: str) -> bool:
        return self._call(False, "delete", key)

    def delete_many(self, keys: list[str]) -> None:
        self._call(None, "delete_many", keys)

    def incr(self, key: str, delta: int = 1) -> int:
        if cache_is_down(self.server):
            raise CacheUnavailable("the cache is down")
        try:
            return self.backend.incr(key, delta)
        except ValueError:
            raise
        except Exception as exc:
            mark_down(exc, self.server)
            raise CacheUnavailable(str(exc)) from exc


def app_cache() -> SafeCache:
    """The cache the app uses (``PERSONALIZATION["CACHE_ALIAS"]``), failing soft."""
    return SafeCache(app_settings.CACHE_ALIAS)


def within_rate(key: str, limit: int, seconds: int) -> bool:
    """Count one more request under ``key`` and say whether it is among the first ``limit``
    of its window of ``seconds`` (a fixed window, for a plain view; the API uses REST
    framework's throttles). While the cache is down every request is within the rate: the
    limit fails open, as the API's throttles do."""
    cache = app_cache()
    cache.add(key, 0, seconds)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # the window ended between add and incr: this opens the next one
        cache.add(key, 1, seconds)
        return True
    except CacheUnavailable:
        return True
