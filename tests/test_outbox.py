"""The outbox: work written in the caller's transaction, handed over after commit, relayed
when the broker missed it, run once however often it is delivered."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from personalization.jobs import outbox
from personalization.models import Event, OutboxMessage
from tests.factories import OutboxMessageFactory

pytestmark = pytest.mark.django_db

RECORD = "personalization.measurement.orders.record_order"


def order_kwargs(reference="DS-1"):
    return {"user_id": None, "visitor_id": "0b7c1f0e-8c1e-4d55-9f11-3f8f1d7f0a01",
            "value": "12.50", "reference": reference, "allowed": ["analytics"]}


def test_nothing_is_handed_over_before_commit_and_a_rollback_leaves_nothing(
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            outbox.post(RECORD, order_kwargs())
    assert OutboxMessage.objects.get().published_at is None and len(callbacks) == 1

    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.post(RECORD, order_kwargs("DS-2"))
        raise RuntimeError("the order failed")
    assert OutboxMessage.objects.count() == 1  # the order's work went with the order


def test_after_commit_it_runs_once_and_a_second_delivery_does_nothing(
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox.post(RECORD, order_kwargs())
    message.refresh_from_db()
    assert message.done_at is not None and message.publish_count == 1
    assert Event.objects.filter(type="conversion", reference="DS-1").count() == 1
    assert outbox.run(message.pk) == "done"  # the broker delivered it twice
    assert Event.objects.filter(type="conversion", reference="DS-1").count() == 1


def test_the_relay_hands_over_what_was_never_published_or_stalled_and_prunes_old_ones():
    now = timezone.now()
    never = OutboxMessageFactory(function=RECORD, kwargs=order_kwargs("A"),
                                 available_at=now)
    stalled = OutboxMessageFactory(function=RECORD, kwargs=order_kwargs("B"),
                                   published_at=now - timedelta(minutes=5),
                                   publish_count=1)
    fresh = OutboxMessageFactory(function=RECORD, kwargs=order_kwargs("C"),
                                 published_at=now - timedelta(seconds=5),
                                 publish_count=1)
    later = OutboxMessageFactory(function=RECORD, kwargs=order_kwargs("D"),
                                 available_at=now + timedelta(hours=1))
    old = OutboxMessageFactory(function=RECORD, kwargs=order_kwargs("E"),
                               done_at=now - timedelta(days=8))
    result = outbox.relay(now + timedelta(seconds=1))  # (rows above are available from now)
    assert result["published"] == 2 and result["deleted"] == 1
    done = set(OutboxMessage.objects.exclude(done_at=None).values_list("pk", flat=True))
    assert done == {never.pk, stalled.pk}
    assert not OutboxMessage.objects.filter(pk=old.pk).exists()
    assert {fresh.pk, later.pk}.isdisjoint(done)
    assert set(Event.objects.filter(type="conversion").values_list("reference", flat=True)) \
        == {"A", "B"}
    assert Event.objects.get(reference="A").value == Decimal("12.50")
