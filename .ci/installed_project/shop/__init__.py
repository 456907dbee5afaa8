"""The shop's project package: its Celery app is imported here, as the README says, so the
order's follow-up work (conversion, rep SMS) has an app to run on."""

from .celery import app as celery_app

__all__ = ["celery_app"]
