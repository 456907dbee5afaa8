"""Periodic housekeeping: retention of personal data and co-purchase counts."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from personalization.jobs.affinities import rebuild_product_affinities
from personalization.models import Event, ProductAffinity, VisitorAlias, VisitorProfile
from personalization.privacy.retention import purge_expired_data
from tests.factories import (
    EventFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    UserFactory,
    VisitorAliasFactory,
    VisitorProfileFactory,
)

pytestmark = pytest.mark.django_db


def test_purge_deletes_only_what_is_past_its_retention(settings):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "EVENT_RETENTION_DAYS": 30,
                                "ANONYMOUS_PROFILE_RETENTION_DAYS": 10}
    now = timezone.now()
    for days in (31, 40, 29):
        EventFactory(visitor_id=uuid.uuid4(), type="impression",
                     created_at=now - timedelta(days=days))
    gone = VisitorProfileFactory(last_seen=now - timedelta(days=11))
    VisitorAliasFactory(alias=uuid.uuid4(), profile=gone)
    recent = VisitorProfileFactory(last_seen=now - timedelta(days=9))
    customer = VisitorProfileFactory(user=UserFactory(),
                                     last_seen=now - timedelta(days=400))
    assert purge_expired_data(now=now) == {"events": 2, "event_months": 0, "profiles": 1,
                                           "rep_alerts": 0}
    assert list(Event.objects.values_list("created_at", flat=True)) == [
        now - timedelta(days=29)]
    assert set(VisitorProfile.objects.all()) == {recent, customer}
    assert not VisitorAlias.objects.exists()


def test_affinities_count_orders_containing_both_products():
    scoop, litter, box, alone = (ProductFactory() for _ in range(4))

    def order(*products, status="placed"):
        o = OrderFactory(user=UserFactory(), status=status)
        for p in products:
            OrderLineFactory(order=o, product=p)

    order(scoop, litter)
    order(scoop, litter, box)
    order(scoop, litter, litter)  # the same product twice in one order counts once
    order(alone)
    order(scoop, box, status="cancelled")  # not a purchase
    assert rebuild_product_affinities() == 6
    pairs = {(a.product_id, a.other_id): a.count for a in ProductAffinity.objects.all()}
    assert pairs == {
        (scoop.pk, litter.pk): 3, (litter.pk, scoop.pk): 3,
        (scoop.pk, box.pk): 1, (box.pk, scoop.pk): 1,
        (litter.pk, box.pk): 1, (box.pk, litter.pk): 1,
    }
    order(box, litter)
    rebuild_product_affinities()
    assert ProductAffinity.objects.get(product_id=box.pk, other_id=litter.pk).count == 2
