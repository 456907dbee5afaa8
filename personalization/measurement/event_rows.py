"""The rows of events: how an event is written into the buffer and read back, and written
to the database at once when a client is told it was accepted."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime


def event_row(*, visitor_id: str, type: str, user_id: int | None = None, slot: str = "",
              campaign_id: int | None = None, variant_id: int | None = None,
              control: bool = False, value: Decimal | None = None,
              reference: str = "", created_at: str = "") -> dict[str, Any]:
    return {
        "visitor_id": str(visitor_id), "user_id": user_id, "type": type, "slot": slot,
        "campaign_id": campaign_id, "variant_id": variant_id, "control": control,
        "value": str(value) if value is not None else None, "reference": reference,
        "created_at": created_at or timezone.now().isoformat(),
    }


def existing_refs(events: list) -> list:
    """Drop references to campaigns, variants or users deleted while the event waited."""
    from django.contrib.auth import get_user_model

    from personalization.models import Campaign, ContentVariant

    for attr, model in (("campaign_id", Campaign), ("variant_id", ContentVariant),
                        ("user_id", get_user_model())):
        ids = {getattr(e, attr) for e in events} - {None}
        if not ids:
            continue
        known = set(model._base_manager.filter(pk__in=ids).values_list("pk", flat=True))
        for event in events:
            if getattr(event, attr) not in known:
                setattr(event, attr, None)
    return events


def to_event(row: dict[str, Any]):
    from personalization.models import Event

    return Event(
        visitor_id=uuid.UUID(row["visitor_id"]), user_id=row.get("user_id"), type=row["type"],
        slot=row.get("slot", ""), campaign_id=row.get("campaign_id"),
        variant_id=row.get("variant_id"), control=bool(row.get("control")),
        value=Decimal(row["value"]) if row.get("value") is not None else None,
        reference=row.get("reference", ""), created_at=parse_datetime(row["created_at"]),
    )


def record_events(rows: list[dict[str, Any]]) -> int:
    """Write rows (see :func:`event_row`) to the database now, in one INSERT; returns how
    many. A campaign, variant or customer deleted since the request began (the RuleBook
    still named it) is dropped from the rows, as a flush does, rather than failing."""
    from personalization.models import Event

    if not rows:
        return 0
    outer = connection.in_atomic_block
    try:
        with transaction.atomic():  # a savepoint inside a request's transaction
            Event.objects.bulk_create([to_event(r) for r in rows])
            if outer:  # foreign keys are checked at commit, which is not ours: now
                connection.check_constraints(table_names=[Event._meta.db_table])
    except IntegrityError:
        Event.objects.bulk_create(existing_refs([to_event(r) for r in rows]))
    return len(rows)
