"""The journey scan at scale on PostgreSQL.

``python -m bench journeys [N]`` (``DATABASE_URL`` must point at PostgreSQL): a fresh
database ``<name>_journey_bench`` gets N customers (default 1,000,000), 0–6 orders each over
the last year, 100,000 saved carts left 3 hours ago, marketing consent for 80 % of them,
and the demo's two journeys (abandoned cart, win-back after 90 days), all made with SQL
``generate_series``. A worker-like child process then runs ``journeys.scan.scan()`` twice:
the first finds and records every due message, the second finds them all recorded (one
per period). Handing each message to the broker is left out (its receiver is
disconnected): the figure is the scan's.
"""

from __future__ import annotations

import json
import os
import sys
import time

from bench import refresh
from bench.refresh import ROOT, _admin_execute, _rss_mb, is_postgres

CUSTOMERS = 1_000_000
CARTS = 100_000
MARK_START = "<!-- journey benchmark -->"
MARK_END = "<!-- /journey benchmark -->"


def run(customers: int = CUSTOMERS) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not is_postgres(url):
        return (f"{MARK_START}\n## Journey scan\n\nNot run: set DATABASE_URL to a PostgreSQL "
                f"database and run `python -m bench journeys`.\n{MARK_END}\n")
    target = refresh.bench_url(url, "journey_bench")
    name = target.rsplit("/", 1)[1]
    _admin_execute(url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    made = refresh._child("setup", target, customers, module="bench.journeys")
    done = refresh._child("scan", target, customers, module="bench.journeys")
    _admin_execute(url, f'DROP DATABASE IF EXISTS "{name}"')
    row = (f"| {customers:,} | {made['carts']:,} | {made['orders']:,} | "
           f"{made['seconds']:.0f} s | {done['first']:.1f} s | {done['queued']:,} | "
           f"{done['second']:.1f} s | {done['peak_mb']:.0f} MB (start "
           f"{done['start_mb']:.0f} MB) |")
    print(row, flush=True)
    verdict = ("within" if done["first"] < 60 else "over") + " the target of 1 minute"
    return "\n".join([
        MARK_START, "## Journey scan (PostgreSQL)", "",
        f"Machine: {done['machine']}.", "",
        f"{customers:,} customers with 0–6 orders each over the last year, {CARTS:,} saved "
        "carts left 3 hours ago, marketing consent for 80 % of the customers, two enabled "
        "journeys (abandoned cart after 2 hours, priority 20; win-back after 90 days "
        "without an order, priority 10). *First scan*: `scan()` finds every due customer "
        "with one query per journey and records the messages (`bulk_create` in batches of "
        "2,000, unique per customer, journey and occurrence); *second scan*: the same, "
        "finding them all recorded. Handing each message to the broker is not included.",
        "",
        "| customers | carts | orders | made in | first scan | messages recorded | "
        "second scan | worker peak RSS |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|", row, "",
        f"The first scan is {verdict}.", "",
        "Run again with `DATABASE_URL=postgres://... python -m bench journeys`.",
        MARK_END]) + "\n"


def _setup(customers: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from demo_shop.seed.journeys import JOURNEYS
    from personalization.models import Journey

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    with connection.cursor() as c:
        c.execute("""
            INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,
                                   email, is_staff, is_active, date_joined)
            SELECT '!', false, 'c' || i, 'Bench', 'Customer ' || i, 'c' || i || '@example.com',
                   false, true, now() - interval '2 years'
            FROM generate_series(1, %s) i""", [customers])
        c.execute("""
            INSERT INTO orders_order (number, user_id, placed_by_id, channel, status, name,
                                      email, address, subtotal, discount, total,
                                      discount_code, created_at)
            SELECT 'B' || u.id || '-' || k, u.id, u.id, 'online', 'placed', '', '', '', 20,
                   0, 20, '', now() - random() * interval '365 days'
            FROM (SELECT id, floor(random() * 7)::int AS n FROM auth_user) u,
                 generate_series(1, u.n) k""")
        c.execute("""
            INSERT INTO orders_savedcart (user_id, items, updated_at)
            SELECT id, '{"1": 2}'::jsonb, now() - interval '3 hours'
            FROM auth_user WHERE id %% %s = 0""", [max(customers // CARTS, 1)])
        c.execute("""
            INSERT INTO personalization_consentrecord (user_id, purpose, granted,
                                                      policy_version, source, subject,
                                                      created_at)
            SELECT id, 'marketing', id % 5 <> 0, '1', 'signup', 'u' || id,
                   now() - interval '1 year'
            FROM auth_user""")
    for spec in JOURNEYS[:2]:
        spec = dict(spec)
        if spec["trigger"] == Journey.Trigger.LAPSED:
            spec["lapsed_days"] = 90
        Journey.objects.create(**spec, enabled=True, holdout_percent=10)
    with connection.cursor() as c:
        c.execute("VACUUM ANALYZE")
        c.execute("SELECT (SELECT count(*) FROM orders_order), "
                  "(SELECT count(*) FROM orders_savedcart)")
        orders, carts = c.fetchone()
    return {"seconds": time.monotonic() - started, "orders": orders, "carts": carts}


def _scan(customers: int) -> dict:
    import django

    django.setup()
    from bench.decisions import machine
    from personalization.journeys.scan import scan
    from personalization.models import JourneyMessage
    from personalization.signals import journey_message_due

    journey_message_due.receivers.clear()  # the scan's own cost, not the broker's
    start = _rss_mb("VmRSS")
    t = time.monotonic()
    first = scan()
    first_seconds = time.monotonic() - t
    t = time.monotonic()
    scan()
    second_seconds = time.monotonic() - t
    return {"first": first_seconds, "second": second_seconds,
            "queued": JourneyMessage.objects.count(), "result": first.as_dict(),
            "start_mb": start, "peak_mb": _rss_mb("VmHWM"), "machine": machine()}


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    mode, count = sys.argv[1], int(sys.argv[2])
    print(json.dumps(_setup(count) if mode == "setup" else _scan(count)))
