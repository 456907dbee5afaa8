"""Small builders for personalization objects used across tests."""

from __future__ import annotations

from typing import Any

from personalization.models import (
    BannerVariant,
    Campaign,
    PopupVariant,
    Segment,
    Slot,
)


def slot(key: str = "home_hero", kind: str = "banner") -> Slot:
    return Slot.objects.get_or_create(key=key, defaults={"name": key, "kind": kind})[0]


def segment(slug: str, *rules: Any, match: str = "all", kind: str = "live") -> Segment:
    seg = Segment.objects.create(name=slug.replace("-", " ").title(), slug=slug, match=match,
                                 kind=kind)
    for position, rule in enumerate(rules):
        rule.segment = seg
        rule.position = position
        rule.save()
    return seg


def campaign(slot_obj: Slot, name: str = "Campaign", *, segments: tuple = (),
             variants: tuple[str, ...] = ("A",), weights: tuple[int, ...] | None = None,
             status: str = "live", **fields: Any) -> Campaign:
    c = Campaign.objects.create(name=name, slot=slot_obj, status=status, **fields)
    if segments:
        c.segments.set(segments)
    for i, headline in enumerate(variants):
        weight = weights[i] if weights else 1
        if slot_obj.kind == "popup":
            PopupVariant.objects.create(campaign=c, name=headline, title=headline,
                                        weight=weight)
        else:
            BannerVariant.objects.create(campaign=c, name=headline, headline=headline,
                                         weight=weight)
    return c
