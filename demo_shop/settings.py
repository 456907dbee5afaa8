"""Settings of the demo shop.

Embedded defaults need no server: SQLite, a local-memory cache and Celery in eager mode.
``DATABASE_URL`` (e.g. postgres://postgres@127.0.0.1:5432/shop) and ``REDIS_URL``
(e.g. redis://127.0.0.1:6379/0) switch to PostgreSQL and Redis (cache and Celery broker).
"""

import os
from pathlib import Path

import dj_database_url
import django
from django.core.exceptions import ImproperlyConfigured

from personalization import __version__ as PZ_VERSION
from personalization.jobs.schedule import beat_schedule

BASE_DIR = Path(__file__).resolve().parent.parent

PUBLIC_DEMO_KEY = "demo-shop-insecure-key-change-me-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", PUBLIC_DEMO_KEY)
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
if not DEBUG and SECRET_KEY == PUBLIC_DEMO_KEY:
    # Signed cookies (visitor, consent, preview links) would be forgeable by anyone.
    raise ImproperlyConfigured(
        "DJANGO_DEBUG=0 needs DJANGO_SECRET_KEY: the demo's built-in key is public.")
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "polymorphic",
    "waffle",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "phonenumber_field",
    "personalization",
    "demo_shop.catalog",
    "demo_shop.customers",
    "demo_shop.orders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "waffle.middleware.WaffleMiddleware",
    "demo_shop.middleware.DemoCountryMiddleware",  # demo only: ?country=ES
    "demo_shop.middleware.DemoJourneyClockMiddleware",  # demo only: journeys without beat
    "personalization.middleware.PersonalizationMiddleware",
]

ROOT_URLCONF = "demo_shop.urls"
WSGI_APPLICATION = "demo_shop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "demo_shop" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "demo_shop.context_processors.shop",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # A database server that cannot be reached fails a request (and pz_health) in 2 s,
    # not after the operating system's TCP time-out.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 2

# A cache server that hangs or cannot be reached costs a request one second, not minutes
# (personalization.W002 warns about a Redis cache without these).
REDIS_CACHE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "shop"),
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions read from the cache on a warm request (cart, login) and kept in the database;
# Django's cached_db, made to survive a cache that is down (docs/operations.md).
SESSION_ENGINE = "demo_shop.sessions"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nl", "Nederlands")]
# The demo's own Dutch (its templates and apps); the app ships its catalog in its package.
LOCALE_PATHS = [BASE_DIR / "demo_shop" / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "demo_shop" / "static"]
# Uploaded banner and popup images (Django's default storage: files under var/media/,
# served by Django in DEBUG only; a real shop serves them from its web server or S3).
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / "var" / "media"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

PHONENUMBER_DEFAULT_REGION = "NL"

# The personalization API's schema (docs/api.md); Swagger UI from the sidecar, no CDN.
REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
SPECTACULAR_SETTINGS = {
    "TITLE": "django-personalization API",
    "DESCRIPTION": "What each slot shows a visitor, through the same decision path as the "
                   "template tags.",
    "VERSION": PZ_VERSION,
    "SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR", "REDOC_DIST": "SIDECAR",
}

# Journey e-mails go to files under var/mail/ (one per message), to read them in the tour.
# Django 6.1 configures mail with MAILERS (EMAIL_BACKEND is deprecated there).
_MAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND",
                               "django.core.mail.backends.filebased.EmailBackend")
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": _MAIL_BACKEND, "OPTIONS": {
        "file_path": str(BASE_DIR / "var" / "mail")} if _MAIL_BACKEND.endswith(
            "filebased.EmailBackend") else {}}}
else:
    EMAIL_BACKEND = _MAIL_BACKEND
    EMAIL_FILE_PATH = BASE_DIR / "var" / "mail"
DEFAULT_FROM_EMAIL = "Demo shop <shop@example.com>"

# Celery: Redis as broker when REDIS_URL is set, otherwise tasks run eagerly in-process.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = not (os.environ.get("CELERY_BROKER_URL") or REDIS_URL) or (
    os.environ.get("CELERY_EAGER", "") == "1"
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The worker's connection; a checkout's publish waits at most PUBLISH_TIMEOUT (1 s).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TIMEZONE = TIME_ZONE

PERSONALIZATION = {
    "COMMERCE_ADAPTER": "demo_shop.adapter.DemoCommerceAdapter",
    # Links in messages sent with no request to take the host from (journey e-mails, sent
    # by a worker): the address `make demo PORT=...` serves (it sets DEMO_PORT). A message
    # sent while serving a request (the rep's SMS at checkout) uses that request's host.
    "SITE_URL": os.environ.get("SITE_URL")
    or f"http://127.0.0.1:{os.environ.get('DEMO_PORT', '8000')}",
    # The visitor's country, as Cloudflare sends it (the demo's ?country= helper sets it).
    "COUNTRY_HEADER": "CF-IPCountry",
    # Demo: typical temperatures per country, for the weather popups (docs/demo-tour.md).
    "TEMPERATURE_PROVIDER": "personalization.engine.providers.table_temperature",
    # 5 % of visitors see no personalization anywhere: the program report's control group.
    # The personas are seeded outside it; a new anonymous browser is in it 1 time in 20,
    # and the persona bar says so.
    "GLOBAL_HOLDOUT_PERCENT": int(os.environ.get("PZ_GLOBAL_HOLDOUT_PERCENT", "5")),
}

# Periodic tasks for `celery -A demo_shop beat` (static schedule; see docs/async.md).
CELERY_BEAT_SCHEDULE = beat_schedule(PERSONALIZATION.get("SEGMENT_REFRESH_INTERVAL"),
                                     PERSONALIZATION.get("EVENT_FLUSH_MAX_DELAY"),
                                     bandit_interval=PERSONALIZATION.get(
                                         "BANDIT_UPDATE_INTERVAL"))

# Demo only: with eager Celery (no beat), the journeys' scan runs after a request at most
# once a minute (demo_shop.middleware.DemoJourneyClockMiddleware); 0 turns it off.
DEMO_JOURNEY_CLOCK = int(os.environ.get("DEMO_JOURNEY_CLOCK", "60"))

# Demo only: a bar on every page to browse as one of the seeded personas. It logs anyone in
# as a persona, so it runs only with DEBUG on (demo_shop.customers.personas.switcher_enabled).
DEMO_PERSONA_SWITCHER = os.environ.get("DEMO_PERSONA_SWITCHER", "1" if DEBUG else "0") == "1"
SHOP_NAME = "Dierenwinkel & Co."
# Demo only: ?country=ES on any page pretends the visitor is in Spain (a cookie keeps it).
DEMO_COUNTRY_HELPER = os.environ.get("DEMO_COUNTRY_HELPER", "1") == "1"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"personalization": {"handlers": ["console"], "level": "INFO"}},
}
