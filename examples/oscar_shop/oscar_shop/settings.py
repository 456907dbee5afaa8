"""Settings of the django-oscar example shop: Oscar's own, plus django-personalization.

Database and cache from DATABASE_URL / REDIS_URL (PostgreSQL and Redis in the tests and CI),
else SQLite and a local-memory cache.
"""

import os
from pathlib import Path

import dj_database_url
from oscar import INSTALLED_APPS as OSCAR_APPS
from oscar.defaults import *  # noqa: F403

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("SECRET_KEY", "oscar-example-not-secret-" + "x" * 30)
DEBUG = os.environ.get("DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
SITE_ID = 1

INSTALLED_APPS = [
    *OSCAR_APPS,
    "sorl.thumbnail",  # the thumbnailer Oscar's templates use by default
    # django-personalization and what it needs
    "polymorphic",
    "waffle",
    "rest_framework",
    "phonenumber_field",
    "personalization",
    "oscar_shop",
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
    "oscar.apps.basket.middleware.BasketMiddleware",
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
    "waffle.middleware.WaffleMiddleware",
    "personalization.middleware.PersonalizationMiddleware",
]

ROOT_URLCONF = "oscar_shop.urls"

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    # This shop's overrides of Oscar's templates come first.
    "DIRS": [BASE_DIR / "oscar_shop" / "templates"],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.debug",
        "django.template.context_processors.request",
        "django.template.context_processors.i18n",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
        "oscar.apps.search.context_processors.search_form",
        "oscar.apps.checkout.context_processors.checkout",
        "oscar.apps.communication.notifications.context_processors.notifications",
        "oscar.core.context_processors.metadata",
    ]},
}]

AUTHENTICATION_BACKENDS = [
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
]

DATABASES = {"default": dj_database_url.parse(
    os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60)}

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL,
                          "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "oscar")}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Oscar's catalogue pages list products through its search index: Whoosh, a file index.
HAYSTACK_CONNECTIONS = {"default": {
    "ENGINE": "haystack.backends.whoosh_backend.WhooshEngine",
    "PATH": os.environ.get("WHOOSH_PATH") or str(BASE_DIR / "var" / "whoosh_index")}}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nl", "Nederlands")]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / "var" / "media"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
PHONENUMBER_DEFAULT_REGION = "NL"
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

OSCAR_SHOP_NAME = "Oscar example shop"
OSCAR_DEFAULT_CURRENCY = "EUR"
OSCAR_INITIAL_ORDER_STATUS = "Pending"
OSCAR_INITIAL_LINE_STATUS = "Pending"
OSCAR_ORDER_STATUS_PIPELINE = {"Pending": ("Being processed", "Cancelled"),
                               "Being processed": ("Complete", "Cancelled"),
                               "Cancelled": (), "Complete": ()}

# Celery: Redis as broker when REDIS_URL is set, otherwise tasks run in-process.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = not (os.environ.get("CELERY_BROKER_URL") or REDIS_URL) or (
    os.environ.get("CELERY_EAGER", "") == "1")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE

PERSONALIZATION = {
    # Oscar's adapter, with this shop's sales reps (oscar_shop/adapter.py).
    "COMMERCE_ADAPTER": "oscar_shop.adapter.ShopAdapter",
    # The privacy pages inside Oscar's layout.
    "PAGE_TEMPLATE": "oscar/layout.html",
    "SITE_URL": os.environ.get("SITE_URL") or "http://127.0.0.1:8001",
}
OSCAR_ALLOW_ANON_CHECKOUT = True  # guests may check out with an e-mail address
# Oscar's facets, without "Type" (the product class): Whoosh indexes that text field
# stemmed and split into words, so the facet read "pet (4)", "suppli (4)" instead of "Pet
# supplies (4)". This shop has one product class; a shop with several on Solr or
# Elasticsearch keeps Oscar's default.
OSCAR_SEARCH_FACETS = {**OSCAR_SEARCH_FACETS, "fields": {  # noqa: F405
    key: facet for key, facet in OSCAR_SEARCH_FACETS["fields"].items()  # noqa: F405
    if key != "product_class"}}
