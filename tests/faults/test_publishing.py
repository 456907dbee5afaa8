"""A task handed to a broker that hangs: the publish gives up within PUBLISH_TIMEOUT, the
next ones in this process do not wait at all for a few seconds, and once the broker answers
again publishing works again. Celery's defaults would wait as long as the broker hangs."""

from __future__ import annotations

import time

import pytest
from celery import Celery

from personalization import cache as pz_cache
from personalization.jobs.publishing import publish
from tests.faults.conftest import REDIS, RedisServer

pytestmark = [pytest.mark.faults,
              pytest.mark.skipif(REDIS is None, reason="needs redis-server")]


def timed(call, *args):
    start = time.monotonic()
    result = call(*args)
    return time.monotonic() - start, result


def test_a_hung_broker_costs_one_bounded_wait(tmp_path, settings):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "PUBLISH_TIMEOUT": 0.5}
    broker = RedisServer(tmp_path / "broker.log")
    app = Celery("pz-publish-test", broker=broker.url)  # no time-outs configured

    @app.task(name="pz.test.noop")
    def noop() -> None:
        """Never run: only published."""

    pz_cache.reset()
    try:
        assert publish(noop)  # the process now holds an open connection
        broker.hang()
        took, handover = timed(publish, noop)
        assert not handover and "Timeout" in handover.error
        assert took < 1.0, f"the publish waited {took:.1f} s on the hung broker"
        took, again = timed(publish, noop)
        assert not again and took < 0.05  # not tried again for a few seconds
        broker.resume()
        pz_cache.reset()  # (instead of waiting 5 s)
        assert publish(noop)
    finally:
        pz_cache.reset()
        broker.stop()
