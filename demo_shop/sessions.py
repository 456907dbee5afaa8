"""Sessions kept in the database and read from the cache when warm (Django's cached_db),
through the app's fail-soft cache: a cache that is down makes every session read a database
read, never an error page (Django's cached_db guards some of its cache calls, not all)."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbStore

from personalization.cache import SafeCache


class SessionStore(CachedDbStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._cache: Any = SafeCache(self._cache)
