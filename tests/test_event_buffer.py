"""The event buffer on each kind of cache: every buffered event is written exactly once."""

import os

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches

from personalization.measurement.event_rows import event_row
from personalization.measurement.events import (
    buffer_events,
    flush_events,
    settle_events,
)
from personalization.models import Event

pytestmark = pytest.mark.django_db

VISITOR = "00000000-0000-0000-0000-0000000000{:02d}"
REDIS = bool(os.environ.get("REDIS_URL"))
#: (cache, EVENT_BUFFER): each cache with the buffer that follows it (None), and buffers
#: chosen against the default.
BACKENDS = [("locmem", None), ("file", None), ("locmem", "cache")] + (
    [("redis", None), ("redis", "cache"), ("redis", "memory")] if REDIS else [])


@pytest.fixture(params=BACKENDS, ids=lambda p: f"{p[0]}-{p[1] or 'default'}")
def cache_kind(request, settings, tmp_path):
    """The app's cache as a local-memory cache (by default a list in the process), a file
    cache (a numbered batch per response, as with Memcached or the database cache) or Redis
    (a Redis list), with the buffer the test chooses."""
    kind, buffer = request.param
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "EVENT_BUFFER": buffer}
    config = {
        "locmem": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                   "LOCATION": "pz-event-buffer"},
        "file": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                 "LOCATION": str(tmp_path / "cache")},
        "redis": {**django_settings.CACHES["default"],
                  "KEY_PREFIX": f"pzbuffer{os.getpid()}"},
    }[kind]
    settings.CACHES = {**django_settings.CACHES, "default": config}
    caches["default"].clear()
    yield kind
    caches["default"].clear()


def rows(first: int, count: int) -> list[dict]:
    return [event_row(visitor_id=VISITOR.format(n), type="impression", slot="hero")
            for n in range(first, first + count)]


def test_every_buffered_event_is_written_once(cache_kind):
    for first, count in ((0, 2), (2, 1), (3, 3)):  # three responses
        buffer_events(rows(first, count))
    assert not Event.objects.exists()  # nothing is written on the request path
    assert flush_events() == 6
    assert flush_events() == 0
    assert sorted(str(v) for v in Event.objects.values_list("visitor_id", flat=True)) == [
        VISITOR.format(n) for n in range(6)]


def test_a_full_buffer_is_flushed_by_the_task(cache_kind, settings,
                                               django_capture_on_commit_callbacks):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "EVENT_BUFFER_FLUSH_SIZE": 3}
    with django_capture_on_commit_callbacks(execute=True):
        buffer_events(rows(0, 2))
    assert Event.objects.count() == 0  # two waiting: below the flush size
    with django_capture_on_commit_callbacks(execute=True):
        buffer_events(rows(2, 2))  # four waiting: the flush task runs (eagerly in tests)
        # With Redis the push's answer (the list's length) is read with the next push; a
        # test has no next response, so it reads the answer now.
        settle_events()
    assert Event.objects.count() == 4
    assert flush_events() == 0


needs_redis = pytest.mark.skipif(
    not REDIS,
    reason="needs Redis: none answers on 127.0.0.1:6379 and REDIS_URL is unset")


def web_process(settings, body: str, interval: float) -> int:
    """Run ``body`` in a separate Django process (a web worker) with ``buffer(n)`` at hand to
    buffer one response's impression; returns its exit code. The events go to a Redis list
    of this test's own."""
    import subprocess
    import sys

    prefix = f"pzcrash{os.getpid()}"
    settings.CACHES = {**django_settings.CACHES,
                       "default": {**django_settings.CACHES["default"], "KEY_PREFIX": prefix}}
    caches["default"].clear()
    script = (
        "import django, os, signal, sys, time; django.setup()\n"
        "from django.conf import settings\n"
        "from django.test.utils import override_settings\n"
        "from personalization.measurement.event_rows import event_row\n"
        "from personalization.measurement.events import buffer_events\n"
        "override_settings(PERSONALIZATION={**settings.PERSONALIZATION,"
        f" 'EVENT_SEND_INTERVAL': {interval}}}).enable()\n"
        "def buffer(n):\n"
        "    buffer_events([event_row(visitor_id='00000000-0000-0000-0000-0000000000%02d'"
        " % n, type='impression', slot='hero')])\n" + body)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "demo_shop.settings",
           "CACHE_KEY_PREFIX": prefix,
           "REDIS_URL": django_settings.CACHES["default"]["LOCATION"]}
    return subprocess.run([sys.executable, "-c", script], env=env, timeout=60).returncode


