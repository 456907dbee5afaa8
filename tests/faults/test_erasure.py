"""A customer who orders while the broker is down and then erases his data: when the
broker is back the outbox runs, and nothing of his is re-created (no conversion, no
profile), his rep's SMS goes out once without his name, and no row keeps his ids."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from personalization.models import Event, OutboxMessage, RepNotification, VisitorProfile
from personalization.testing import consent_cookie
from tests.factories import ProductFactory
from tests.faults.conftest import Shopper, all_sent, b2b_customers, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def test_an_erasure_during_a_broker_outage_is_not_undone_when_the_outbox_runs(stack, twilio):
    (farmer,) = b2b_customers(1)
    user = get_user_model().objects.get(username=farmer)
    needles = ProductFactory(name="Injection needles", price=Decimal("14.50"), stock=50)
    stack.web()
    stack.worker()
    stack.beat()
    stack.broker.stop()

    shopper = Shopper(stack.url)
    shopper.log_in(farmer)
    shopper.session.cookies.set("pz_consent", consent_cookie(user=user))
    assert shopper.session.get(stack.url + "/", timeout=30).status_code == 200
    placed = shopper.buy(needles.pk, 2)
    assert placed.status_code == 200 and "Thank you for your order" in placed.text
    waiting = OutboxMessage.objects.get()
    assert waiting.done_at is None and waiting.kwargs["user_id"] == user.pk

    erased = shopper.session.delete(
        stack.url + "/pz/api/me/", json={"confirm": True}, timeout=30,
        headers={"X-CSRFToken": shopper.session.cookies["csrftoken"]})
    assert erased.status_code == 200, erased.text[:300]
    assert erased.json()["erased"]["pending_work_cancelled"] == 1

    stack.broker.start()
    wait_for(all_sent(1), 120, "the rep's SMS after the broker's return")
    time.sleep(6)  # the relay (every 2 s) and a duplicate delivery would have run by now
    assert len(twilio.messages) == 1
    assert "Boer0" not in twilio.messages[0]["body"]
    assert RepNotification.objects.get().customer_name == ""
    assert not VisitorProfile.objects.filter(user=user).exists()
    assert not Event.objects.filter(user=user).exists()
    assert not Event.objects.filter(type="conversion").exists()
    assert list(OutboxMessage.objects.values_list("kwargs", flat=True)) == [{}]
    assert not OutboxMessage.objects.filter(done_at=None).exists()
