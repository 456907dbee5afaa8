"""System checks with stable ids ``personalization.E001``... (DB-free)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from personalization.conf import DEFAULTS, IMPORT_STRINGS, SETTING_NAME, app_settings

MIDDLEWARE_PATH = "personalization.middleware.PersonalizationMiddleware"
AUTH_MIDDLEWARE_PATH = "django.contrib.auth.middleware.AuthenticationMiddleware"


@register(Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list:
    errors: list = []
    try:
        unknown = app_settings.unknown_keys()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="personalization.E001")]
    for key in unknown:
        errors.append(
            Error(
                f"Unknown key {key!r} in settings.{SETTING_NAME}.",
                hint=f"Valid keys: {', '.join(sorted(DEFAULTS))}.",
                id="personalization.E001",
            )
        )
    if unknown:
        return errors
    for key in sorted(IMPORT_STRINGS):
        path = app_settings.raw(key)
        if isinstance(path, str):
            try:
                import_string(path)
            except ImportError as exc:
                errors.append(
                    Error(
                        f"settings.{SETTING_NAME}[{key!r}] = {path!r} cannot be imported.",
                        hint=str(exc),
                        id="personalization.E002",
                    )
                )
    alias = app_settings.raw("CACHE_ALIAS")
    if alias not in getattr(settings, "CACHES", {}):
        errors.append(
            Error(
                f"settings.{SETTING_NAME}['CACHE_ALIAS'] = {alias!r} is not in settings.CACHES.",
                id="personalization.E003",
            )
        )
    elif settings.CACHES[alias].get("BACKEND", "").endswith("LocMemCache") and not settings.DEBUG:
        errors.append(
            Warning(
                "The personalization cache is a per-process LocMemCache: an admin change "
                "reaches other web processes only when they restart.",
                hint="Use Redis (django.core.cache.backends.redis.RedisCache) in production.",
                id="personalization.W001",
            )
        )
    interval = app_settings.raw("EVENT_SEND_INTERVAL")
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or \
            not 0 <= interval <= 60:
        errors.append(
            Error(
                f"settings.{SETTING_NAME}['EVENT_SEND_INTERVAL'] = {interval!r} is not a "
                "number of seconds from 0 to 60.",
                hint="0 pushes events to Redis on every response; the default is 0.1.",
                id="personalization.E008",
            )
        )
    delay = app_settings.raw("EVENT_FLUSH_MAX_DELAY")
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 1 <= delay <= 3600:
        errors.append(
            Error(
                f"settings.{SETTING_NAME}['EVENT_FLUSH_MAX_DELAY'] = {delay!r} is not a "
                "number of seconds from 1 to 3600.",
                hint="The default, 60, shows events in the admin within about a minute.",
                id="personalization.E009",
            )
        )
    holdout = app_settings.raw("GLOBAL_HOLDOUT_PERCENT")
    if isinstance(holdout, bool) or not isinstance(holdout, (int, float)) or \
            not 0 <= holdout <= 100:
        errors.append(
            Error(
                f"settings.{SETTING_NAME}['GLOBAL_HOLDOUT_PERCENT'] = {holdout!r} is not a "
                "percentage from 0 to 100.",
                hint="5 keeps one visitor in twenty out of all personalization; 0 (the "
                     "default) keeps nobody out.",
                id="personalization.E010",
            )
        )
    if app_settings.raw("GEOIP_PATH"):
        try:
            import geoip2  # noqa: F401
        except ImportError:
            errors.append(
                Error(
                    "GEOIP_PATH is set but the geoip2 package is not installed.",
                    hint="pip install 'django-personalization[geoip]'",
                    id="personalization.E006",
                )
            )
    return errors


@register(Tags.compatibility)
def check_installation(app_configs: Any = None, **kwargs: Any) -> list:
    errors: list = []
    middleware = list(getattr(settings, "MIDDLEWARE", []) or [])
    if MIDDLEWARE_PATH not in middleware:
        errors.append(
            Error(
                "PersonalizationMiddleware is not in settings.MIDDLEWARE: templates cannot "
                "personalize and responses would not be marked private.",
                hint=f"Add {MIDDLEWARE_PATH!r} after {AUTH_MIDDLEWARE_PATH!r}.",
                id="personalization.E004",
            )
        )
    elif AUTH_MIDDLEWARE_PATH not in middleware or middleware.index(
        AUTH_MIDDLEWARE_PATH
    ) > middleware.index(MIDDLEWARE_PATH):
        errors.append(
            Error(
                "PersonalizationMiddleware must come after AuthenticationMiddleware.",
                hint="It needs request.user to recognise known customers.",
                id="personalization.E005",
            )
        )
    for required in ("polymorphic", "waffle", "django.contrib.contenttypes"):
        if not apps.is_installed(required):
            errors.append(
                Error(
                    f"{required!r} must be in INSTALLED_APPS for personalization to work.",
                    id="personalization.E007",
                )
            )
    return errors
