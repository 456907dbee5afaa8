"""The interface every event buffer offers, and what they share."""

from __future__ import annotations

from typing import Any

from personalization.conf import app_settings
from personalization.measurement.event_rows import existing_refs, to_event

#: Rows a flush inserts at a time (and takes from a Redis list at a time).
FLUSH_CHUNK = 1000


class EventBuffer:
    """Where a page's events wait for a flush.

    ``add`` runs on the request path: it writes nothing to the database and waits for no
    server longer than that server's socket time-out. ``flush`` runs under the flush lock
    (one at a time across processes), usually on a Celery worker.
    """

    #: The name ``PERSONALIZATION["EVENT_BUFFER"]`` chooses this buffer by.
    name = ""

    def add(self, rows: list[dict[str, Any]]) -> bool:
        """Keep ``rows``; True when a flush is now due (another ``EVENT_BUFFER_FLUSH_SIZE``
        are waiting)."""
        raise NotImplementedError

    def settle(self) -> bool:
        """Hand what this process holds on to the shared store now; True when a flush is
        due. Nothing to do for a buffer that keeps nothing in the process."""
        return False

    def flush(self) -> int:
        """Write what waits into the database; returns the number of events."""
        raise NotImplementedError

    def discard(self) -> int:
        """Drop what waits in this process (tests); returns how many."""
        return 0


def crossed_flush_size(waiting: int, added: int) -> bool:
    """Whether adding ``added`` events made ``waiting`` cross another multiple of the flush
    size."""
    size = max(1, app_settings.EVENT_BUFFER_FLUSH_SIZE)
    return waiting // size != (waiting - added) // size


def write_rows(rows: list[dict[str, Any]]) -> None:
    """Insert buffered rows as ``Event`` rows (references deleted meanwhile stored empty)."""
    from personalization.models import Event

    Event.objects.bulk_create(existing_refs([to_event(r) for r in rows]),
                              batch_size=FLUSH_CHUNK)
