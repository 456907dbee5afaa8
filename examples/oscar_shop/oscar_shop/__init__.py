"""A django-oscar shop with django-personalization: the second real shop of the adapter."""

from .celery import app as celery_app

__all__ = ["celery_app"]
