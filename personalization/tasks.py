"""Celery tasks: thin wrappers around plain functions."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import events, orders

TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
RETRY = {"autoretry_for": TRANSIENT, "retry_backoff": True, "retry_backoff_max": 600,
         "retry_jitter": True, "max_retries": 8, "acks_late": True}


@shared_task(**RETRY)
def record_order(*, user_id: int | None, visitor_id: str | None, value: str,
                 reference: str) -> int:
    return orders.record_order(user_id=user_id, visitor_id=visitor_id, value=value,
                               reference=reference)


@shared_task(**RETRY)
def flush_events() -> int:
    return events.flush_events()
