"""The event buffer on each kind of cache: every buffered event is written exactly once."""

import os

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches

from personalization.events import buffer_events, event_row, flush_events
from personalization.models import Event

pytestmark = pytest.mark.django_db

VISITOR = "00000000-0000-0000-0000-0000000000{:02d}"
BACKENDS = ["locmem", "file"] + (["redis"] if os.environ.get("REDIS_URL") else [])


@pytest.fixture(params=BACKENDS)
def cache_kind(request, settings, tmp_path):
    """The app's cache as a local-memory cache (a list in the process), a file cache (a
    numbered batch per response, as with Memcached or the database cache) or Redis."""
    config = {
        "locmem": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                   "LOCATION": "pz-event-buffer"},
        "file": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                 "LOCATION": str(tmp_path / "cache")},
        "redis": {**django_settings.CACHES["default"],
                  "KEY_PREFIX": f"pzbuffer{os.getpid()}"},
    }[request.param]
    settings.CACHES = {**django_settings.CACHES, "default": config}
    caches["default"].clear()
    yield request.param
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
    assert Event.objects.count() == 4
    assert flush_events() == 0
