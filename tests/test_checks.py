"""System checks a developer sees at start-up."""

import sys
from dataclasses import replace

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from demo_shop.adapter import DemoCommerceAdapter
from personalization.adapters import OrderFields
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


@pytest.mark.parametrize("window", [-1, "30s", 7200, None, True])
def test_a_wrong_repeat_window_stops_start_up(settings, window):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "EVENT_REPEAT_WINDOW": window}
    with pytest.raises(SystemCheckError, match="personalization.E011"):
        call_command("check")


@pytest.mark.parametrize("window", [0, 30, 3600])
def test_a_sensible_repeat_window_passes(settings, window):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "EVENT_REPEAT_WINDOW": window}
    call_command("check")
# -- where buffered events wait (E040-E043) ---------------------------------------------------


@pytest.mark.parametrize("name", ["redis-list", "Memory", "", 1])
def test_an_unknown_event_buffer_stops_start_up_naming_the_choices(settings, name):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "EVENT_BUFFER": name}
    with pytest.raises(SystemCheckError, match="personalization.E040") as raised:
        call_command("check")
    assert '"memory", "cache" or "redis"' in str(raised.value)


def test_the_redis_buffer_without_a_redis_cache_stops_start_up(settings):
    settings.CACHES = {**settings.CACHES, "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "EVENT_BUFFER": "redis"}
    with pytest.raises(SystemCheckError, match="personalization.E041"):
        call_command("check")


def test_the_memory_buffer_with_a_celery_worker_stops_start_up(settings):
    from celery import current_app

    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "EVENT_BUFFER": "memory"}
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False
    try:
        with pytest.raises(SystemCheckError, match="personalization.E043"):
            call_command("check")
    finally:
        current_app.conf.task_always_eager = eager


# -- parts configured without their package (E044) ---------------------------------------


def redis_cache(settings):
    settings.CACHES = {**settings.CACHES, "sessions": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/3", "OPTIONS": {"socket_timeout": 1,
                                                            "socket_connect_timeout": 1}}}


def redis_broker(settings):
    from celery import current_app

    current_app.conf.broker_url = "redis://127.0.0.1:6379/4"
    current_app.conf.task_always_eager = False


def twilio_sms(settings):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "SMS_BACKEND":
                                "personalization.messaging.channels.twilio.SmsBackend"}


@pytest.mark.parametrize(("configure", "package", "names"), [
    (redis_cache, "redis", "The 'sessions' cache (Django's RedisCache)"),
    (redis_broker, "redis", "Celery's broker (redis://)"),
    (twilio_sms, "twilio", "SMS_BACKEND'] (Twilio)"),
], ids=["redis-cache", "redis-broker", "twilio-sms"])
def test_a_part_configured_without_its_package_stops_start_up_naming_the_extra(
        settings, monkeypatch, configure, package, names):
    """The core install has neither redis nor twilio: a shop that configures a part needing
    one learns it at start-up, with the extra to install, not from a misleading error on its
    first order or a cache that silently never answers."""
    from celery import current_app

    saved = current_app.conf.broker_url, current_app.conf.task_always_eager
    try:
        configure(settings)
        call_command("check")  # installed: fine
        monkeypatch.setitem(sys.modules, package, None)  # as on the core install
        with pytest.raises(SystemCheckError, match="personalization.E044") as raised:
            call_command("check")
    finally:
        current_app.conf.broker_url, current_app.conf.task_always_eager = saved
    assert names in str(raised.value)
    assert f"pip install 'django-personalization[{package}]'" in str(raised.value)


@pytest.mark.parametrize("name", [None, "cache"])
def test_a_local_memory_cache_with_a_celery_worker_stops_start_up(settings, name):
    """The default buffer follows the cache: with LocMemCache, the events would wait in each
    web process, and a worker's flush would never find one of them."""
    from celery import current_app

    settings.CACHES = {**settings.CACHES, "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "EVENT_BUFFER": name}
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False
    try:
        with pytest.raises(SystemCheckError, match="personalization.E043") as raised:
            call_command("check")
        assert "RedisCache" in str(raised.value)
        current_app.conf.task_always_eager = True  # one process: the flush runs in it
        call_command("check")
    finally:
        current_app.conf.task_always_eager = eager


@pytest.mark.parametrize("name", [None, "memory", "cache", "redis"])
def test_every_event_buffer_passes_where_it_can_work(settings, name):
    # The tests' cache is Redis and Celery runs eagerly (set here: a worker test may have
    # left the app's configuration otherwise): each buffer can work here.
    from celery import current_app

    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "EVENT_BUFFER": name}
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    try:
        call_command("check")
    finally:
        current_app.conf.task_always_eager = eager


