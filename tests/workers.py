"""Real Celery workers for tests: a worker process on this test run's database, cache and
queue (``celery -A tests.worker worker -P solo``), and waiting for what it does. The
``start_worker`` and ``twilio`` fixtures (tests/conftest.py) use them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wait_for(condition: Callable[[], object], timeout: float, what: str = "") -> float:
    """Wait until ``condition()`` is true; returns the seconds it took."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)
    return time.monotonic() - start


class Worker:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.handle = log.open("w")
        # With beat (-B) the worker runs beat in a child process: the worker gets a process
        # group of its own, and kill() ends the group, so no beat outlives its test.
        self.beat = bool(env.get("PZ_WORKER_BEAT"))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tests.worker", "worker", "-P", "solo",
             "-Q", os.environ["PZ_TEST_QUEUE"], "-n", f"{log.stem}@%h", "-l", "INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat",
             *(["-B", "-s", str(log.with_suffix(".beat"))] if env.get("PZ_WORKER_BEAT")
               else [])],
            cwd=ROOT, env=env, stdout=self.handle, stderr=subprocess.STDOUT,
            start_new_session=self.beat)
        wait_for(lambda: "ready." in log.read_text() or self.process.poll() is not None, 30)
        assert self.process.poll() is None, log.read_text()

    def kill(self) -> None:
        if self.beat:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.handle.close()


