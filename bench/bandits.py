"""Bandits at scale on PostgreSQL: the weight update of many bandit campaigns, and what a
bandit's decision costs against a fixed split's.

``python -m bench bandits [N]`` (``DATABASE_URL`` must point at PostgreSQL): a fresh
database ``<name>_bandit_bench`` gets N live bandit campaigns (three variants each, one
with a holdout in four, one in five learning per audience segment of two) whose runs
started 14 days ago, with 14 days × 3 arms of daily rollups each (and per segment); a
worker-like child process then runs ``update_bandits()`` twice. A second child times
decisions on a warm RuleBook: a fixed split, a bandit for new visitors (drawn and stored in
the cookie) and a bandit for returning ones (read from the cookie).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

from bench import refresh
from bench.refresh import _admin_execute, _rss_mb, is_postgres

CAMPAIGNS = 1_000
DAYS = 14
DECISIONS = 20_000
ROUNDS = 9
MARK_START = "<!-- bandit benchmark -->"
MARK_END = "<!-- /bandit benchmark -->"


def run(campaigns: int = CAMPAIGNS) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not is_postgres(url):
        return (f"{MARK_START}\n## Bandits\n\nNot run: set DATABASE_URL to a PostgreSQL "
                f"database and run `python -m bench bandits`.\n{MARK_END}\n")
    target = refresh.bench_url(url, "bandit_bench")
    name = target.rsplit("/", 1)[1]
    _admin_execute(url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    made = refresh._child("setup", target, campaigns, module="bench.bandits")
    done = refresh._child("update", target, campaigns, module="bench.bandits")
    cost = refresh._child("decide", target, campaigns, module="bench.bandits")
    _admin_execute(url, f'DROP DATABASE IF EXISTS "{name}"')
    lines = [
        MARK_START, "## Bandits (PostgreSQL)", "", f"Machine: {done['machine']}.", "",
        f"{campaigns:,} live bandit campaigns (three variants; a holdout in one of four; one "
        f"in five learning per audience segment of two), {DAYS} days × 3 arms of daily "
        f"rollups each ({made['rows']:,} rows, made in {made['seconds']:.0f} s). *Update* "
        "is `update_bandits()` in a worker-like process: one query for the runs, one for "
        "the rollups' sums, Thompson sampling with 2,000 draws per run and segment, the "
        "updates stored, the campaigns' weights written and the RuleBook version bumped.",
        "",
        "| campaigns | first update | second update | updates stored | worker peak RSS |",
        "|---:|---:|---:|---:|---:|",
        f"| {campaigns:,} | {done['first']:.1f} s | {done['second']:.1f} s | "
        f"{done['updates']:,} | {done['peak_mb']:.0f} MB |", "",
        "Target: 1,000 bandit campaigns updated in under 10 s.", "",
        f"Decision cost on a warm RuleBook ({ROUNDS} interleaved rounds of {DECISIONS:,} "
        "decisions each, every one with a fresh visitor context as a request makes; the "
        "fastest round is the cost, the median shows the machine's noise):", "",
        "| allocation | per decision (fastest round) | median round |", "|---|---:|---:|",
        *(f"| {label} | {cost[key]['min']:.1f} µs | {cost[key]['median']:.1f} µs |"
          for key, label in (("fixed", "fixed split"),
                             ("new", "bandit, new visitor (drawn, kept in his cookie)"),
                             ("returning", "bandit, returning visitor (his kept arm)"))),
        "",
        "A bandit's decision reads its weights from the RuleBook and the visitor's arm from "
        "his cookie (or his cached profile): no database query on a warm page "
        "(tests/test_bandits.py pins it). A returning visitor's decision costs what a fixed "
        "split's does; a new visitor's first one in a run pays once for drawing and keeping "
        "his arm.", "",
        "Run again with `DATABASE_URL=postgres://... python -m bench bandits`.", MARK_END]
    print("\n".join(lines[7:12]), flush=True)
    return "\n".join(lines) + "\n"


# -- child processes ------------------------------------------------------------------------

def _setup(campaigns: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models.signals import post_save
    from django.utils import timezone

    from personalization.models import (
        BannerVariant,
        Campaign,
        DailyRollup,
        ExperimentRun,
        Segment,
        Slot,
    )

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    # Made in bulk: the runs below are written directly, not started by the save signals.
    for uid in ("pz_experiment_save", "pz_rulebook_save"):
        post_save.disconnect(dispatch_uid=uid)
    segments = [Segment.objects.create(name=f"S{i}", slug=f"s{i}", kind="computed")
                for i in range(2)]
    slot = Slot.objects.create(key="home_hero", name="Hero", kind="banner")
    made = Campaign.objects.bulk_create([
        Campaign(name=f"Bandit {n}", slot=slot, status="live", allocation="bandit",
                 priority=-n, holdout_percent=10 if n % 4 == 0 else 0,
                 bandit_per_segment=n % 5 == 0) for n in range(campaigns)])
    for campaign in made:
        if campaign.bandit_per_segment:
            campaign.segments.set(segments)
    variants = [BannerVariant.objects.create(campaign=c, name=x, headline=x)
                for c in made for x in "ABC"]
    by_campaign: dict[int, list] = {}
    for v in variants:
        by_campaign.setdefault(v.campaign_id, []).append(v)
    start = timezone.now() - timezone.timedelta(days=DAYS)
    runs = ExperimentRun.objects.bulk_create([
        ExperimentRun(campaign=c, number=1, started_at=start, allocation="bandit",
                      holdout_percent=c.holdout_percent,
                      bandit_per_segment=c.bandit_per_segment,
                      weights={str(v.pk): 1 for v in by_campaign[c.pk]}) for c in made])
    rows = []
    for n, run in enumerate(runs):
        rates = [0.03, 0.03 + 0.006 * (n % 3), 0.03]
        for day in range(DAYS):
            date = (start + timezone.timedelta(days=day)).date()
            for segment in [None, *(segments if run.bandit_per_segment else [])]:
                for v, rate in zip(by_campaign[run.campaign_id], rates, strict=True):
                    visitors = 300 if segment is None else 100
                    rows.append(DailyRollup(run=run, day=date, segment=segment, variant=v,
                                            visitors=visitors,
                                            converters=round(visitors * rate)))
    DailyRollup.objects.bulk_create(rows, batch_size=5000)
    return {"seconds": time.monotonic() - started, "rows": len(rows)}


def _update(campaigns: int) -> dict:
    import django

    django.setup()
    from bench.decisions import machine
    from personalization.measurement.bandits import update_bandits
    from personalization.models import BanditUpdate

    times = []
    for _ in range(2):
        started = time.monotonic()
        assert update_bandits() == campaigns
        times.append(time.monotonic() - started)
    return {"first": times[0], "second": times[1], "updates": BanditUpdate.objects.count(),
            "peak_mb": _rss_mb("VmHWM"), "machine": machine()}


def _decide(campaigns: int) -> dict:
    import django

    django.setup()
    import uuid

    from personalization.engine.cookies import VisitorState
    from personalization.engine.decide import choose
    from personalization.engine.rulebook import get_rulebook
    from personalization.models import BannerVariant, Campaign, Slot
    from personalization.testing import make_context

    slot, _ = Slot.objects.get_or_create(key="fixed", defaults={"name": "Fixed",
                                                                "kind": "banner"})
    fixed, made = Campaign.objects.get_or_create(name="Fixed", slot=slot,
                                                 defaults={"status": "live"})
    for x in "ABC" if made else "":
        BannerVariant.objects.create(campaign=fixed, name=x, headline=x)
    # The first bandit of the slot is a plain one (no holdout, no audience), as the fixed.
    Campaign.objects.filter(name="Bandit 1").update(priority=100)
    get_rulebook()
    ids = [str(uuid.UUID(int=n + 1)) for n in range(DECISIONS)]
    states = {vid: VisitorState(vid=vid) for vid in ids}

    def one(slot: str, state_of) -> float:
        started = time.perf_counter()
        for vid in ids:
            choose(slot, make_context(visitor_id=vid, state=state_of(vid)))
        return (time.perf_counter() - started) / DECISIONS * 1e6

    def fresh(vid: str) -> VisitorState:
        return VisitorState(vid=vid)

    one("home_hero", states.__getitem__)  # every returning visitor gets his arm first
    times: dict[str, list[float]] = {"fixed": [], "new": [], "returning": []}
    for _ in range(ROUNDS):  # interleaved, so a busy moment of the machine hits all three
        times["fixed"].append(one("fixed", fresh))
        times["new"].append(one("home_hero", fresh))
        times["returning"].append(one("home_hero", states.__getitem__))
    return {k: {"min": min(v), "median": statistics.median(v)} for k, v in times.items()}


if __name__ == "__main__":
    mode, size = sys.argv[1], int(sys.argv[2])
    print(json.dumps({"setup": _setup, "update": _update, "decide": _decide}[mode](size)))
