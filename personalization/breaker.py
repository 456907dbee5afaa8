"""A circuit breaker: after a number of failures in a row, a service (the cache, the broker,
the weather service) is left alone for a pause, so that one that is down costs one failed
attempt per pause, not one per request. The one used everywhere in the app."""

from __future__ import annotations

import threading
import time


class CircuitBreaker:
    """Open for ``pause`` seconds after ``failures`` failures in a row; closed again when
    the pause is over (the next call is the trial) or after a success."""

    def __init__(self, failures: int = 1, pause: float = 5.0) -> None:
        self.failures_to_open, self.pause = max(1, failures), pause
        self._failures = 0
        self._open_until = 0.0
        self._lock = threading.Lock()

    def is_open(self) -> bool:
        """Whether the service failed just now: do not call it."""
        return time.monotonic() < self._open_until

    def failed(self) -> bool:
        """Count a failure; True when it opened the breaker (to log an outage once)."""
        with self._lock:
            if self.is_open():
                self._open_until = time.monotonic() + self.pause
                return False
            self._failures += 1
            if self._failures < self.failures_to_open:
                return False
            self._failures = 0
            self._open_until = time.monotonic() + self.pause
            return True

    def succeeded(self) -> None:
        with self._lock:
            self._failures = 0
