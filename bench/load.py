"""``python -m bench load``: the demo shop under load, personalization on against the kill
switch, measured in CPU time per request (a figure that holds on a shared machine).

gunicorn with 2 sync workers serves the seeded demo on PostgreSQL (``DATABASE_URL``, a
database of its own is created) and Redis (cache and broker, ``REDIS_URL``, database 14).
A bounded load tool in this process (``CLIENTS`` keep-alive connections, each waiting for
its answer) browses home, category, product, search and cart pages as returning visitors
who allowed personalization, for ``SECONDS`` per arm, alternating the arms ``ROUNDS``
times: on (campaigns decide) and off (the kill switch, a waffle switch, is active). The
workers' CPU time comes from /proc; errors are any answer but 200.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.refresh import _admin_execute, bench_url, is_postgres

ROOT = Path(__file__).resolve().parent.parent
MARK_START = "<!-- load benchmark -->"
MARK_END = "<!-- /load benchmark -->"
CLIENTS = 8
WORKERS = 2  # gunicorn's sync workers
SECONDS = 30.0
ROUNDS = 2
PAGES = ["/", "/c/cats/", "/p/pizza-margherita/", "/search/?q=litter", "/cart/", "/c/pizzas/",
         "/d/pets/"]
SECRET = "bench-load-secret-key-not-for-production"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far, in seconds (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


class Client(threading.Thread):
    """One returning visitor: keep-alive, his cookies, one request at a time."""

    def __init__(self, port: int, cookie: str, until: float, n: int) -> None:
        super().__init__(daemon=True)
        self.port, self.cookie, self.until, self.n = port, cookie, until, n
        self.done = self.errors = 0

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        i = self.n
        while time.monotonic() < self.until:
            path = PAGES[i % len(PAGES)]
            i += 1
            try:
                conn.request("GET", path, headers={"Cookie": self.cookie})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    self.errors += 1
                for header, value in response.getheaders():
                    if header.lower() == "set-cookie" and value.startswith("pz_vid="):
                        self.cookie = merge_cookie(self.cookie, value.split(";", 1)[0])
            except (OSError, http.client.HTTPException):
                self.errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.done += 1


def _arm(port: int, workers: list[int], cookies: list[str], seconds: float) -> dict:
    before = sum(cpu_seconds(p) for p in workers)
    until = time.monotonic() + seconds
    clients = [Client(port, cookies[n], until, n) for n in range(CLIENTS)]
    start = time.monotonic()
    for c in clients:
        c.start()
    for c in clients:
        c.join()
    wall = time.monotonic() - start
    cpu = sum(cpu_seconds(p) for p in workers) - before
    for n, c in enumerate(clients):
        cookies[n] = c.cookie
    done = sum(c.done for c in clients)
    return {"requests": done, "errors": sum(c.errors for c in clients), "cpu": cpu,
            "wall": wall}


def run() -> str:
    if not is_postgres(os.environ.get("DATABASE_URL", "")):
        return (f"{MARK_START}\n## Load: personalization on against the kill switch\n\nNot "
                "run: set DATABASE_URL to PostgreSQL (and REDIS_URL) and run `python -m bench "
                f"load`.\n{MARK_END}\n")
    env = prepare("load_bench", "pzload")
    with serve(env) as (port, workers):
        cookies = [consent_cookie(env) for _ in range(CLIENTS)]
        _arm(port, workers, cookies, 5)  # warm: RuleBooks, templates, cookies
        results: dict[str, list[dict]] = {"on": [], "off": []}
        for _ in range(ROUNDS):
            for arm in ("on", "off"):
                _switch(env, active=(arm == "off"))
                _arm(port, workers, cookies, 2)  # every worker sees the new RuleBook
                results[arm].append(_arm(port, workers, cookies, SECONDS))
                r = results[arm][-1]
                print(f"{arm:>3}: {r['requests']} requests in {r['wall']:.0f} s, "
                      f"{r['cpu'] / max(r['requests'], 1) * 1000:.2f} ms CPU each, "
                      f"{r['errors']} errors", flush=True)
    return _report(results)


def prepare(suffix: str, cache_prefix: str) -> dict[str, str]:
    """A database of its own for a benchmark (``<DATABASE_URL's name>_<suffix>``, made
    afresh, migrated and seeded with the demo); returns the environment of the shop's
    processes on it: Redis database 14 as cache and broker, its keys under ``cache_prefix``
    (those left by an earlier run are removed), Celery tasks run eagerly in the web
    process (set ``CELERY_EAGER`` to ``"0"`` to hand them to a worker)."""
    url = os.environ.get("DATABASE_URL", "")
    redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    db = bench_url(url, suffix)
    name = db.rsplit("/", 1)[1]
    _admin_execute(db, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": db, "REDIS_URL": redis.rsplit("/", 1)[0] + "/14",
           "CACHE_KEY_PREFIX": cache_prefix, "DJANGO_SETTINGS_MODULE": "demo_shop.settings",
           "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": SECRET, "DEMO_PERSONA_SWITCHER": "0",
           "CELERY_EAGER": "1", "PYTHONPATH": str(ROOT)}
    _clear_cache(env["REDIS_URL"], cache_prefix)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    subprocess.run([*manage, "seed_demo", "--customers", "200", "--no-history"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    return env


def _clear_cache(redis_url: str, prefix: str) -> None:
    """Remove the keys of an earlier run (RuleBook, buffered events, throttles, sessions)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@contextmanager
