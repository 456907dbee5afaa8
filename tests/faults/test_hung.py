"""A broker or a cache that hangs (the process stopped with SIGSTOP: connections open, no
answer) holds no request longer than its bound, and `pz_health` answers within 3 s; the
work of the checkouts made meanwhile is done once when it wakes up."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest

from demo_shop.orders.models import Order
from personalization.models import OutboxMessage, RepNotification
from personalization.testing import consent_cookie
from tests.factories import ProductFactory
from tests.faults.conftest import Shopper, Stack, all_sent, b2b_customers, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

#: A request that has to give up on a hung part: PUBLISH_TIMEOUT or the cache's socket
#: time-out (1 s), plus the page itself on a busy test machine.
BOUND = 2.5
#: pz_health's answer (DEADLINE 2.5 s), on top of starting the management command.
HEALTH_BOUND = 3.0


def timed(call, *args, **kwargs):
    start = time.monotonic()
    result = call(*args, **kwargs)
    return time.monotonic() - start, result


def health(stack: Stack) -> tuple[float, dict[str, dict]]:
    took, done = timed(stack.manage, "pz_health", "--json")
    return took, {c["name"]: c for c in json.loads(done.stdout)}


def test_a_hung_broker_holds_no_checkout_and_the_sms_go_out_once_when_it_wakes(stack,
                                                                               twilio):
    farmers = b2b_customers(3)
    needles = ProductFactory(name="Injection needles", price=Decimal("14.50"), stock=50)
    stack.web()
    stack.worker()
    stack.beat()
    shoppers = [Shopper(stack.url) for _ in farmers]
    for shopper, farmer in zip(shoppers, farmers, strict=True):
        shopper.log_in(farmer)
    shoppers[0].buy(needles.pk)  # the web process now holds an open broker connection
    wait_for(all_sent(1), 60, "the first SMS")
    started, _ = health(stack)
    assert _["broker"]["ok"]

    stack.broker.hang()
    for shopper in shoppers[1:]:
        shopper.post("/cart/add/", {"product_id": needles.pk, "quantity": 1})
        took, placed = timed(shopper.post, "/checkout/", {
            "name": "Jan de Vries", "email": "jan@example.com", "address": "Dorpsstraat 1",
            "discount_code": "", "action": "place"})
        assert placed.status_code == 200 and "Thank you for your order" in placed.text
        assert took < BOUND, f"a checkout waited {took:.1f} s on the hung broker"
    took, checks = health(stack)
    assert took < started + HEALTH_BOUND, f"pz_health took {took:.1f} s"
    assert not checks["broker"]["ok"] and not checks["workers"]["ok"]
    assert checks["database"]["ok"] and checks["cache"]["ok"]
    assert Order.objects.count() == 3 and RepNotification.objects.count() == 3

    stack.broker.resume()
    wait_for(all_sent(3), 120, "the SMS of the orders placed while the broker hung")
    wait_for(lambda: not OutboxMessage.objects.filter(done_at=None).exists(), 60,
             "the conversions")
    time.sleep(3)  # a duplicate would arrive now
    references = sorted(m["body"].split()[2] for m in twilio.messages)
    assert len(references) == 3 and len(set(references)) == 3


def test_a_hung_cache_holds_no_page_longer_than_its_bound(stack):
    needles = ProductFactory(name="Injection needles", slug="needles", stock=50)
    stack.web()
    stack.worker()
    stack.beat()
    shopper = Shopper(stack.url)
    shopper.session.cookies.set("pz_consent", consent_cookie())
    assert shopper.session.get(stack.url + "/", timeout=30).status_code == 200
    started, _ = health(stack)

    stack.cache.hang()
    paths = ["/", f"/c/{needles.category.slug}/", "/p/needles/", "/search/?q=needles",
             "/cart/"]
    for path in paths * 2:  # the second round: once the process knows the cache hangs
        took, response = timed(shopper.session.get, stack.url + path, timeout=30)
        assert response.status_code == 200, (path, response.text[:300])
        assert took < BOUND, f"{path} waited {took:.1f} s on the hung cache"
    shopper.post("/cart/add/", {"product_id": needles.pk, "quantity": 2})
    time.sleep(6)  # the checkout is the first request to find the cache hanging again
    took, placed = timed(shopper.post, "/checkout/", {
        "name": "Jan de Vries", "email": "jan@example.com", "address": "Dorpsstraat 1",
        "discount_code": "", "action": "place"})
    assert placed.status_code == 200 and "Thank you for your order" in placed.text
    assert took < BOUND
    took, checks = health(stack)
    assert took < started + HEALTH_BOUND, f"pz_health took {took:.1f} s"
    assert not checks["cache"]["ok"] and checks["database"]["ok"] and checks["broker"]["ok"]

    assert Order.objects.get().lines.get().quantity == 2

    stack.cache.resume()
    time.sleep(6)  # the web process tries the cache again after 5 s
    took, response = timed(shopper.session.get, stack.url + "/", timeout=30)
    assert response.status_code == 200 and took < BOUND
