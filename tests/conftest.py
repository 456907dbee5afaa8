"""Fixtures shared by the whole suite."""

import pytest
from django.core.cache import caches

# Skips what this machine cannot run (or fails, under PZ_REQUIRE_*), and says what it used.
pytest_plugins = ["tests.environment"]


@pytest.fixture(autouse=True)
def _clear_sms_outbox():
    """The in-memory SMS backend's outbox is empty at the start of every test."""
    from personalization.messaging.channels import locmem

    locmem.outbox.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: the test client runs requests in the
    test's thread, where LocaleMiddleware leaves a Dutch request's language active."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_rulebook():
    """Every test starts without this process's RuleBook: its first decision builds one
    from the test's own campaigns, as a new web process would."""
    from personalization.engine import rulebook

    rulebook.reset_local()
    yield
    rulebook.reset_local()


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache, as a fresh deployment would."""
    from personalization.measurement.events import discard_local_buffer

    discard_local_buffer()  # events waiting in this process (then none arrive late)
    for cache in caches.all():
        cache.clear()
    yield


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language (LANGUAGE_CODE): LocaleMiddleware leaves the
    language of a test client's Dutch request active in the thread, and the next test's
    reports (verdicts, labels) would be Dutch."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: once Playwright has started, the rest of the session runs
    with ``DJANGO_ALLOW_ASYNC_UNSAFE`` (see tests/browser/conftest.py)."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture
def twilio():
    """A local fake of Twilio's API; its ``messages`` are the SMS every process sent."""
    from tests.fake_twilio import FakeTwilio

    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
def start_worker(transactional_db, twilio, tmp_path):
    """Start real Celery workers (``start_worker(**env)``) on this run's database and queue,
    sending SMS to ``twilio``; they are killed at the end of the test."""
    import os

    from django.db import connection

    from demo_shop.celery import app
    from tests.workers import ROOT, Worker

    workers: list[Worker] = []
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False  # this process only enqueues

    def start(**extra_env: str) -> Worker:
        env = {**os.environ, **twilio.env(), **extra_env,
               "PZ_DB_NAME": str(connection.settings_dict["NAME"]),
               "PYTHONPATH": str(ROOT)}
        workers.append(Worker(env, tmp_path / f"worker{len(workers) + 1}.log"))
        return workers[-1]

    yield start
    for worker in workers:
        worker.kill()
    app.conf.task_always_eager = eager
