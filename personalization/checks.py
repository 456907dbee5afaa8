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
    for name, low, high, unit, hint, check_id in NUMBER_SETTINGS:
        error = _number_in_range(name, low, high, unit, hint, check_id)
        if error is not None:
            errors.append(error)
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


#: Settings that must be a number in a range: name, low, high, unit, hint, check id.
NUMBER_SETTINGS = [
    ("EVENT_SEND_INTERVAL", 0, 60, "number of seconds",
     "0 pushes events to Redis on every response; the default is 0.1.", "E008"),
    ("EVENT_FLUSH_MAX_DELAY", 1, 3600, "number of seconds",
     "The default, 60, shows events in the admin within about a minute.", "E009"),
    ("GLOBAL_HOLDOUT_PERCENT", 0, 100, "percentage",
     "5 keeps one visitor in twenty out of all personalization; 0 (the default) keeps "
     "nobody out.", "E010"),
    ("BANDIT_UPDATE_INTERVAL", 60, 7 * 86400, "number of seconds",
     "The default, 3600, moves a bandit's weights every hour.", "E020"),
    ("BANDIT_EXPLORATION_DAYS", 0, 365, "number of days",
     "The default, 7, gives every variant a whole week of equal traffic first.", "E021"),
    ("BANDIT_MIN_CONVERSIONS", 0, 1_000_000, "number",
     "The default, 30, lets the weights move once every variant has 30 conversions.",
     "E022"),
    ("BANDIT_FLOOR_PERCENT", 0, 20, "percentage",
     "The default, 1, keeps 1 % of the bandit's traffic on every variant.", "E023"),
]


def _number_in_range(name: str, low: float, high: float, unit: str, hint: str,
                     check_id: str) -> Error | None:
    value = app_settings.raw(name)
    if not isinstance(value, bool) and isinstance(value, (int, float)) and \
            low <= value <= high:
        return None
    return Error(f"settings.{SETTING_NAME}['{name}'] = {value!r} is not a {unit} from {low} "
                 f"to {high}.", hint=hint, id=f"personalization.{check_id}")
