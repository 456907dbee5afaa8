"""Helpers for posting admin forms with polymorphic inlines."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from tests.factories import SlotFactory


def ctype(model: Any) -> int:
    return ContentType.objects.get_for_model(model, for_concrete_model=False).pk


def inline_data(prefix: str, rows: list[tuple[Any, dict[str, Any]]],
                initial: int = 0) -> dict[str, Any]:
    """Management form and rows of a polymorphic inline, as the admin's JavaScript posts them."""
    data: dict[str, Any] = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, (model, fields) in enumerate(rows):
        data[f"{prefix}-{i}-polymorphic_ctype"] = str(ctype(model))
        data.setdefault(f"{prefix}-{i}-id", "")
        for name, value in fields.items():
            data[f"{prefix}-{i}-{name}"] = value
    return data


def segment_data(rules: list[tuple[Any, dict[str, Any]]], **fields: Any) -> dict[str, Any]:
    data = {"name": "Dutch mobile visitors", "slug": "dutch-mobile", "description": "",
            "kind": "live", "match": "all", "enabled": "on", **fields}
    data.update(inline_data("rules", rules))
    return data


def campaign_data(slot: Any, variants: list[tuple[Any, dict[str, Any]]],
                  **fields: Any) -> dict[str, Any]:
    data = {"name": "Winter sale", "slot": str(slot.pk), "status": "draft", "priority": "0",
            "starts_at_0": "", "starts_at_1": "", "ends_at_0": "", "ends_at_1": "",
            "hour_start": "", "hour_end": "", "holdout_percent": "0", "cap_impressions": "",
            "cap_period_hours": "24", "waffle_flag": "", "cost": "0",
            "control_weight": "", "decision_metric": "conversion", "goal_event": "",
            "analysis": "sequential", "minimum_effect_percent": "10", "power_percent": "80",
            "planned_visitors": "", "allocation": "fixed", **fields}
    data.update(inline_data("variants", variants))
    return data


@pytest.fixture
def banner_slot():
    return SlotFactory(key="home_hero", name="Home hero", kind="banner")
