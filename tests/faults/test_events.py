"""Events the API answered 202 for survive a restart of the cache's Redis, run without
persistence as many shops run it: a clean shutdown and a kill -9, with events waiting."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest

from personalization.models import Event
from personalization.testing import consent_cookie
from tests.faults.conftest import Shopper, Stack

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def send(shopper: Shopper, values: range) -> int:
    """One custom event per value, a batch of five at a time; returns how many the API
    said it recorded."""
    recorded = 0
    for start in range(values.start, values.stop, 5):
        batch = [{"type": "custom", "name": "newsletter_signup", "value": str(n)}
                 for n in range(start, min(start + 5, values.stop))]
        answer = shopper.post("/pz/api/events/", {"events": json.dumps(batch)})
        assert answer.status_code == 202, answer.text[:300]
        recorded += answer.json()["recorded"]
    return recorded


def restart(stack: Stack, how: str) -> None:
    if how == "shutdown":
        stack.cache.shut_down()
    else:
        stack.cache.stop()  # SIGKILL
    stack.cache.start()


@pytest.mark.parametrize("how", ["shutdown", "kill"])
def test_events_accepted_before_a_redis_restart_are_all_recorded_once(stack, how):
    stack.web()
    stack.worker()  # no beat yet: nothing flushes the buffer on a timer before the restart
    shopper = Shopper(stack.url)
    shopper.session.cookies.set("pz_consent", consent_cookie())
    assert shopper.session.get(stack.url + "/", timeout=30).status_code == 200

    accepted = send(shopper, range(1, 31))
    assert accepted == 30
    restart(stack, how)
    time.sleep(6)  # the web process tries the cache again after 5 s
    accepted += send(shopper, range(31, 41))
    stack.beat()  # flushes whatever the buffer holds, every 2 s
    time.sleep(5)

    values = sorted(Event.objects.filter(type="custom").values_list("value", flat=True))
    assert accepted == 40
    assert values == [Decimal(n) for n in range(1, 41)]  # every one, none twice
