"""Rep SMS alerts through a real Celery worker on Redis, sending to a local Twilio API.

The worker is a separate process (``celery -A tests.worker worker -P solo``) on this test
run's database, cache and queue. Its SMS go over HTTP to a fake Twilio server in this
process, whose ``messages`` list is the outbox every process shares.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from demo_shop.customers.models import Account
from personalization.messaging import alerts
from personalization.models import RepNotification
from tests.demo_shop.helpers import add_to_cart, checkout
from tests.factories import (
    AccountFactory,
    BannerVariantFactory,
    CampaignFactory,
    CustomerProfileFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    SalesRepFactory,
    SlotFactory,
    UserFactory,
)
from tests.workers import wait_for

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"),
                       reason="needs Redis as the Celery broker: none answers on "
                       "127.0.0.1:6379 and REDIS_URL is unset"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def jan():
    rep = SalesRepFactory(name="Pieter Mulder", mobile="+31612345678")
    account = AccountFactory(name="Hoeve De Vries", kind=Account.Kind.B2B, sales_rep=rep)
    user = UserFactory(username="jan", first_name="Jan", last_name="de Vries")
    CustomerProfileFactory(user=user, account=account, customer_group="farm")
    return user


def queue_alert(jan) -> RepNotification:
    order = OrderFactory(user=jan, account=jan.customer_profile.account,
                         total=Decimal("80.00"), placed_by=jan)
    OrderLineFactory(order=order)
    return alerts.queue_rep_alert(order)  # autocommit: enqueued at once


def finished(n: RepNotification) -> Callable[[], bool]:
    def check() -> bool:
        n.refresh_from_db()
        return n.status in ("sent", "failed")
    return check


def test_an_order_through_the_checkout_texts_the_rep_once(client, jan, start_worker, twilio):
    start_worker()
    needles = ProductFactory(name="Injection needles (100)", price=Decimal("14.50"), stock=9)
    client.force_login(jan)
    add_to_cart(client, needles, 2)
    checkout(client)
    n = RepNotification.objects.get()
    wait_for(finished(n), 20)
    time.sleep(0.5)  # a duplicate would arrive now
    assert [(m["to"], m["body"]) for m in twilio.messages] == [("+31612345678", n.body)]
    assert n.body.startswith(f"New order {n.order_reference} from Jan de Vries: 1 line,")
    assert (n.status, n.attempts, n.provider_message_id) == ("sent", 1,
                                                             twilio.messages[0]["sid"])


def test_a_provider_failing_twice_still_sends_one_sms(jan, start_worker, twilio):
    twilio.plan[:] = [("fail", 503), ("fail", 503)]
    start_worker()
    n = queue_alert(jan)
    wait_for(finished(n), 30)
    assert (n.status, n.attempts) == ("sent", 3)
    assert twilio.posts == 3 and len(twilio.messages) == 1


@pytest.mark.parametrize("reached", [True, False], ids=["provider-reached", "not-reached"])
def test_a_worker_killed_while_sending_ends_with_one_sms(jan, start_worker, twilio, reached):
    fast = {"PZ_VISIBILITY_TIMEOUT": "1", "PZ_SMS_SEND_TIMEOUT": "1"}
    twilio.plan[:] = [("hold", reached)]  # the first request hangs, accepted or not
    first = start_worker(**fast)
    n = queue_alert(jan)
    assert twilio.arrived.wait(20), first.log.read_text()
    first.kill()
    twilio.release.set()
    n.refresh_from_db()
    assert (n.status, n.attempts) == ("sending", 1)
    start_worker(**fast)  # gets the unacknowledged message again
    wait_for(finished(n), 30)
    assert n.status == "sent" and len(twilio.messages) == 1
    assert n.provider_message_id == twilio.messages[0]["sid"]
    # Reached: found at the provider, not sent again. Not reached: sent by the new worker.
    assert (twilio.posts, n.attempts) == ((1, 1) if reached else (2, 2))


def test_the_hourly_rollup_runs_on_a_worker_and_the_report_reads_it(start_worker):
    from personalization.jobs.tasks import roll_up_experiments
    from personalization.measurement.experiments import sync_run
    from personalization.measurement.reports import run_report
    from personalization.models import DailyRollup, Event

    slot = SlotFactory(key="hero", name="Hero", kind="banner")
    campaign = CampaignFactory(name="Hero test", slot=slot, status="live",
                               holdout_percent=50, variants=())
    variant = BannerVariantFactory(campaign=campaign, headline="Sale")
    run = sync_run(campaign)
    Event.objects.bulk_create(
        [Event(visitor_id=uuid.uuid4(), type="impression", campaign=campaign,
               control=n % 2 == 0, variant=None if n % 2 == 0 else variant)
         for n in range(40)])
    start_worker()
    roll_up_experiments.delay()
    wait_for(lambda: DailyRollup.objects.filter(run=run).exists(), 60)
    report = run_report(run)
    assert sorted(a.visitors for a in report.arms) == [20, 20]
