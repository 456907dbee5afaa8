"""Journey SMS through a real Celery worker on Redis, sent to a local Twilio API: each
message once, whether the task is delivered twice, the worker is killed mid-send, or the
message is due in quiet hours."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from personalization.jobs.tasks import send_journey_message
from personalization.journeys.scan import scan
from personalization.models import Journey, JourneyMessage
from tests.factories import (
    ConsentRecordFactory,
    CustomerProfileFactory,
    JourneyFactory,
    OrderFactory,
    UserFactory,
)
from tests.test_worker import pytestmark as worker_marks
from tests.workers import wait_for

pytestmark = worker_marks


def win_back(**fields) -> Journey:
    return JourneyFactory(name="We miss you", enabled=True, trigger="lapsed",
                          lapsed_days=30, min_orders=1, channel="sms",
                          holdout_percent=0, body="Hi {{ first_name }}, we miss you!",
                          **fields)


@pytest.fixture
def lisa():
    user = UserFactory(username="lisa", first_name="Lisa")
    CustomerProfileFactory(user=user, mobile="+31687654321")
    OrderFactory(user=user, created_at=timezone.now() - timedelta(days=90))
    ConsentRecordFactory(user=user, purpose="marketing", granted=True,
                         policy_version="1", source="signup", subject="lisa")
    return user


def done(message: JourneyMessage):
    def check() -> bool:
        message.refresh_from_db()
        return message.status in ("sent", "failed")
    return check


def test_a_task_delivered_twice_sends_one_sms(lisa, start_worker, twilio):
    start_worker()
    win_back()
    scan()  # enqueues it once …
    message = JourneyMessage.objects.get()
    send_journey_message.delay(message.pk)  # … and a duplicate delivery
    wait_for(done(message), 20)
    time.sleep(1)  # the duplicate is consumed by now
    assert [(m["to"], m["body"]) for m in twilio.messages] == [
        ("+31687654321", "Hi Lisa, we miss you!")]
    assert (message.status, message.attempts, message.provider_message_id) == (
        "sent", 1, twilio.messages[0]["sid"])


@pytest.mark.parametrize("reached", [True, False], ids=["provider-reached", "not-reached"])
def test_a_worker_killed_while_sending_ends_with_one_sms(lisa, start_worker, twilio, reached):
    fast = {"PZ_VISIBILITY_TIMEOUT": "1", "PZ_SMS_SEND_TIMEOUT": "1"}
    twilio.plan[:] = [("hold", reached)]  # the first request hangs, accepted or not
    first = start_worker(**fast)
    win_back()
    scan()
    message = JourneyMessage.objects.get()
    assert twilio.arrived.wait(20), first.log.read_text()
    first.kill()
    twilio.release.set()
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sending", 1)
    start_worker(**fast)  # gets the unacknowledged task again
    wait_for(done(message), 30)
    assert message.status == "sent" and len(twilio.messages) == 1
    assert (twilio.posts, message.attempts) == ((1, 1) if reached else (2, 2))


def test_a_message_due_in_quiet_hours_goes_out_when_they_end(lisa, start_worker, twilio):
    start_worker()
    now = timezone.localtime()
    end = (now + timedelta(seconds=4)).time()
    win_back(quiet_hours_start=(now - timedelta(hours=1)).time(), quiet_hours_end=end)
    scan()
    message = JourneyMessage.objects.get()
    assert message.send_after > timezone.now()
    time.sleep(1.5)
    assert twilio.messages == []  # still quiet
    wait_for(done(message), 20)
    assert message.status == "sent" and message.sent_at >= message.send_after
    assert len(twilio.messages) == 1