def written() -> list[str]:
    flush_events()
    caches["default"].clear()
    return sorted(str(v) for v in Event.objects.values_list("visitor_id", flat=True))


KILL = "os.kill(os.getpid(), signal.SIGKILL)\n"


@needs_redis
def test_pushing_on_every_response_a_killed_web_process_loses_no_event(settings):
    # EVENT_SEND_INTERVAL = 0: each response waits for Redis, which has its events at once.
    assert web_process(settings, "for n in range(3): buffer(n)\n" + KILL, 0) == -9
    assert written() == [VISITOR.format(n) for n in range(3)]


@needs_redis
def test_a_web_process_that_stops_sends_what_it_gathered(settings):
    # A restart (the worker exits normally) pushes the events still gathering.
    assert web_process(settings, "for n in range(3): buffer(n)\nsys.exit(0)\n", 60) == 0
    assert written() == [VISITOR.format(n) for n in range(3)]


@needs_redis
def test_a_killed_web_process_loses_at_most_its_last_interval(settings):
    # Three responses, then a pause longer than the interval (they are sent), then one
    # more response and the process is killed before its interval is over.
    body = "for n in range(3): buffer(n)\ntime.sleep(1.5)\nbuffer(3)\n" + KILL
    assert web_process(settings, body, 0.5) == -9
    assert written() == [VISITOR.format(n) for n in range(3)]


@needs_redis
def test_without_the_sender_thread_a_response_pushes_what_waited_too_long(settings,
                                                                          monkeypatch):
    """Under uWSGI without --enable-threads no thread of ours runs: events still reach
    Redis, pushed by a response once the oldest has waited ten intervals and a second."""
    import time

    from personalization.measurement.buffers import redis_list

    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "EVENT_SEND_INTERVAL": 0.01}
    monkeypatch.setattr(redis_list.BUFFER, "outbox", redis_list._Outbox())
    monkeypatch.setattr(redis_list._Outbox, "_run", lambda self: None)  # a thread that never runs
    target = redis_list.BUFFER.target()
    client, key = target.client, target.key
    buffer_events(rows(0, 2))
    assert client.llen(key) == 0  # waiting for the sender
    time.sleep(1.2)
    buffer_events(rows(2, 1))  # the oldest waited too long: this response pushes all
    assert client.llen(key) == 3
    assert flush_events() == 3


def test_a_process_without_redis_installed_exits_quietly():
    """A shop on the core install (no redis package) and a local-memory cache: a management
    command, a web worker or a shell exits without a traceback about Redis, which it never
    used (the Redis buffer's exit hook sends only what it holds)."""
    import subprocess
    import sys

    script = ("import sys; sys.modules['redis'] = None  # as if not installed\n"
              "import django; django.setup()\n"
              "from django.core.management import call_command\n"
              "call_command('check', '--fail-level', 'ERROR')\n")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "demo_shop.settings", "REDIS_URL": "",
           "CELERY_BROKER_URL": ""}
    done = subprocess.run([sys.executable, "-c", script], env=env, timeout=60,
                          capture_output=True, text=True)

    assert done.returncode == 0, done.stderr
    assert "Redis" not in done.stderr and "Traceback" not in done.stderr, done.stderr
