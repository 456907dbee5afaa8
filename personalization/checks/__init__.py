"""System checks with stable ids ``personalization.E001``... (DB-free): the settings, the
installation, the adapter's fields; ``services.py`` the event buffer, packages and Celery."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from personalization.adapters import CommerceAdapter
from personalization.checks.services import (  # noqa: F401  (check_celery: registered)
    check_celery,
    event_buffer_setting,
    missing_packages,
)
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
    for alias in _redis_caches_without_timeouts():
        errors.append(
            Warning(
                f"The Redis cache {alias!r} has no socket time-outs: a cache server that "
                "hangs or cannot be reached holds every request that uses it for as long as "
                "the operating system waits.",
                hint="Add \"socket_connect_timeout\": 1, \"socket_timeout\": 1 to its OPTIONS "
                     "(django-redis: SOCKET_CONNECT_TIMEOUT and SOCKET_TIMEOUT).",
                id="personalization.W003",
            )
        )
    for name, low, high, unit, hint, check_id in NUMBER_SETTINGS:
        error = _number_in_range(name, low, high, unit, hint, check_id)
        if error is not None:
            errors.append(error)
    errors += _popup_settings()
    errors += _reports_database()
    errors += event_buffer_setting()
    errors += missing_packages()
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
    if _api_is_routed() and not apps.is_installed("rest_framework"):
        errors.append(Error(
            "The REST API (personalization.api.urls) is in the URLconf, but 'rest_framework' "
            "is not in INSTALLED_APPS: a browser that opens an API address gets a server "
            "error (TemplateDoesNotExist: rest_framework/api.html).",
            hint="Add 'rest_framework' to INSTALLED_APPS.", id="personalization.E045"))
    for required in ("polymorphic", "waffle", "django.contrib.contenttypes"):
        if not apps.is_installed(required):
            errors.append(
                Error(
                    f"{required!r} must be in INSTALLED_APPS for personalization to work.",
                    id="personalization.E007",
                )
            )
    return errors


def _api_is_routed() -> bool:
    """Whether the project's URLconf includes the app's REST API."""
    from django.urls import reverse

    try:
        reverse("personalization_api:events")
    except Exception:  # not included, or a URLconf that does not load (Django's checks say)
        return False
    return True


#: Settings that must be a number in a range: name, low, high, unit, hint, check id.
NUMBER_SETTINGS = [
    ("EVENT_SEND_INTERVAL", 0, 60, "number of seconds",
     "0 pushes events to Redis on every response; the default is 0.1.", "E008"),
    ("EVENT_FLUSH_MAX_DELAY", 1, 3600, "number of seconds",
     "The default, 60, shows events in the admin within about a minute.", "E009"),
    ("EVENT_REPEAT_WINDOW", 0, 3600, "number of seconds",
     "The default, 30, counts a click sent twice in a row once; 0 counts every one.",
     "E011"),
    ("GLOBAL_HOLDOUT_PERCENT", 0, 100, "percentage",
     "5 keeps one visitor in twenty out of all personalization; 0 (the default) keeps "
     "nobody out.", "E010"),
    ("PUBLISH_TIMEOUT", 0.05, 30, "number of seconds",
     "The default, 1, keeps a hung broker from holding up a checkout for longer.", "E015"),
    ("BANDIT_UPDATE_INTERVAL", 60, 7 * 86400, "number of seconds",
     "The default, 3600, moves a bandit's weights every hour.", "E020"),
    ("BANDIT_EXPLORATION_DAYS", 0, 365, "number of days",
     "The default, 7, gives every variant a whole week of equal traffic first.", "E021"),
    ("BANDIT_MIN_CONVERSIONS", 0, 1_000_000, "number",
     "The default, 30, lets the weights move once every variant has 30 conversions.",
     "E022"),
    ("BANDIT_FLOOR_PERCENT", 0, 20, "percentage",
     "The default, 1, keeps 1 % of the bandit's traffic on every variant.", "E023"),
    ("IMAGE_MAX_BYTES", 1024, 50 * 1024 * 1024, "number of bytes",
     "The default, 2097152 (2 MB), is plenty for a banner photo.", "E016"),
    ("IMAGE_MAX_WIDTH", 100, 10_000, "whole number of pixels",
     "The default, 1600, is sharp on a wide screen.", "E017"),
]


#: Redis cache backends and the OPTIONS keys of their two socket time-outs.
REDIS_CACHE_TIMEOUTS = {
    "django.core.cache.backends.redis.RedisCache": ("socket_connect_timeout",
                                                    "socket_timeout"),
    "django_redis.cache.RedisCache": ("SOCKET_CONNECT_TIMEOUT", "SOCKET_TIMEOUT"),
}


def _redis_caches_without_timeouts() -> list[str]:
    """Aliases of Redis caches lacking a connect or a read time-out."""
    found = []
    for alias, config in sorted(getattr(settings, "CACHES", {}).items()):
        keys = REDIS_CACHE_TIMEOUTS.get(config.get("BACKEND", ""))
        options = config.get("OPTIONS") or {}
        if keys is not None and any(options.get(key) is None for key in keys):
            found.append(alias)
    return found


def _number_in_range(name: str, low: float, high: float, unit: str, hint: str,
                     check_id: str) -> Error | None:
    value = app_settings.raw(name)
    if not isinstance(value, bool) and isinstance(value, (int, float)) and \
            low <= value <= high:
        return None
    return Error(f"settings.{SETTING_NAME}['{name}'] = {value!r} is not a {unit} from {low} "
                 f"to {high}.", hint=hint, id=f"personalization.{check_id}")


def _popup_settings() -> list:
    """``CHECKOUT_PATHS`` must be a list of local path prefixes (a bare string would make
    every page a checkout, character by character) and ``POPUP_DEFAULT_CAP`` a positive
    number or None."""
    errors = []
    paths = app_settings.raw("CHECKOUT_PATHS")
    if not isinstance(paths, (list, tuple)) or not all(
            isinstance(p, str) and p.startswith("/") and len(p) > 1 for p in paths):
        errors.append(Error(
            f"settings.{SETTING_NAME}['CHECKOUT_PATHS'] = {paths!r} is not a list of path "
            "prefixes.", hint='Use e.g. ["/payment/"], or [] for none.',
            id="personalization.E012"))
    cap = app_settings.raw("POPUP_DEFAULT_CAP")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
        errors.append(Error(
            f"settings.{SETTING_NAME}['POPUP_DEFAULT_CAP'] = {cap!r} is not a number of "
            "times from 1 up, or None.", hint="1 (the default) opens a popup once a day.",
            id="personalization.E013"))
    return errors
@register(Tags.compatibility)
def check_adapter_fields(app_configs: Any = None, **kwargs: Any) -> list:
    """Every ORM path the adapter declares exists on the model of its queryset: a typo, or
    ``None`` where the shop has no such field, would otherwise show up only as a failed
    decision (logged) on every page of a known customer. Resolving a path builds a query
    and runs none."""
    try:
        adapter = _configured_adapter()
    except Exception:  # E002 already reports an adapter that cannot be imported
        return []
    if adapter is None:
        return []
    errors: list = []
    for attribute, queryset_method, fields, optional in (
            ("order_fields", "orders", adapter.order_fields, ("discount_code", "category")),
            ("customer_fields", "customers", adapter.customer_fields, ("group", "b2b")),
            ("saved_cart_fields", "saved_carts", adapter.saved_cart_fields, ())):
        if attribute != "order_fields" and getattr(type(adapter), attribute) is getattr(
                CommerceAdapter, attribute):
            continue  # not declared: the shop has no customer groups or saved carts
        try:
            queryset = getattr(adapter, queryset_method)()
        except Exception:  # an adapter whose queryset needs a request or the database
            continue
        if queryset is None:
            continue
        for name, path in _declared_paths(fields):
            problem = _path_problem(queryset, path, absent_allowed=name in optional)
            if problem is not None:
                errors.append(Error(
                    f"{type(adapter).__name__}.{attribute}.{name} = {path!r} is not a path "
                    f"on {queryset.model._meta.label} ({problem}).",
                    hint=_FIELD_HINTS.get(name, _FIELD_HINTS[""]),
                    id="personalization.E014"))
    return errors


_FIELD_HINTS = {
    "": "Give the ORM path from the model of the adapter's queryset, as in a filter() "
        "(see docs/adapter.md, 'OrderFields and CustomerFields').",
    "discount_code": "Give the path to the code used on an order (text, empty when none), "
                     "or None if the shop has no discount codes: the admin then refuses "
                     "the rules that need them.",
    "category": "Give the path from the order to its lines' products' categories, or None "
                "if the shop has no categories: the admin then refuses the rules that "
                "need them.",
    "group": "Give the path from the user to his customer group, or \"\" if the shop has "
             "none.",
}


def _configured_adapter() -> Any:
    path = app_settings.raw("COMMERCE_ADAPTER")
    cls = import_string(path) if isinstance(path, str) else path
    return cls() if cls is not None else None


def _declared_paths(fields: Any) -> list[tuple[str, Any]]:
    """(field name, path) of a fields declaration; a field with several paths (an order's
    categories) gives one pair per path."""
    from dataclasses import fields as dataclass_fields

    found: list[tuple[str, Any]] = []
    for field in dataclass_fields(fields):
        value = getattr(fields, field.name)
        if isinstance(value, (tuple, list)) and value:
            found.extend((field.name, path) for path in value)
        else:
            found.append((field.name, value))
    return found


def _path_problem(queryset: Any, path: Any, *, absent_allowed: bool) -> str | None:
    """Why ``path`` cannot filter ``queryset``, or None when it can (or is absent and may
    be)."""
    from django.core.exceptions import FieldError
    from django.db.models import Q

    if path is None or path == "" or path == ():
        return None if absent_allowed else "a path is required"
    try:
        if isinstance(path, Q):
            queryset.filter(path)
        elif isinstance(path, str):
            # Field by field, so a wrong name is named with the choices there.
            queryset.query.names_to_path(path.split("__"), queryset.model._meta,
                                         fail_on_missing=True)
        else:
            return f"a text path is needed, not {type(path).__name__}"
    except (FieldError, ValueError, TypeError) as exc:
        return str(exc)
    return None


ROUTER_PATH = "personalization.routers.ReportsRouter"


def _reports_database() -> list:
    """REPORTS_DATABASE names a configured database, and the router that uses it is on."""
    alias = app_settings.raw("REPORTS_DATABASE")
    if alias is None:
        return []
    if not isinstance(alias, str) or alias not in settings.DATABASES:
        return [Error(
            f"settings.{SETTING_NAME}['REPORTS_DATABASE'] = {alias!r} is not in "
            "settings.DATABASES.",
            hint="Add the read replica's connection to DATABASES under that alias, or set "
                 "REPORTS_DATABASE to None to read the reports from the primary.",
            id="personalization.E055")]
    if ROUTER_PATH not in [r if isinstance(r, str) else f"{type(r).__module__}."
                           f"{type(r).__qualname__}" for r in settings.DATABASE_ROUTERS]:
        return [Error(
            f"settings.{SETTING_NAME}['REPORTS_DATABASE'] is set, but {ROUTER_PATH} is not "
            "in settings.DATABASE_ROUTERS: the reports would still read the primary.",
            hint=f"Put {ROUTER_PATH!r} first in DATABASE_ROUTERS (it speaks only for the "
                 "report tables).",
            id="personalization.E056")]
    return []
