"""System checks a developer sees at start-up."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from personalization.checks import check_settings


@pytest.mark.parametrize("interval", [-1, "fast", 600, None])
def test_a_wrong_event_send_interval_stops_start_up(settings, interval):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "EVENT_SEND_INTERVAL": interval}
    with pytest.raises(SystemCheckError, match="personalization.E008"):
        call_command("check")


@pytest.mark.parametrize("interval", [0, 0.1, 2])
def test_a_sensible_event_send_interval_passes(settings, interval):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "EVENT_SEND_INTERVAL": interval}
    call_command("check")


REDIS = "redis://127.0.0.1:6379/0"


@pytest.mark.parametrize("cache", [
    {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS},
    {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS,
     "OPTIONS": {"socket_timeout": 1}},
    {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS,
     "OPTIONS": {"SOCKET_TIMEOUT": 1}},
])
def test_a_redis_cache_without_socket_timeouts_is_warned_about(settings, cache):
    settings.CACHES = {**settings.CACHES, "sessions": cache}
    (warning,) = [m for m in check_settings() if m.id == "personalization.W002"]
    assert "'sessions'" in warning.msg


@pytest.mark.parametrize("cache", [
    {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS,
     "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}},
    {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS,
     "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1}},
    {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
])
def test_a_cache_with_socket_timeouts_or_not_redis_passes(settings, cache):
    settings.CACHES = {**settings.CACHES, "sessions": cache}
    assert not [m for m in check_settings() if m.id == "personalization.W002"]


@pytest.mark.parametrize("timeout", [0, -1, "1", 120])
def test_a_wrong_publish_timeout_stops_start_up(settings, timeout):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "PUBLISH_TIMEOUT": timeout}
    with pytest.raises(SystemCheckError, match="personalization.E011"):
        call_command("check")
