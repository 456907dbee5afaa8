"""System checks of the services the app leans on: where buffered events wait, the packages
a configured part needs, and the project's Celery app (registered by the package)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from personalization.conf import SETTING_NAME, app_settings

EVENT_BUFFERS = ("memory", "cache", "redis")


def event_buffer_setting() -> list:
    """``EVENT_BUFFER`` names a buffer that can work with this cache and this Celery."""
    name = app_settings.raw("EVENT_BUFFER")
    setting = f"settings.{SETTING_NAME}['EVENT_BUFFER'] = {name!r}"
    if name is not None and name not in EVENT_BUFFERS:
        return [Error(
            f"{setting} is not an event buffer.",
            hint='Use None (the default: it follows the cache), "memory", "cache" or '
                 '"redis" (see docs/measurement.md, "Where buffered events wait").',
            id="personalization.E040")]
    alias = app_settings.raw("CACHE_ALIAS")
    backend = getattr(settings, "CACHES", {}).get(alias, {}).get("BACKEND", "")
    if name == "redis" and backend != "django.core.cache.backends.redis.RedisCache":
        return [Error(
            f"{setting} needs Django's Redis cache, but the {alias!r} cache is "
            f"{backend!r}.",
            hint="The list lives on the Redis server of the CACHE_ALIAS cache: make that "
                 "cache django.core.cache.backends.redis.RedisCache, or use None or "
                 "\"cache\".",
            id="personalization.E041")]
    # EVENT_BUFFER = "redis" without the redis package: E044, on its RedisCache (E041).
    per_process = backend == "django.core.cache.backends.locmem.LocMemCache"
    in_a_process = name == "memory" or (name in (None, "cache") and per_process)
    if in_a_process and not _celery_runs_in_process():
        # The default follows the cache: "memory" with LocMemCache. Either way the events
        # wait in the web process, where the worker's flush never finds them.
        return [Error(
            f"{setting} with the {alias!r} cache ({backend.rsplit('.', 1)[-1]}) keeps each "
            "web process's events in its own memory, but Celery runs the flush in a worker, "
            "which never sees them: every impression and visit would be lost.",
            hint="Make the CACHE_ALIAS cache a shared one (Django's RedisCache, which the "
                 "events then wait in) and EVENT_BUFFER None, \"cache\" or \"redis\"; or set "
                 "CELERY_TASK_ALWAYS_EAGER = True for a single process (a small shop, tests, "
                 "a demo). Celery reads it through the project's Celery app (see W002 if it "
                 "warns).",
            id="personalization.E043")]
    return []


#: Configured parts that need a package of an extra: the package and the extra.
TWILIO_BACKENDS = "personalization.messaging.channels.twilio."
REDIS_SCHEMES = ("redis", "rediss", "sentinel")


def missing_packages() -> list:
    """A part the settings configure whose package is not installed (the core install has
    neither redis nor twilio): said at start-up, not found by the first order or page."""
    from celery import _state

    needs: list[tuple[str, str, str]] = []  # (what, package, extra)
    broker = str(_state.get_current_app().conf.broker_url or "")
    scheme = broker.split("://", 1)[0].lower()
    if scheme in REDIS_SCHEMES and not _celery_runs_in_process():
        needs.append((f"Celery's broker ({scheme}://)", "redis", "redis"))
    for alias, cache in getattr(settings, "CACHES", {}).items():
        if cache.get("BACKEND") == "django.core.cache.backends.redis.RedisCache":
            needs.append((f"The {alias!r} cache (Django's RedisCache)", "redis", "redis"))
    sms = app_settings.raw("SMS_BACKEND")
    path = sms if isinstance(sms, str) else f"{getattr(sms, '__module__', '')}."
    if path.startswith(TWILIO_BACKENDS):
        needs.append((f"settings.{SETTING_NAME}['SMS_BACKEND'] (Twilio)", "twilio", "twilio"))
    errors = []
    for what, package, extra in dict.fromkeys(needs):
        try:
            import_module(package)
        except ImportError:
            errors.append(Error(
                f"{what} needs the {package} package, which is not installed.",
                hint=f"pip install 'django-personalization[{extra}]'",
                id="personalization.E044"))
    return errors


def _celery_runs_in_process() -> bool:
    from celery import _state

    return bool(_state.get_current_app().conf.task_always_eager)


@register(Tags.compatibility)
def check_celery(app_configs: Any = None, **kwargs: Any) -> list:
    """Conversions and rep SMS are Celery tasks: without the project's own Celery app
    (importing the app module from the project package's ``__init__``), Celery falls back
    to an unconfigured app that ignores the ``CELERY_*`` settings and sends the tasks to a
    default AMQP broker, where nothing runs them."""
    from celery import _state

    app = _state.get_current_app()
    # The fallback app Celery makes when no project made one: named "default", no fixups.
    fallback = app.main == "default" and not app.fixups
    if not fallback or app.conf.task_always_eager:
        return []
    return [Warning(
        "No Celery app is configured: an order's conversion and the sales rep's SMS wait "
        "in the outbox and are never done (pz_health reports them as waiting).",
        hint="Create the project's Celery app (celery.py with "
             "app.config_from_object('django.conf:settings', namespace='CELERY')) and import "
             "it in the project package's __init__.py; then either run a worker with a "
             "broker (CELERY_BROKER_URL) or, for a small shop, set "
             "CELERY_TASK_ALWAYS_EAGER = True. See the README, 'Adding the app to your shop'.",
        id="personalization.W002")]
