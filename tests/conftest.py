"""Fixtures shared by the whole suite."""

import pytest
from django.core.cache import caches


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache, as a fresh deployment would."""
    for cache in caches.all():
        cache.clear()
    yield
