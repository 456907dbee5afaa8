"""Experiment rollups at scale on PostgreSQL, and the report page read from them.

``python -m bench rollups [N ...]`` (``DATABASE_URL`` must point at PostgreSQL): for each
size, a fresh database ``<name>_rollup_bench`` gets one experiment run with three arms and N
exposure rows over 90 days (1 in 25 visitors converts, a few visitors are seen twice), made
with SQL ``generate_series``; a worker-like child process then rolls the run up
(``measurement.rollups.roll_up``), and the campaign's admin report page is requested.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

from bench import refresh
from bench.refresh import _admin_execute, _rss_mb, is_postgres

SIZES = (1_000_000, 10_000_000)
MARK_START = "<!-- rollup benchmark -->"
MARK_END = "<!-- /rollup benchmark -->"


def _child(mode: str, url: str, size: int) -> dict:
    return refresh._child(mode, url, size, module="bench.rollups")


def run(sizes: tuple[int, ...] = SIZES) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not is_postgres(url):
        return (f"{MARK_START}\n## Experiment rollups\n\nNot run: set DATABASE_URL to a "
                f"PostgreSQL database and run `python -m bench rollups`.\n{MARK_END}\n")
    target = refresh.bench_url(url, "rollup_bench")
    name = target.rsplit("/", 1)[1]
    rows = []
    for size in sizes:
        _admin_execute(url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        made = _child("setup", target, size)
        done = _child("rollup", target, size)
        rows.append(f"| {size:,} | {made['seconds']:.0f} s | {done['seconds']:.1f} s | "
                    f"{done['rows']:,} | {done['peak_mb']:.0f} MB (start {done['start_mb']:.0f}"
                    f" MB) | {done['report_ms']:.0f} ms |")
        print(rows[-1], flush=True)
        _admin_execute(url, f'DROP DATABASE IF EXISTS "{name}"')
    lines = [MARK_START, "## Experiment rollups (PostgreSQL)", "",
             f"Machine: {done['machine']}.", "",
             "One experiment run (control and two variants), its exposure rows spread over "
             "90 days, 1 in 25 visitors converting, a few seen twice; made with SQL "
             "`generate_series`. *Roll-up* is `roll_up(run)` in a worker-like process: one "
             "statement over the run's events, then its daily rows replaced. *Report page* "
             "is the median of 5 requests of the campaign's admin report (90 days × 3 arms "
             "of rollups, statistics, three charts).", "",
             "| exposure rows | made in | roll-up | daily rows | worker peak RSS | report page |",
             "|---:|---:|---:|---:|---:|---:|", *rows, "",
             "Targets: 10 million exposure rows rolled up in under 2 minutes with flat worker "
             "memory; the report page under 300 ms.", "",
             "Run again with `DATABASE_URL=postgres://... python -m bench rollups`.", MARK_END]
    return "\n".join(lines) + "\n"


# -- child processes ----------------------------------------------------------------------

def _setup(size: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from personalization.models import BannerVariant, Campaign, ExperimentRun, Slot

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    slot = Slot.objects.create(key="home_hero", name="Hero", kind="banner")
    campaign = Campaign.objects.create(name="Bench", slot=slot, status="paused",
                                       holdout_percent=20, cost=500)
    a = BannerVariant.objects.create(campaign=campaign, name="A", headline="A")
    b = BannerVariant.objects.create(campaign=campaign, name="B", headline="B")
    now = timezone.now()
    ExperimentRun.objects.create(campaign=campaign, number=1, holdout_percent=20,
                                 started_at=now - timezone.timedelta(days=90), ended_at=now,
                                 weights={str(a.pk): 1, str(b.pk): 1})
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO personalization_event
                (visitor_id, type, slot, campaign_id, variant_id, control, reference,
                 created_at)
            SELECT md5((g %% %(units)s)::text)::uuid, 'impression', 'home_hero', %(c)s,
                   CASE WHEN g %% 5 = 0 THEN NULL WHEN g %% 2 = 0 THEN %(a)s ELSE %(b)s END,
                   g %% 5 = 0, '',
                   %(start)s + (g * 7776000.0 / %(n)s) * INTERVAL '1 second'
            FROM generate_series(1, %(n)s) AS g""",
                       {"units": int(size * 0.95), "c": campaign.pk, "a": a.pk, "b": b.pk,
                        "start": now - timezone.timedelta(days=90), "n": size})
        cursor.execute("""
            INSERT INTO personalization_event
                (visitor_id, type, slot, campaign_id, control, value, reference, created_at)
            SELECT md5((g %% %(units)s)::text)::uuid, 'conversion', 'home_hero', %(c)s, false,
                   10 + (g %% 90), 'B' || g,
                   %(start)s + (g * 7776000.0 / %(n)s + 3600) * INTERVAL '1 second'
            FROM generate_series(1, %(n)s, 25) AS g""",
                       {"units": int(size * 0.95), "c": campaign.pk,
                        "start": now - timezone.timedelta(days=90), "n": size})
        cursor.execute("ANALYZE personalization_event")
    return {"seconds": time.monotonic() - started}


def _rollup(size: int) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import override_settings

    from bench.decisions import machine
    from personalization.measurement.rollups import roll_up
    from personalization.models import DailyRollup, ExperimentRun

    start_rss = _rss_mb("VmRSS")
    run = ExperimentRun.objects.get()
    started = time.monotonic()
    roll_up(run)
    seconds = time.monotonic() - started
    peak = _rss_mb("VmHWM")
    get_user_model().objects.create_superuser("bench", password="bench")
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench"))
    url = f"/admin/personalization/campaign/{run.campaign_id}/report/"
    times = []
    with override_settings(DEBUG=False, ALLOWED_HOSTS=["*"]):
        client.get(url)  # warm
        for _ in range(5):
            t = time.perf_counter()
            assert client.get(url).status_code == 200
            times.append((time.perf_counter() - t) * 1000)
    return {"seconds": seconds, "rows": DailyRollup.objects.filter(run=run, segment=None).count(),
            "peak_mb": peak, "start_mb": start_rss, "report_ms": statistics.median(times),
            "machine": machine()}


if __name__ == "__main__":
    mode, size = sys.argv[1], int(sys.argv[2])
    print(json.dumps(_setup(size) if mode == "setup" else _rollup(size)))
