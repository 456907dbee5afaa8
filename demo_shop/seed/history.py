"""Eight weeks of measured history, so the admin's reports show figures right after
``make demo``: three concluded experiments with known effects (a clear winner, a flat test,
a broken split), visits against the global holdout, and the weekly KPI snapshots.

The visitors are synthetic (random ids, no customer), their exposures and orders are
written as the app's own events, and the rollups are computed as the hourly task would.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from personalization.conf import app_settings
from personalization.measurement.kpis import take_snapshots, week_start
from personalization.measurement.rollups import roll_up
from personalization.models import BannerVariant, Campaign, Event, ExperimentRun, Slot

WEEKS = 8
PREFIX = "Report demo: "

#: name, slot, holdout %, variants (name, weight, conversion rate, mean order value),
#: share of visitors each variant really got (None: as configured), cost, visitors.
EXPERIMENTS = [
    ("hero headline (clear winner)", "home_hero", 30,
     [("Free delivery over €50", 1, 0.060, 48.0), ("10% off your first order", 1, 0.045, 47.0)],
     None, Decimal("400"), 12_000),
    ("category banner colours (no difference)", "category_banner", 0,
     [("Green banner", 1, 0.050, 35.0), ("Orange banner", 1, 0.050, 35.0)],
     None, Decimal("150"), 6_000),
    ("cart reassurance (broken split)", "cart_message", 0,
     [("Secure payment", 1, 0.070, 52.0), ("Free returns", 1, 0.072, 52.0)],
     [0.56, 0.44], Decimal("100"), 3_000),
]
CONTROL_RATE, CONTROL_VALUE = 0.045, 46.0
RETURNING_SHARE = 0.35
PROGRAM_VISITORS = 60_000  # a 5 % holdout then has enough buyers for a verdict


def seed_history(created: Counter) -> None:
    if Campaign.objects.filter(name__startswith=PREFIX).exists():
        return
    rng = random.Random(20261203)
    start = timezone.now() - timedelta(weeks=WEEKS)
    for name, slot_key, holdout, variants, served, cost, visitors in EXPERIMENTS:
        slot = Slot.objects.filter(key=slot_key).first() or Slot.objects.create(
            key=slot_key, name=slot_key.replace("_", " ").capitalize(), kind="banner")
        campaign = Campaign.objects.create(name=PREFIX + name, slot=slot, status="paused",
                                           holdout_percent=holdout, cost=cost, priority=-10)
        made = [BannerVariant.objects.create(campaign=campaign, name=v, headline=v, weight=w)
                for v, w, _rate, _value in variants]
        run = ExperimentRun.objects.create(
            campaign=campaign, number=1, started_at=start, ended_at=timezone.now(),
            holdout_percent=holdout, weights={str(m.pk): m.weight for m in made})
        arms = [(True, None, CONTROL_RATE, CONTROL_VALUE)] if holdout else []
        arms += [(False, m, rate, value) for m, (_n, _w, rate, value) in zip(
            made, variants, strict=True)]
        shares = ([holdout / 100] if holdout else []) + (
            served or [(1 - holdout / 100) / len(made)] * len(made))
        _visitors(rng, campaign, arms, shares, start, visitors)
        roll_up(run)
        created["report demo campaigns"] += 1
    _program(rng, start)
    this_week = week_start(timezone.localdate())
    for weeks_ago in range(WEEKS, 0, -1):  # the weekly KPI snapshots beat would have taken
        take_snapshots(this_week - timedelta(weeks=weeks_ago))


def _visitors(rng: random.Random, campaign: Campaign, arms: list, shares: list[float],
              start: object, count: int) -> None:
    """Each visitor's first exposure and maybe an order; about a third are returning
    customers with orders before the run, who buy more often and more (the revenue before
    the run that CUPED adjusts for)."""
    rows = []
    for n in range(count):
        control, variant, rate, value = rng.choices(arms, weights=shares)[0]
        vid = uuid.UUID(int=rng.getrandbits(128))
        seen = start + timedelta(minutes=rng.randrange(WEEKS * 7 * 24 * 60 - 60 * 24 * 8))
        habit = 1.0
        if rng.random() < RETURNING_SHARE:
            habit = rng.uniform(1.0, 3.0)
            for k in range(rng.randrange(1, 4)):
                rows.append(Event(visitor_id=vid, type="conversion",
                                  value=Decimal(str(round(rng.gammavariate(4, value * habit / 4),
                                                          2))),
                                  reference=f"H{campaign.pk}-{n}-before-{k}",
                                  created_at=start - timedelta(days=rng.randrange(1, 80))))
        rows.append(Event(visitor_id=vid, type="impression", campaign=campaign,
                          variant=variant, control=control, slot=campaign.slot.key,
                          created_at=seen))
        if rng.random() < rate * (habit if habit > 1 else 0.8):
            order = Decimal(str(round(rng.gammavariate(4, value * habit / 4), 2)))
            rows.append(Event(visitor_id=vid, type="conversion", campaign=campaign,
                              variant=variant, control=control, value=order,
                              reference=f"H{campaign.pk}-{n}",
                              created_at=seen + timedelta(hours=rng.randrange(1, 72))))
    Event.objects.bulk_create(rows, batch_size=2000)


def _program(rng: random.Random, start: object) -> None:
    """Visits of personalized visitors and of the global holdout (the share the demo is
    configured to hold out, GLOBAL_HOLDOUT_PERCENT: another share would be a sample ratio
    mismatch in the program's report), and their orders: the personalized ones convert a
    little more often. The visits go on up to the last hour, so the last whole week's key
    figures count visitors as the weeks before."""
    share = app_settings.GLOBAL_HOLDOUT_PERCENT / 100
    now = timezone.now()
    rows = []
    for n in range(PROGRAM_VISITORS):
        held = rng.random() < share
        vid = uuid.UUID(int=rng.getrandbits(128))
        seen = start + timedelta(minutes=rng.randrange(WEEKS * 7 * 24 * 60 - 60))
        rows.append(Event(visitor_id=vid, type="visit", control=held, created_at=seen))
        if rng.random() < (0.050 if held else 0.066):
            value = Decimal(str(round(rng.gammavariate(4, 11.5), 2)))
            ordered = seen + timedelta(hours=rng.randrange(1, 72))
            if ordered < now:  # the last days' visitors may still order
                rows.append(Event(visitor_id=vid, type="conversion", value=value,
                                  reference=f"P-{n}", created_at=ordered))
    Event.objects.bulk_create(rows, batch_size=2000)
    roll_up(None)
