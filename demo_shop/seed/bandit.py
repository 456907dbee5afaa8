"""A bandit campaign with three weeks of history: its weights moved day by day as the
hourly update would have moved them, so its report shows the weights over time, why they
moved and what the bandit gained, right after ``make demo``.

The visitors are synthetic (random ids), split day by day by the weights then in force
(and a fixed 10 % holdout); their impressions and orders are written as the app's own
events and rolled up, and the weights are updated by the app's own code.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from personalization.measurement.bandits import update_bandits
from personalization.measurement.experiments import sync_run
from personalization.measurement.rollups import roll_up
from personalization.models import BanditUpdate, BannerVariant, Campaign, Event, Slot

NAME = "Bandit demo: home banner that learns what sells"
DAYS = 21
PER_DAY = 700
HOLDOUT = 10
#: headline, body, conversion rate, mean order value
ARMS = [
    ("Free delivery over €50", "On every order this week.", 0.040, 45.0),
    ("2 for 1 on cat food", "Today only, on every brand.", 0.062, 41.0),
    ("New: organic dog treats", "Made in the Netherlands.", 0.045, 44.0),
]
CONTROL_RATE = 0.038


def seed_bandit(created: Counter, *, learn: bool = True, now: datetime | None = None) -> None:
    """Create the bandit and its history (``learn``: with its daily weight updates; else
    only the figures, for beat's next update to move the weights)."""
    if Campaign.objects.filter(name=NAME).exists():
        return
    now = now or timezone.now()
    rng = random.Random(20261207)
    slot = Slot.objects.filter(key="home_hero").first() or Slot.objects.create(
        key="home_hero", name="Home page hero", kind="banner")
    campaign = Campaign.objects.create(name=NAME, slot=slot, status="draft", priority=-5,
                                       allocation="bandit", holdout_percent=HOLDOUT)
    variants = [BannerVariant.objects.create(campaign=campaign, name=headline,
                                             headline=headline, body=body, link="/")
                for headline, body, _rate, _value in ARMS]
    campaign.status = Campaign.Status.LIVE  # with all its variants: one run
    campaign.save()
    run = sync_run(campaign)
    today = timezone.localtime(now).date()
    start = datetime.combine(today - timedelta(days=DAYS), time(), timezone.get_current_timezone())
    run.started_at = start
    run.save(update_fields=["started_at"])
    BanditUpdate.objects.filter(run=run).update(at=start)
    for day in range(DAYS):
        campaign.refresh_from_db(fields=["bandit_weights"])
        weights = campaign.bandit_weights["weights"]
        _day(rng, campaign, variants, [weights[str(v.pk)] for v in variants],
             start + timedelta(days=day))
        if learn:  # as the hourly update would have, once the day's figures were in
            end = start + timedelta(days=day + 1)
            _analyze_events()
            roll_up(run, now=end)
            update_bandits(now=end)
    roll_up(run)
    created["bandit demo campaigns"] += 1


def _day(rng: random.Random, campaign: Campaign, variants: list[BannerVariant],
         weights: list[float], day: datetime) -> None:
    arms = [(True, None, CONTROL_RATE, 44.0)] + [
        (False, v, rate, value) for v, (_h, _b, rate, value) in zip(variants, ARMS,
                                                                     strict=True)]
    shares = [HOLDOUT / 100] + [(1 - HOLDOUT / 100) * w for w in weights]
    rows = []
    for n in range(PER_DAY):
        control, variant, rate, value = rng.choices(arms, weights=shares)[0]
        vid = uuid.UUID(int=rng.getrandbits(128))
        seen = day + timedelta(minutes=rng.randrange(24 * 60 - 1))
        rows.append(Event(visitor_id=vid, type="impression", campaign=campaign,
                          variant=variant, control=control, slot="home_hero",
                          created_at=seen))
        if rng.random() < rate:
            rows.append(Event(visitor_id=vid, type="conversion", campaign=campaign,
                              variant=variant, control=control,
                              value=Decimal(str(round(rng.gammavariate(4, value / 4), 2))),
                              reference=f"B{campaign.pk}-{day:%j}-{n}",
                              created_at=min(seen + timedelta(minutes=rng.randrange(5, 600)),
                                             day + timedelta(hours=23, minutes=59))))
    Event.objects.bulk_create(rows, batch_size=2000)


def _analyze_events() -> None:
    """Give PostgreSQL's planner the statistics of the rows just written: the seed writes a
    day's events in a second, long before autovacuum would analyze the new partition, and
    without them the roll-up's plan took about 3 s instead of a tenth of one."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE personalization_event")
