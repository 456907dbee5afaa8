"""Slots a template uses that no slot row defines: a typo, or a slot not yet created.

Such a slot renders its default (200, nothing broken), so without this nobody would notice.
Each process notes a key once per RuleBook version: it logs a warning (once per process,
and only with ``DEBUG``) and adds the key to one cache entry, which the admin's slot list
reads. The warm path stays free of queries: no database, and at most one cache read and
write per process, RuleBook version and unknown key (docs/decisions.md).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from personalization.cache import app_cache

logger = logging.getLogger(__name__)

CACHE_KEY = "pz:unknown-slots"
#: Keys not seen for this long drop out of the admin's list.
KEEP_SECONDS = 30 * 24 * 3600
#: At most this many keys are kept (the oldest go first).
MAX_KEYS = 100


class _Seen:
    """What this process already noted: keys logged, and keys recorded for a version."""

    logged: set[str] = set()
    version: str = ""
    recorded: set[str] = set()


def note(slot_key: str, book: Any) -> None:
    """Note that a template asked for ``slot_key``, if ``book`` (the RuleBook) does not
    know it."""
    if book.switched_off or slot_key in book.slots:
        return
    if _Seen.version != book.version:
        _Seen.version, _Seen.recorded = book.version, set()
    if slot_key in _Seen.recorded:
        return
    _Seen.recorded.add(slot_key)
    if settings.DEBUG and slot_key not in _Seen.logged:
        _Seen.logged.add(slot_key)
        logger.warning(
            "Slot %r is used in a template but is not configured: it shows its default "
            "content. Create it in the admin (Personalization > Slots) or correct the "
            "template.", slot_key)
    cache = app_cache()
    seen = dict(cache.get(CACHE_KEY) or {})
    seen[slot_key] = timezone.now().timestamp()
    newest = sorted(seen.items(), key=lambda item: item[1], reverse=True)[:MAX_KEYS]
    cache.set(CACHE_KEY, dict(newest), KEEP_SECONDS)


def seen_unknown(known: set[str]) -> list[tuple[str, Any]]:
    """(key, last seen) of the keys templates used lately that are not in ``known``, the
    keys of the slots that exist now; newest first."""
    cutoff = timezone.now().timestamp() - KEEP_SECONDS
    seen = app_cache().get(CACHE_KEY) or {}
    return [(key, datetime.fromtimestamp(when, tz=UTC))
            for key, when in sorted(seen.items(), key=lambda item: item[1], reverse=True)
            if key not in known and when >= cutoff]


def reset_local() -> None:
    """Forget what this process noted (tests)."""
    _Seen.logged, _Seen.version, _Seen.recorded = set(), "", set()
