"""Customer journeys through the fault stack: a journey SMS queued while the broker is
down goes out once when it is back, and one whose worker is killed mid-send goes out once
within two minutes (the relay hands it over again, the provider is asked first)."""

from __future__ import annotations

import threading
import time

import pytest

from personalization.models import JourneyMessage
from tests.faults.conftest import wait_for
from tests.test_journeys_worker import lisa, win_back  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def sent(count: int):
    return lambda: JourneyMessage.objects.filter(status="sent").count() >= count


def test_a_journey_message_queued_while_the_broker_is_down_goes_out_once(stack, twilio,
                                                                         lisa):  # noqa: F811
    win_back()
    stack.worker()
    stack.beat()
    stack.broker.stop()

    scanned = stack.manage("run_journeys")  # what beat's scan does, in its own process
    assert scanned.returncode == 0, scanned.stderr
    assert "We miss you: 1 queued" in scanned.stdout
    message = JourneyMessage.objects.get()
    assert message.status == "queued"
    time.sleep(2)
    assert twilio.messages == []

    stack.broker.start()
    took = wait_for(sent(1), 120, "the journey SMS after the broker's return")
    time.sleep(3)  # a duplicate would arrive now
    assert [(m["to"], m["body"]) for m in twilio.messages] == [
        ("+31687654321", "Hi Lisa, we miss you!")]
    assert took < 120


def test_a_worker_killed_mid_send_of_a_journey_sms_is_followed_by_one(stack, twilio,
                                                                      lisa):  # noqa: F811
    win_back()
    twilio.plan[:] = [("hold", False)]  # the first request hangs and is not accepted
    first = stack.worker(PZ_SMS_SEND_TIMEOUT="5")  # killed well before it gives up
    stack.beat()
    scan = threading.Thread(target=stack.manage, args=("run_journeys",))
    scan.start()
    assert twilio.arrived.wait(30), first.log.read_text()
    first.kill()
    scan.join()
    twilio.release.set()
    message = JourneyMessage.objects.get()
    assert message.status == "sending"

    stack.worker(PZ_SMS_SEND_TIMEOUT="1")  # no fast visibility time-out: the relay acts
    took = wait_for(sent(1), 120, "the journey SMS after the worker died")
    time.sleep(3)
    assert len(twilio.messages) == 1 and took < 120
    message.refresh_from_db()
    assert message.attempts == 2