def serve(env: dict[str, str]) -> Iterator[tuple[int, list[int]]]:
    """gunicorn with ``WORKERS`` sync workers serving the shop of ``env`` on a free port:
    yields the port and the workers' process ids; stopped (SIGTERM, a graceful exit) on
    leaving."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "demo_shop.wsgi", "-w", str(WORKERS), "-b",
         f"127.0.0.1:{port}", "--access-logfile", "/dev/null", "--log-level", "warning"],
        cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        # The master listens before it has forked its workers: wait for both, or their CPU
        # time would be counted for one of them only.
        workers = _children(server.pid)
        while len(workers) < WORKERS and time.monotonic() < deadline:
            time.sleep(0.2)
            workers = _children(server.pid)
        if len(workers) != WORKERS:
            raise RuntimeError(f"gunicorn started {len(workers)} workers, not {WORKERS}")
        yield port, workers
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)


def shop_python(env: dict[str, str], code: str) -> str:
    """Run ``code`` in a Python process of the shop of ``env`` (Django set up); its output."""
    out = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"],
                         cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return out.stdout


def consent_cookie(env: dict[str, str]) -> str:
    """The ``Cookie`` pair of a visitor who allowed every purpose."""
    out = shop_python(env, "from personalization.testing import consent_cookie; "
                           "print(consent_cookie())")
    return f"pz_consent={out.strip()}"


def merge_cookie(cookie: str, pair: str) -> str:
    """``cookie`` (a ``Cookie`` header) with ``pair`` (``name=value``) set in it."""
    name = pair.split("=", 1)[0]
    kept = [c for c in cookie.split("; ") if not c.startswith(name + "=")]
    return "; ".join([*kept, pair])


def _switch(env: dict[str, str], *, active: bool) -> None:
    shop_python(env, "from waffle.models import Switch; from personalization.conf import "
                     "app_settings; s, _ = Switch.objects.get_or_create(name=app_settings."
                     f"KILL_SWITCH); s.active = {active}; s.save()")


def _report(results: dict[str, list[dict]]) -> str:
    def per_request(arm: str) -> float:
        total = sum(r["cpu"] for r in results[arm])
        return total / max(sum(r["requests"] for r in results[arm]), 1) * 1000

    on, off = per_request("on"), per_request("off")
    errors = sum(r["errors"] for arm in results.values() for r in arm)
    rate = {a: sum(r["requests"] for r in results[a]) / sum(r["wall"] for r in results[a])
            for a in results}
    rounds = ", ".join(
        f"{(a['cpu'] / a['requests']) / (b['cpu'] / b['requests']):.3f}"
        for a, b in zip(results["on"], results["off"], strict=True))
    lines = [
        MARK_START, "## Load: personalization on against the kill switch", "",
        f"gunicorn, 2 sync workers, demo shop on PostgreSQL and Redis; {CLIENTS} keep-alive "
        f"clients (returning visitors who allowed personalization) on home, category, "
        f"product, search and cart pages; {ROUNDS} × {SECONDS:.0f} s per arm, alternating. "
        "CPU time of the two workers (from /proc) per request:", "",
        "| arm | requests/s | CPU per request |", "|---|---|---|",
        f"| personalization on | {rate['on']:.0f} | {on:.2f} ms |",
        f"| kill switch (off) | {rate['off']:.0f} | {off:.2f} ms |", "",
        f"Ratio on/off: **{on / off:.3f}** (CPU overhead {100 * (on / off - 1):+.1f} %). "
        f"Errors: {errors}. Each round's ratio: {rounds} — rounds on this shared 2-core "
        "machine differ by more than the overhead, so read the figure as \"within a few "
        "per cent\", not as a precise cost.", "",
        "Run again with `DATABASE_URL=postgres://... REDIS_URL=redis://... python -m bench "
        "load`.", MARK_END]
    return "\n".join(lines) + "\n"
