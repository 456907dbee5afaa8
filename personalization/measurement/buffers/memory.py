"""The buffer in the process's memory: a list, nothing pickled on the request path.

For a single process (tests, ``make demo`` with Celery eager): a flush takes only the
list of the process it runs in, and whatever the process holds dies with it."""

from __future__ import annotations

import threading
from typing import Any

from personalization.measurement.buffers.base import (
    EventBuffer,
    crossed_flush_size,
    write_rows,
)


class MemoryBuffer(EventBuffer):
    name = "memory"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: list[dict[str, Any]] = []

    def add(self, rows: list[dict[str, Any]]) -> bool:
        with self.lock:
            self.rows.extend(rows)
            waiting = len(self.rows)
        return crossed_flush_size(waiting, len(rows))

    def flush(self) -> int:
        with self.lock:
            rows, self.rows = self.rows, []
        try:
            write_rows(rows)
        except Exception:
            with self.lock:  # put them back for the next flush
                self.rows[:0] = rows
            raise
        return len(rows)

    def discard(self) -> int:
        with self.lock:
            count, self.rows = len(self.rows), []
        return count
