"""How many known customers a segment matches now, estimated off the request path (a
Celery task after the segment is saved, and with every scheduled refresh).

A computed segment's reach is its membership. A live segment's is worked out with the same
set-based rules the computed refresh uses, over every known customer: rules that read the
visit itself (page, device, cart, UTM…) cannot be known in advance, so with "all rules"
the count of the others is an upper bound, and with "any rule" the reach is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from personalization.engine.sets import CustomerSet
from personalization.models import Segment


@dataclass(frozen=True)
class Reach:
    customers: int | None  # None: it depends on the visit
    of: int
    depends_on_visit: bool


def estimate(segment: Segment) -> Reach:
    sets = CustomerSet(now=timezone.now())
    total = sets.customers().count()
    rules = list(segment.rules.all())
    if not segment.enabled or not rules:
        return Reach(0, total, False)
    if segment.kind == Segment.Kind.COMPUTED and segment.member_count is not None:
        return Reach(segment.member_count, total, False)
    parts: list[Q] = []
    for rule in rules:
        if rule.__class__.__name__ == "InSegmentRule":
            try:
                q = sets.segment_filter(rule.other_id, frozenset({segment.pk}))
            except ValueError:  # the other segment depends on the visit
                q = None
        else:
            q = rule.customer_filter(sets)
        if q is not None and rule.negate:
            q = ~q
        parts.append(q)
    known = [q for q in parts if q is not None]
    depends = len(known) < len(parts)
    if segment.match == Segment.Match.ANY:
        if depends:
            return Reach(None, total, True)
        combined = known[0]
        for q in known[1:]:
            combined |= q
    else:
        if not known:
            return Reach(None, total, True)
        combined = known[0]
        for q in known[1:]:
            combined &= q
    count = sets.customers().filter(combined).values("pk").distinct().count()
    return Reach(count, total, depends)


def segment_ids() -> list[int]:
    return list(Segment.objects.order_by("pk").values_list("pk", flat=True))


def estimate_reach(segment_id: int) -> dict[str, int | None]:
    """Estimate and store the segment's reach; returns it."""
    segment = Segment.objects.filter(pk=segment_id).first()
    if segment is None:
        return {"customers": None, "of": 0}
    reach = estimate(segment)
    Segment.objects.filter(pk=segment_id).update(
        reach=reach.customers, reach_of=reach.of, reach_depends_on_visit=reach.depends_on_visit,
        reach_estimated_at=timezone.now())
    return {"customers": reach.customers, "of": reach.of}


def describe(segment: Segment) -> str:
    """The reach in words, for the admin."""
    from django.utils.translation import gettext

    if segment.reach_estimated_at is None:
        return gettext("not estimated yet")
    if segment.reach is None:
        return gettext("depends on the visit (page, device, cart…), unknown in advance")
    text = gettext("%(n)s of %(of)s known customers") % {"n": segment.reach,
                                                          "of": segment.reach_of or 0}
    if segment.reach_depends_on_visit:
        text = gettext("at most %(text)s, narrowed by the visit") % {"text": text}
    return text
