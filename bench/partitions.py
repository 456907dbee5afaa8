"""The event table's monthly partitions at scale on PostgreSQL (issue 30).

``python -m bench partitions [TOTAL ... CONVERSION_ROWS]`` (``DATABASE_URL``: PostgreSQL):
for each total, a fresh database ``<name>_partitions_bench`` gets one experiment run of 90 days
(the same rows whatever the total: RUN_EXPOSURES exposures, 1 in 25 visitors converting)
and other events up to TOTAL spread over 12 monthly partitions, made with SQL
``generate_series``. A worker-like child then rolls up one day of the run
(``roll_up_day``, median of 3) and drops the oldest month (``drop_partitions_before``).
Then ``python -m bench partitions`` converts a plain table of CONVERSION_ROWS rows
(migration 0028, row counts checked) and times the API's write of a batch of 10 events
(``record_events``) on the plain table before and on the partitioned one after.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

from bench import refresh
from bench.refresh import _admin_execute, is_postgres

TOTALS = (1_000_000, 50_000_000)
CONVERSION_ROWS = 10_000_000
RUN_EXPOSURES = 300_000
MARK_START = "<!-- partitions benchmark -->"
MARK_END = "<!-- /partitions benchmark -->"
BEFORE = "0027_lead_popup_image_alt"
PARTITIONED = "0028_partitions_event_by_month"


def _child(mode: str, url: str, size: int) -> dict:
    return refresh._child(mode, url, size, module="bench.partitions")


def run(totals: tuple[int, ...] = TOTALS, conversion_rows: int = CONVERSION_ROWS) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not is_postgres(url):
        return (f"{MARK_START}\n## Event partitions\n\nNot run: set DATABASE_URL to a "
                f"PostgreSQL database and run `python -m bench partitions`.\n{MARK_END}\n")
    target = refresh.bench_url(url, "partitions_bench")
    name = target.rsplit("/", 1)[1]
    rows = []
    for total in totals:
        _admin_execute(url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        made = _child("setup", target, total)
        done = _child("rollup", target, total)
        rows.append(f"| {total:,} | {made['partitions']} | {made['seconds']:.0f} s | "
                    f"{done['day_ms']:.0f} ms | {done['day_rows']} | {done['drop_ms']:.0f} ms "
                    f"({done['dropped_rows']:,} rows) |")
        print(rows[-1], flush=True)
        _admin_execute(url, f'DROP DATABASE IF EXISTS "{name}"')
    _admin_execute(url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    conv = _child("convert", target, conversion_rows)
    print(conv, flush=True)
    _admin_execute(url, f'DROP DATABASE IF EXISTS "{name}"')
    lines = [MARK_START, "## Event partitions (PostgreSQL)", "",
             f"Machine: {conv['machine']}.", "",
             f"One experiment run of 90 days ({RUN_EXPOSURES:,} exposures, 1 in 25 visitors "
             "converting: the same rows at every size) and other events up to the total, "
             "spread over 12 monthly partitions (`generate_series`), then `VACUUM (ANALYZE)` "
             "(what autovacuum does after inserts on a production server). *Day roll-up*: "
             "`roll_up_day(run, day)` for a day in the middle of the run, median of 3, in a "
             "worker-like process: the day's exposures, then only its visitors' events. "
             "*Drop a month*: `drop_partitions_before()` dropping the oldest month's partition.",
             "", "| event rows | partitions | made in | day roll-up | day rows | drop a month |",
             "|---:|---:|---:|---:|---:|---:|", *rows, "",
             f"Conversion of a plain table of {conv['rows']:,} event rows (migration 0028: "
             f"copy into monthly partitions, row counts checked, indexes and foreign keys "
             f"made again): **{conv['seconds']:.0f} s** ({conv['rows_after']:,} rows after, "
             f"{conv['partitions']} partitions); then migration 0029 (the day roll-up's "
             f"covering index on every partition): **{conv['index_seconds']:.0f} s**.", "",
             "Writing a batch of 10 events as the API does (`record_events`, one INSERT, "
             f"median of {conv['batches']} batches) on that table: plain (before 0028) "
             f"{conv['plain_ms']:.2f} ms, partitioned (0028) {conv['before_index_ms']:.2f} ms, "
             f"partitioned with 0029's index {conv['partitioned_ms']:.2f} ms.", "",
             "Targets: a day's roll-up with 50 million rows within 20 % of its time with 1 "
             "million; dropping a month under 1 s; the API's insert no slower than before.", "",
             "Run again with `DATABASE_URL=postgres://... python -m bench partitions`.",
             MARK_END]
    return "\n".join(lines) + "\n"


# -- child processes ----------------------------------------------------------------------

def _months_back(count: int) -> list:
    from django.utils import timezone

    from personalization.models.partitions import month_start, next_month

    this = month_start(timezone.now())
    return [next_month(this, -step) for step in range(count - 1, -1, -1)]


def _setup(total: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from personalization.models import BannerVariant, Campaign, ExperimentRun, Slot
    from personalization.models.partitions import create_partition, partition_for, partitions

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    months = _months_back(12)
    for month in months:
        create_partition(month)
    slot = Slot.objects.create(key="home_hero", name="Hero", kind="banner")
    campaign = Campaign.objects.create(name="Bench", slot=slot, status="paused",
                                       holdout_percent=20)
    other = Campaign.objects.create(name="Other", slot=slot, status="paused")
    a = BannerVariant.objects.create(campaign=campaign, name="A", headline="A")
    b = BannerVariant.objects.create(campaign=campaign, name="B", headline="B")
    now = timezone.now()
    ExperimentRun.objects.create(campaign=campaign, number=1, holdout_percent=20,
                                 started_at=now - timezone.timedelta(days=90), ended_at=now,
                                 weights={str(a.pk): 1, str(b.pk): 1})
    n = RUN_EXPOSURES
    first = partition_for(months[0]).start
    span = (now - first).total_seconds()
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO personalization_event
                (visitor_id, type, slot, campaign_id, variant_id, control, reference,
                 created_at)
            SELECT md5('r' || (g %% %(units)s)::text)::uuid, 'impression', 'home_hero', %(c)s,
                   CASE WHEN g %% 5 = 0 THEN NULL WHEN g %% 2 = 0 THEN %(a)s ELSE %(b)s END,
                   g %% 5 = 0, '', %(start)s + (g * 7776000.0 / %(n)s) * INTERVAL '1 second'
            FROM generate_series(1, %(n)s) AS g""",
                       {"units": int(n * 0.95), "c": campaign.pk, "a": a.pk, "b": b.pk,
                        "start": now - timezone.timedelta(days=90), "n": n})
        cursor.execute("""
            INSERT INTO personalization_event
                (visitor_id, type, slot, campaign_id, control, value, reference, created_at)
            SELECT md5('r' || (g %% %(units)s)::text)::uuid, 'conversion', 'home_hero', %(c)s,
                   false, 10 + (g %% 90), 'B' || g,
                   %(start)s + (g * 7776000.0 / %(n)s + 3600) * INTERVAL '1 second'
            FROM generate_series(1, %(n)s, 25) AS g""",
                       {"units": int(n * 0.95), "c": campaign.pk,
                        "start": now - timezone.timedelta(days=90), "n": n})
        rest = max(total - n - n // 25, 0)
        step = 5_000_000  # in chunks: one statement's memory and WAL stay small
        for low in range(1, rest + 1, step):
            cursor.execute("""
                INSERT INTO personalization_event
                    (visitor_id, type, slot, campaign_id, control, reference, created_at)
                SELECT md5('o' || (g %% 3000000)::text)::uuid,
                       CASE WHEN g %% 3 = 0 THEN 'visit' ELSE 'impression' END, 'home_hero',
                       CASE WHEN g %% 3 = 0 THEN NULL ELSE %(o)s END, false, '',
                       %(first)s + (g * %(span)s / %(rest)s) * INTERVAL '1 second'
                FROM generate_series(%(low)s, %(high)s) AS g""",
                           {"o": other.pk, "first": first, "span": span, "rest": rest,
                            "low": low, "high": min(low + step - 1, rest)})
        # What autovacuum does on a production server after inserts (PostgreSQL 13 and
        # later): the statistics, and the visibility map the roll-up's index-only scans
        # need. A bench server may run with autovacuum off, so it is done here.
        cursor.execute("VACUUM (ANALYZE) personalization_event")
    return {"seconds": time.monotonic() - started, "partitions": len(partitions())}


def _rollup(total: int) -> dict:
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from bench.decisions import machine
    from personalization.measurement.rollups import roll_up_day
    from personalization.models import ExperimentRun
    from personalization.models.partitions import drop_partitions_before, partitions

    run = ExperimentRun.objects.get()
    day = (run.started_at + timezone.timedelta(days=45)).date()
    times, rows = [], 0
    for _ in range(3):
        started = time.perf_counter()
        rows = roll_up_day(run, day)
        times.append((time.perf_counter() - started) * 1000)
    oldest = partitions()[0]
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COUNT(*) FROM "{oldest.name}"')
        (count,) = cursor.fetchone()
    started = time.perf_counter()
    dropped = drop_partitions_before(oldest.end)
    drop_ms = (time.perf_counter() - started) * 1000
    assert [p.name for p in dropped] == [oldest.name]
    return {"day_ms": statistics.median(times), "day_rows": rows, "drop_ms": drop_ms,
            "dropped_rows": count, "machine": machine()}


def _insert_ms(batches: int) -> float:
    from personalization.measurement.event_rows import event_row, record_events

    times = []
    for i in range(batches):
        rows = [event_row(visitor_id=f"00000000-0000-0000-0000-{i:012d}", type="click",
                          slot="home_hero") for _ in range(10)]
        started = time.perf_counter()
        record_events(rows)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _convert(size: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.decisions import machine
    from personalization.models.partitions import partitions

    call_command("migrate", verbosity=0)
    call_command("migrate", "personalization", BEFORE, verbosity=0)  # the plain table
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO personalization_event
                (visitor_id, type, slot, control, reference, created_at)
            SELECT md5((g %% 2000000)::text)::uuid, 'impression', 'home_hero', false, '',
                   now() - INTERVAL '365 days' + (g * 31536000.0 / %(n)s) * INTERVAL '1 second'
            FROM generate_series(1, %(n)s) AS g""", {"n": size})
        cursor.execute("ANALYZE personalization_event")
        cursor.execute("SELECT COUNT(*) FROM personalization_event")
        (before,) = cursor.fetchone()
    started = time.monotonic()
    call_command("migrate", "personalization", PARTITIONED, verbosity=0)
    seconds = time.monotonic() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM personalization_event")
        (after,) = cursor.fetchone()
    assert after == before, (before, after)
    batches = 300
    before_index_ms = _insert_ms(batches)
    started = time.monotonic()
    call_command("migrate", "personalization", verbosity=0)  # 0029: the roll-up's index
    index_seconds = time.monotonic() - started
    partitioned_ms = _insert_ms(batches)
    made = len(partitions())
    # The same table made plain again (the migration's way back), as before 0028 (without
    # 0029's index), for the API's write.
    call_command("migrate", "personalization", PARTITIONED, verbosity=0)
    from importlib import import_module

    module = import_module("personalization.migrations.0028_partitions_event_by_month")
    with connection.schema_editor() as editor:
        module.rebuild(editor, partitioned=False)
    plain_ms = _insert_ms(batches)
    return {"rows": before, "rows_after": after, "seconds": seconds,
            "partitions": made, "plain_ms": plain_ms, "index_seconds": index_seconds,
            "before_index_ms": before_index_ms, "partitioned_ms": partitioned_ms,
            "batches": batches, "machine": machine()}


if __name__ == "__main__":
    mode, size = sys.argv[1], int(sys.argv[2])
    task = {"setup": _setup, "rollup": _rollup, "convert": _convert}[mode]
    print(json.dumps(task(size)))
