"""A stopped or restarted broker and a killed worker lose no rep SMS and no conversion, and
never send one twice: the outbox rows are written with the order, the relay (beat) hands
over what the broker missed."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from personalization.models import OutboxMessage, RepNotification
from tests.factories import ProductFactory
from tests.faults.conftest import Shopper, all_sent, b2b_customers, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def test_broker_down_at_checkout_the_sms_goes_out_once_when_it_is_back(stack, twilio):
    (farmer,) = b2b_customers(1)
    needles = ProductFactory(name="Injection needles", price=Decimal("14.50"), stock=50)
    stack.web()
    stack.worker()
    stack.beat()
    stack.broker.stop()

    shopper = Shopper(stack.url)
    shopper.log_in(farmer)
    response = shopper.buy(needles.pk, 2)
    assert response.status_code == 200 and "Thank you for your order" in response.text

    # Written with the order, waiting: the SMS row and the conversion to record.
    notification = RepNotification.objects.get()
    assert notification.status == "queued"
    conversion = OutboxMessage.objects.get()
    assert conversion.done_at is None and "publish" in conversion.last_error
    time.sleep(2)
    assert twilio.messages == []
    down = stack.manage("pz_health")
    assert down.returncode == 1 and "DOWN broker" in down.stdout, down.stdout + down.stderr

    stack.broker.start()
    took = wait_for(all_sent(1), 120, "the SMS after the broker's return")
    wait_for(lambda: OutboxMessage.objects.get().done_at is not None, 60, "the conversion")
    time.sleep(3)  # a duplicate would arrive now
    assert len(twilio.messages) == 1 and took < 120
    assert twilio.messages[0]["body"].startswith(
        f"New order {notification.order_reference} from Jan Boer0")
    up = stack.manage("pz_health")
    assert up.returncode == 0 and "ok   workers" in up.stdout, up.stdout + up.stderr


def test_a_broker_restart_during_50_checkouts_loses_no_sms_and_sends_none_twice(stack,
                                                                                 twilio):
    farmers = b2b_customers(10)
    needles = ProductFactory(name="Injection needles", price=Decimal("14.50"), stock=500)
    stack.web()
    stack.worker()
    stack.beat()
    shoppers = []
    for farmer in farmers:
        for _ in range(5):
            shopper = Shopper(stack.url)
            shopper.log_in(farmer)
            shoppers.append(shopper)

    def restart() -> None:
        time.sleep(0.5)
        stack.broker.stop()
        time.sleep(2)
        stack.broker.start()

    restarter = threading.Thread(target=restart)
    restarter.start()
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda s: s.buy(needles.pk), shoppers))
    restarter.join()
    assert [r.status_code for r in answers] == [200] * 50
    assert all("Thank you for your order" in r.text for r in answers)

    wait_for(all_sent(50), 120, "50 SMS")
    wait_for(lambda: not OutboxMessage.objects.filter(done_at=None).exists(), 60,
             "50 conversions")
    time.sleep(3)
    references = sorted(m["body"].split()[2] for m in twilio.messages)
    assert len(references) == 50 and len(set(references)) == 50
    assert RepNotification.objects.count() == 50


def test_a_worker_killed_mid_send_is_followed_by_one_sms_within_two_minutes(stack, twilio):
    (farmer,) = b2b_customers(1)
    needles = ProductFactory(name="Injection needles", price=Decimal("14.50"), stock=50)
    twilio.plan[:] = [("hold", False)]  # the first request hangs and is not accepted
    stack.web()
    first = stack.worker(PZ_SMS_SEND_TIMEOUT="1")
    stack.beat()
    shopper = Shopper(stack.url)
    shopper.log_in(farmer)
    shopper.buy(needles.pk)
    assert twilio.arrived.wait(30), first.log.read_text()
    first.kill()
    twilio.release.set()
    assert RepNotification.objects.get().status == "sending"

    stack.worker(PZ_SMS_SEND_TIMEOUT="1")  # no fast visibility time-out: the relay acts
    took = wait_for(all_sent(1), 120, "the SMS after the worker died")
    time.sleep(3)
    assert len(twilio.messages) == 1 and took < 120
    assert RepNotification.objects.get().attempts == 2
