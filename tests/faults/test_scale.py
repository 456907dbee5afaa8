"""Two web processes and two Celery workers on one PostgreSQL and one Redis, as a shop
scales out (docs/scaling.md): a campaign changed through one web process is decided the
new way by the other on its next request, and orders placed through both send every rep
SMS exactly once."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
import requests

from personalization.models import RepNotification
from tests.factories import CampaignFactory, ProductFactory, SlotFactory, UserFactory
from tests.faults.conftest import Shopper, all_sent, b2b_customers, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def hero(base: str) -> int | None:
    """The campaign a new visitor of ``base`` is shown in the hero slot."""
    answer = requests.get(base + "/pz/api/decisions/", params={"slot": "hero"}, timeout=30)
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()["decisions"][0]["campaign"]


def test_two_web_processes_and_two_workers_share_one_rulebook_and_send_each_sms_once(
        stack, twilio):
    farmers = b2b_customers(4)
    needles = ProductFactory(name="Injection needles", price=Decimal("14.50"), stock=100)
    slot = SlotFactory(key="hero", name="Hero")
    spring = CampaignFactory(name="Spring", slot=slot, priority=20, variants=("Spring",))
    summer = CampaignFactory(name="Summer", slot=slot, priority=10, variants=("Summer",))
    UserFactory(username="merchant", is_staff=True, is_superuser=True)
    one, two = stack.web(), stack.web()
    stack.worker()
    stack.worker()
    assert hero(one.url) == spring.pk and hero(two.url) == spring.pk  # both hold a RuleBook

    # The merchant pauses "Spring" through web process one ...
    merchant = Shopper(one.url)
    merchant.log_in("merchant")
    paused = merchant.session.patch(
        f"{one.url}/pz/api/campaigns/{spring.pk}/", json={"status": "paused"},
        headers={"X-CSRFToken": merchant.session.cookies["csrftoken"]}, timeout=30)
    assert paused.status_code == 200, paused.text[:300]
    # ... and web process two decides the new way on its very next request (the RuleBook
    # version moved in Redis when the change committed: docs/architecture.md).
    assert hero(two.url) == summer.pk
    assert hero(one.url) == summer.pk

    # Orders through both web processes, in turn; both workers take the SMS tasks.
    shoppers = []
    for n in range(8):
        shopper = Shopper((one, two)[n % 2].url)
        shopper.log_in(farmers[n % 4])
        shoppers.append(shopper)
    for shopper in shoppers:
        answer = shopper.buy(needles.pk)
        assert answer.status_code == 200 and "Thank you for your order" in answer.text
    wait_for(all_sent(8), 60, "8 SMS")
    time.sleep(2)  # a duplicate would arrive now
    references = [message["body"].split()[2] for message in twilio.messages]
    assert len(references) == 8 and len(set(references)) == 8
    assert RepNotification.objects.filter(status="sent").count() == 8
