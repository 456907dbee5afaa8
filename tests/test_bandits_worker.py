"""End to end: the demo's bandit (seeded history) on a real worker running beat: beat's
update moves its weights, and its report shows them moved and says why."""

from __future__ import annotations

import os
from collections import Counter

import pytest

from personalization.models import BanditUpdate, Campaign
from tests.workers import wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"),
                       reason="needs Redis as the Celery broker: none answers on "
                       "127.0.0.1:6379 and REDIS_URL is unset"),
    pytest.mark.django_db(transaction=True),
]


def test_beat_moves_the_demo_bandits_weights_and_its_report_shows_them(start_worker,
                                                                       admin_client):
    from demo_shop.seed.bandit import NAME, seed_bandit

    seed_bandit(Counter(), learn=False)  # three weeks of figures, weights still equal
    campaign = Campaign.objects.get(name=NAME)
    run = campaign.runs.get()
    assert set(campaign.bandit_weights["weights"].values()) == {1 / 3}
    start_worker(PZ_WORKER_BEAT="1")  # beat sends the update every second

    def moved() -> bool:
        return BanditUpdate.objects.filter(run=run, phase="learning").exists()

    wait_for(moved, 60, "beat's bandit update")
    campaign.refresh_from_db()
    weights = sorted(campaign.bandit_weights["weights"].values())
    assert weights[-1] > 0.6  # "2 for 1 on cat food" converts best
    html = admin_client.get(f"/admin/personalization/campaign/{campaign.pk}/report/"
                            ).content.decode()
    assert "“2 for 1 on cat food” has a" in html and "chance to be best on conversion " \
        "rate" in html
    assert html.count("<polyline") >= 3
