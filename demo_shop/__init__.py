"""The demo shop: a small real shop on which every personalization feature is shown."""

from .celery import app as celery_app

__all__ = ["celery_app"]