# -- the adapter's ORM paths (E014) ----------------------------------------------------------


def adapter_with(**order_fields):
    """The demo's adapter with some ``OrderFields`` changed."""
    return type("ShopAdapter", (DemoCommerceAdapter,), {
        "order_fields": replace(DemoCommerceAdapter.order_fields, **order_fields)})


def use_adapter(settings, adapter):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "COMMERCE_ADAPTER": adapter}


def test_the_demo_adapters_paths_pass(settings):
    call_command("check")


@pytest.mark.parametrize("field", ["customer", "created", "total", "discount_code", "line",
                                   "product", "category"])
def test_a_wrong_order_fields_path_stops_start_up_naming_it(settings, field):
    use_adapter(settings, adapter_with(**{field: "nope"}))

    with pytest.raises(SystemCheckError) as raised:
        call_command("check")

    message = str(raised.value)
    assert "personalization.E014" in message
    assert f"ShopAdapter.order_fields.{field} = 'nope' is not a path on orders.Order" in message
    assert "Cannot resolve keyword 'nope'" in message


def test_the_text_none_is_a_wrong_path_and_says_how_to_declare_no_codes(settings):
    use_adapter(settings, adapter_with(discount_code="None"))

    with pytest.raises(SystemCheckError, match="or None if the shop has no discount codes"):
        call_command("check")


def test_one_wrong_category_path_among_several_is_found(settings):
    use_adapter(settings, adapter_with(category=("lines__product__category", "lines__cat")))

    with pytest.raises(SystemCheckError, match=r"order_fields.category = 'lines__cat'"):
        call_command("check")


@pytest.mark.parametrize("field", ["customer", "created", "total", "line", "product"])
def test_a_required_path_cannot_be_declared_absent(settings, field):
    use_adapter(settings, adapter_with(**{field: None}))

    with pytest.raises(SystemCheckError, match="a path is required"):
        call_command("check")


def test_a_wrong_customer_fields_path_stops_start_up(settings):
    from personalization.adapters import CustomerFields

    use_adapter(settings, type("ShopAdapter", (DemoCommerceAdapter,), {
        "customer_fields": CustomerFields(group="profile__group")}))

    with pytest.raises(SystemCheckError, match=r"customer_fields.group = 'profile__group' "
                                               r"is not a path on auth.User"):
        call_command("check")


def test_customer_fields_left_at_their_default_are_not_checked(settings):
    """A shop without customer groups does not declare ``customer_fields``: the default
    path (``profile__customer_group``) is not its to fix."""
    from django.contrib.auth import get_user_model

    from personalization.adapters import CommerceAdapter

    use_adapter(settings, type("ShopAdapter", (CommerceAdapter,), {
        "orders": lambda self: DemoCommerceAdapter().orders(),
        "customers": lambda self: get_user_model().objects.all()}))

    call_command("check")


def test_codes_and_categories_declared_absent_pass(settings):
    use_adapter(settings, adapter_with(discount_code=None, category=None))

    call_command("check")
    assert OrderFields(discount_code=None, category=None).category_paths == ()


# -- Celery (W002) ---------------------------------------------------------------------------

def test_no_celery_app_is_a_warning_that_names_the_fix(monkeypatch):
    from celery import Celery, _state

    from personalization.checks import check_celery

    fallback = Celery("default", fixups=[], set_as_current=False)  # what Celery falls back to
    monkeypatch.setattr(_state, "get_current_app", lambda: fallback)

    [warning] = check_celery()

    assert warning.id == "personalization.W002"
    assert "No Celery app is configured" in warning.msg
    assert "__init__.py" in warning.hint and "CELERY_TASK_ALWAYS_EAGER" in warning.hint


def test_a_project_celery_app_passes():
    from personalization.checks import check_celery

    assert check_celery() == []
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
    (warning,) = [m for m in check_settings() if m.id == "personalization.W003"]
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
    assert not [m for m in check_settings() if m.id == "personalization.W003"]


@pytest.mark.parametrize("timeout", [0, -1, "1", 120])
def test_a_wrong_publish_timeout_stops_start_up(settings, timeout):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "PUBLISH_TIMEOUT": timeout}
    with pytest.raises(SystemCheckError, match="personalization.E015"):
        call_command("check")


def test_the_api_routed_without_rest_framework_installed_stops_start_up(settings):
    """A browser opening an API address would get a 500 (DRF's browsable page needs its
    templates): said at start-up instead."""
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS
                               if app != "rest_framework"]
    with pytest.raises(SystemCheckError, match="personalization.E045") as raised:
        call_command("check")
    assert "Add 'rest_framework' to INSTALLED_APPS" in str(raised.value)
