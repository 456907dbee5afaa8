"""The buffer in any shared Django cache (Memcached, the database or file cache): a
numbered batch per response.

A response puts its rows into the cache as one batch (``pz:events:batch:<n>``, kept up to 7
days) under an incrementing sequence number and adds their number to a pending counter. A
flush reads the batches not yet written (up to 500 keys a round) and inserts each round's
rows at once. A batch missing among the ``IN_FLIGHT`` newest is taken to be still being
written and waited for; an older missing one is skipped as lost. While the cache is down a
response's rows are lost (logged)."""

from __future__ import annotations

import logging
from typing import Any

from personalization.cache import CacheUnavailable, app_cache
from personalization.measurement.buffers.base import (
    EventBuffer,
    crossed_flush_size,
    write_rows,
)

logger = logging.getLogger(__name__)

SEQ_KEY = "pz:events:seq"
DONE_KEY = "pz:events:done"
PENDING_KEY = "pz:events:pending"
BATCH_KEY = "pz:events:batch:{}"
BATCH_TIMEOUT = 7 * 24 * 60 * 60
#: A batch numbered within this many of the newest may still be being written: wait for it.
IN_FLIGHT = 50
#: Batches a flush reads per round.
ROUND = 500


def _incr(key: str, delta: int = 1) -> int:
    cache = app_cache()
    try:
        return cache.incr(key, delta)
    except ValueError:  # first use, or evicted
        if cache.add(key, delta, None):
            return delta
        return cache.incr(key, delta)


class CacheBuffer(EventBuffer):
    name = "cache"

    def add(self, rows: list[dict[str, Any]]) -> bool:
        try:
            seq = _incr(SEQ_KEY)
            app_cache().set(BATCH_KEY.format(seq), rows, BATCH_TIMEOUT)
            waiting = _incr(PENDING_KEY, len(rows))
        except CacheUnavailable:
            logger.warning("The cache is down: %d event(s) are lost", len(rows))
            return False
        return crossed_flush_size(waiting, len(rows))

    def flush(self) -> int:
        cache = app_cache()
        done = cache.get(DONE_KEY) or 0
        seq = cache.get(SEQ_KEY) or 0
        written = 0
        while done < seq:
            numbers = list(range(done + 1, min(seq, done + ROUND) + 1))
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
            write_rows(rows)
            cache.delete_many(keys[: last_complete - done])
            written += len(rows)
            if last_complete == done:
                break
            done = last_complete
            cache.set(DONE_KEY, done, None)
        cache.set(PENDING_KEY, 0, None)
        return written
