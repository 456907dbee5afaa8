"""Fixtures of the Oscar example's tests: a seeded shop, an empty cache, a fresh RuleBook."""

import os

import pytest
from django.core.cache import caches


def pytest_configure(config: pytest.Config) -> None:
    """Under PZ_REQUIRE_SERVICES (as CI runs) a missing PostgreSQL or Redis fails the run
    instead of letting it pass on SQLite and a local-memory cache."""
    if os.environ.get("PZ_REQUIRE_SERVICES", "") in ("", "0"):
        return
    from django.conf import settings

    missing = [name for name, ok in (
        ("PostgreSQL", settings.DATABASES["default"]["ENGINE"].endswith("postgresql")),
        ("Redis", bool(os.environ.get("REDIS_URL")))) if not ok]
    if missing:
        raise pytest.UsageError(f"PZ_REQUIRE_SERVICES: missing {', '.join(missing)}.")


@pytest.fixture(autouse=True)
def _fresh_state():
    from personalization.engine import rulebook
    from personalization.measurement.events import discard_local_buffer
    from personalization.messaging.channels import locmem

    locmem.outbox.clear()
    discard_local_buffer()
    for cache in caches.all():
        cache.clear()
    rulebook.reset_local()
    yield
    rulebook.reset_local()


@pytest.fixture
def shop(db):
    from oscar_shop.seed import seed

    return seed()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser test runs last: once Playwright has started, the session runs with
    ``DJANGO_ALLOW_ASYNC_UNSAFE`` (see test_browser.py)."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
