"""The ``PERSONALIZATION`` settings object: defaults, dotted-path imports, strict keys."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

SETTING_NAME = "PERSONALIZATION"

DEFAULTS: dict[str, Any] = {
    # Cache alias holding the RuleBook version, cached profiles and the event buffer.
    "CACHE_ALIAS": "default",
    # Dotted path of the CommerceAdapter subclass: the only door to the shop.
    "COMMERCE_ADAPTER": "personalization.adapters.CommerceAdapter",
    # Name of the django-waffle switch that turns all personalization off when active.
    "KILL_SWITCH": "personalization_off",
    # Visitor identity cookie (signed).
    "VISITOR_COOKIE_NAME": "pz_vid",
    "VISITOR_COOKIE_AGE": 60 * 60 * 24 * 365,
    # Cookie holding frequency-cap counters and popup dismissals (signed).
    "CAP_COOKIE_NAME": "pz_caps",
    # Request header carrying the visitor's country from a trusted CDN, e.g. "CF-IPCountry".
    # Empty (the default): no header is trusted, since a visitor can send any header.
    "COUNTRY_HEADER": "",
    # Path to a GeoIP2 country or city database; used when the header is absent.
    "GEOIP_PATH": None,
    # The shop's layout the privacy pages extend (blocks "title" and "content"), e.g.
    # "base.html" or "oscar/layout.html"; the default is a bare page of the app's own.
    "PAGE_TEMPLATE": "personalization/page.html",
    # Store time zone for time-of-day and weekday rules; None means settings.TIME_ZONE.
    "TIME_ZONE": None,
    # Share of visitors (0-100, sticky per canonical visitor) who see every slot's default
    # content everywhere, to measure what personalization as a whole adds.
    "GLOBAL_HOLDOUT_PERCENT": 0,
    # Campaign reports: the margin on revenue when a campaign names none (for ROI), and the
    # data an experiment needs before its report gives a verdict.
    "MARGIN_PERCENT": 30,
    # The shop's currency (ISO 4217), named next to amounts in the admin and reports.
    "CURRENCY": "EUR",
    "REPORT_MIN_CONVERSIONS": 100,
    "REPORT_MIN_DAYS": 7,
    # Alias in DATABASES of a read replica the reports and dashboards read from (with
    # personalization.routers.ReportsRouter in DATABASE_ROUTERS); None: they read "default".
    "REPORTS_DATABASE": None,
    # Bandits (campaigns that allocate by bandit): seconds between two weight updates
    # (Celery beat), days of equal weights at the start of a run, and the converting
    # visitors (or goals) every variant needs before the weights move; the smallest share
    # of the bandit's traffic each variant keeps (percent), so a bad start can recover.
    "BANDIT_UPDATE_INTERVAL": 60 * 60,
    "BANDIT_EXPLORATION_DAYS": 7,
    "BANDIT_MIN_CONVERSIONS": 30,
    "BANDIT_FLOOR_PERCENT": 1,
    # Conversions are attributed to exposures seen within this many days.
    "CONVERSION_WINDOW_DAYS": 7,
    # Where the events a page records wait for their flush: "memory" (a list in the
    # process), "cache" (batches in the CACHE_ALIAS cache) or "redis" (a list on that
    # cache's Redis server). None: follows the cache (memory with LocMemCache, redis with a
    # Redis cache, cache otherwise). See docs/measurement.md.
    "EVENT_BUFFER": None,
    # Buffered events are bulk-inserted once this many are waiting.
    "EVENT_BUFFER_FLUSH_SIZE": 200,
    # With Redis as the cache: seconds a process gathers its responses' events before
    # pushing them to Redis in one go (a killed process loses at most this much); 0 pushes
    # on every response and waits for Redis's answer.
    "EVENT_SEND_INTERVAL": 0.1,
    # Buffered events reach the database within about this many seconds: Celery beat
    # flushes on this interval, and a web process asks for a flush when its oldest event
    # waiting is older.
    "EVENT_FLUSH_MAX_DELAY": 60,
    # The same display, click or dismissal (visitor, type, and campaign and arm as served on
    # one page) sent again within this many seconds counts once; 0 counts every one.
    "EVENT_REPEAT_WINDOW": 30,
    # A known visitor's profile aggregates stay cached this many seconds.
    "PROFILE_CACHE_TIMEOUT": 60 * 60,
    # Profile fields a text variant may insert, e.g. "Hallo {{ first_name }}".
    "TEXT_FIELDS": ["first_name", "last_name", "username", "city", "country"],
    # Longest regular expression a merchant may enter in a rule.
    "REGEX_MAX_LENGTH": 200,
    # Largest number of values in a rule's list (countries, products, categories ...).
    "RULE_LIST_MAX_ITEMS": 200,
    # Dotted path of a callable(country, city) -> float | None giving the temperature in °C.
    "TEMPERATURE_PROVIDER": "personalization.engine.providers.no_temperature",
    # Live weather: e.g. "personalization.engine.weather.OpenMeteo" (a class, built once with
    # WEATHER_OPTIONS) or a callable (latitude, longitude) -> Weather | None. When set, it
    # also gives temperature rules their temperature. None: TEMPERATURE_PROVIDER only.
    "WEATHER_PROVIDER": None,
    "WEATHER_OPTIONS": {},
    # Headers with the visitor's coordinates set by a trusted CDN or load balancer
    # (Cloudflare's visitor location headers); None: the country's capital, if known.
    "COORDINATES_HEADERS": None,
    # SMS backend for sales-rep alerts, chosen like Django's EMAIL_BACKEND.
    "SMS_BACKEND": "personalization.messaging.channels.console.SmsBackend",
    # Keyword options for the SMS backend (e.g. Twilio's account_sid, auth_token, from_).
    "SMS_BACKEND_OPTIONS": {},
    # Seconds a web request may wait for the Celery broker when it hands over a task (after
    # an order, for the event flush); the work waits in the database for the relay if not.
    "PUBLISH_TIMEOUT": 1.0,
    # Seconds an SMS provider may take to answer before the attempt counts as failed.
    "SMS_SEND_TIMEOUT": 10,
    # Absolute base URL of the site (e.g. "https://shop.example.com") for links in messages;
    # None: taken from the request that placed the order, when there is one.
    "SITE_URL": None,
    # Journeys: a customer gets at most one journey message per this many days.
    "JOURNEY_PERIOD_DAYS": 7,
    # The sender of journey e-mails (default: Django's DEFAULT_FROM_EMAIL).
    "JOURNEY_FROM_EMAIL": None,
    # Consent: the version of the privacy policy; a new version asks every visitor again.
    "CONSENT_POLICY_VERSION": "1",
    # Signed cookie holding the visitor's consent choices (a necessary cookie).
    "CONSENT_COOKIE_NAME": "pz_consent",
    # "opt-in": optional purposes are off until granted (GDPR). "implied": on until refused,
    # for shops where no prior consent is required.
    "CONSENT_MODE": "opt-in",
    # Retention of personal data, in days.
    "EVENT_RETENTION_DAYS": 395,
    "ANONYMOUS_PROFILE_RETENTION_DAYS": 90,
    "REP_ALERT_RETENTION_DAYS": 395,
    # Seconds between two refreshes of all computed segments (Celery beat).
    "SEGMENT_REFRESH_INTERVAL": 60 * 60,
    # Popups never open on the cart and checkout pages (the commerce adapter names them:
    # ``is_checkout``) unless a campaign allows it; these path prefixes count as such pages
    # too, e.g. ["/payment/"].
    "CHECKOUT_PATHS": [],
    # A popup campaign without a frequency cap opens at most this many times per visitor in
    # its cap period (24 hours unless the campaign says otherwise); None: no default cap.
    "POPUP_DEFAULT_CAP": 1,
    # Seconds a staff preview link ("view as segment / customer") stays valid.
    "PREVIEW_MAX_AGE": 60 * 60,
    # Largest image file a merchant may upload for a banner or popup, in bytes.
    "IMAGE_MAX_BYTES": 2 * 1024 * 1024,
    # Uploaded images wider than this many pixels are shrunk to it (needs Pillow: the
    # ``images`` extra; without it images are stored as uploaded).
    "IMAGE_MAX_WIDTH": 1600,
}

# Settings holding dotted paths that are imported on first access.
IMPORT_STRINGS = {"COMMERCE_ADAPTER", "TEMPERATURE_PROVIDER", "SMS_BACKEND",
                  "WEATHER_PROVIDER"}


class AppSettings:
    """Attribute access to ``settings.PERSONALIZATION`` with defaults.

    Settings are read on first access and dropped on ``setting_changed``, so
    ``override_settings`` and pytest-django's ``settings`` fixture always work. A key that is
    not in :data:`DEFAULTS` is an error (a typo must not silently fall back to a default).
    """

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}
        self._user: dict[str, Any] | None = None

    @property
    def user_settings(self) -> dict[str, Any]:
        if self._user is None:
            value = getattr(settings, SETTING_NAME, {}) or {}
            if not isinstance(value, dict):
                raise ImproperlyConfigured(f"{SETTING_NAME} must be a dict.")
            self._user = value
        return self._user

    def unknown_keys(self) -> list[str]:
        return sorted(set(self.user_settings) - set(DEFAULTS))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in DEFAULTS:
            raise AttributeError(f"Invalid {SETTING_NAME} setting: {name!r}")
        if name in self._cache:
            return self._cache[name]
        unknown = self.unknown_keys()
        if unknown:
            raise ImproperlyConfigured(
                f"Unknown {SETTING_NAME} key(s): {', '.join(unknown)}. "
                f"Valid keys: {', '.join(sorted(DEFAULTS))}."
            )
        value = self.user_settings.get(name, DEFAULTS[name])
        if name in IMPORT_STRINGS and isinstance(value, str):
            try:
                value = import_string(value)
            except ImportError as exc:
                raise ImproperlyConfigured(
                    f"{SETTING_NAME}[{name!r}] = {value!r} cannot be imported: {exc}"
                ) from exc
        self._cache[name] = value
        self.__dict__[name] = value  # later reads are plain attribute lookups
        return value

    def raw(self, name: str) -> Any:
        """The configured value of ``name`` before any dotted-path import."""
        return self.user_settings.get(name, DEFAULTS[name])

    def reload(self) -> None:
        for name in self._cache:
            self.__dict__.pop(name, None)
        self._cache.clear()
        self._user = None


app_settings = AppSettings()

def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting in (SETTING_NAME, "TIME_ZONE", "CACHES"):
        app_settings.reload()


setting_changed.connect(_reload)
