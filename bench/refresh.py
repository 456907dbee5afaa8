"""Refresh of 10 computed segments over 100,000 and 1,000,000 customers (PostgreSQL only).

``python -m bench refresh`` (``DATABASE_URL`` must point at PostgreSQL): for each size, a
separate database ``<name>_refresh_bench`` is created, migrated and filled with SQL
``generate_series`` (customers, a year of orders with 1–3 lines each), then a worker-like
child process refreshes the 10 segments twice (first refresh: everyone enters; second: the
steady state) and reports the time and its peak memory (VmHWM).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SIZES = (100_000, 1_000_000)
MARK_START = "<!-- refresh benchmark -->"
MARK_END = "<!-- /refresh benchmark -->"


def is_postgres(url: str | None) -> bool:
    return bool(url) and url.split(":", 1)[0] in ("postgres", "postgresql", "pgsql")


def bench_url(url: str, suffix: str = "refresh_bench") -> str:
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "postgres"
    return urlunsplit(parts._replace(path=f"/{name}_{suffix}"))


def _admin_execute(url: str, *statements: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


def _child(mode: str, url: str, customers: int, module: str = "bench.refresh") -> dict:
    """Run ``python -m <module> <mode> <size>`` on ``url``; its last line is JSON."""
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "demo_shop.settings",
           "DEMO_PERSONA_SWITCHER": "0", "PYTHONPATH": str(ROOT)}
    env.pop("REDIS_URL", None)  # the work itself needs no cache; keep the child minimal
    out = subprocess.run([sys.executable, "-m", module, mode, str(customers)],
                         cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(sizes: tuple[int, ...] = SIZES) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not is_postgres(url):
        return (f"{MARK_START}\n## Computed segment refresh\n\nNot run: set DATABASE_URL to a "
                f"PostgreSQL database and run `python -m bench refresh`.\n{MARK_END}\n")
    target = bench_url(url)
    name = urlsplit(target).path.lstrip("/")
    rows, machine = [], ""
    for customers in sizes:
        print(f"refresh benchmark: {customers:,} customers", flush=True)
        _admin_execute(target, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        setup = _child("setup", target, customers)
        result = _child("worker", target, customers)
        machine = result["machine"]
        rows.append((customers, setup, result))
        print(f"  data {setup['seconds']:.0f}s; refresh {result['first']:.1f}s / "
              f"{result['second']:.1f}s; peak RSS {result['peak_rss_mb']:.0f} MB", flush=True)
    _admin_execute(target, f'DROP DATABASE IF EXISTS "{name}"')
    lines = [
        MARK_START, "## Computed segment refresh (PostgreSQL)", "",
        f"Machine: {machine}.", "",
        "10 computed segments (order count, total spent, average order value, days since "
        "last order, category bought in 30 days, discount codes, RFM score, category "
        "affinity, customer group, and an any-of segment), refreshed one after the other in "
        "one worker-like process, as one `refresh_segment` task each. Data made with SQL "
        "`generate_series`: 0–6 orders per customer over the last year (about 3), 1–3 lines "
        "per order, 200 products in 20 categories. Times include the commit (PostgreSQL "
        "checks the new memberships' foreign keys then). The affinity rebuild is "
        "`rebuild_product_affinities` on the same orders.", "",
        "| customers | orders | order lines | first refresh (all enter) | second refresh "
        "(nothing changed) | members (sum) | worker peak RSS | affinity rebuild |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for customers, setup, result in rows:
        lines.append(
            f"| {customers:,} | {setup['orders']:,} | {setup['lines']:,} | "
            f"{result['first']:.1f} s | {result['second']:.1f} s | {result['members']:,} | "
            f"{result['peak_rss_mb']:.0f} MB (start {result['start_rss_mb']:.0f} MB) | "
            f"{result['affinities']:.1f} s |")
    lines += ["", "Per segment at the largest size (first / second refresh, seconds):", "",
              "| segment | members | first | second |", "|---|---:|---:|---:|"]
    for seg in rows[-1][2]["segments"]:
        lines.append(f"| {seg['slug']} | {seg['members']:,} | {seg['first']:.2f} | "
                     f"{seg['second']:.2f} |")
    lines += ["", "Target: 1,000,000 customers × 10 segments in under 2 minutes, with the "
              "worker's memory flat in the number of customers.", "",
              "Run again with `DATABASE_URL=postgres://... python -m bench refresh`.", MARK_END]
    return "\n".join(lines) + "\n"


def merge_into(results: Path, section: str, start: str = MARK_START,
               end: str = MARK_END) -> None:
    """Replace (or append) the section between ``start`` and ``end`` of RESULTS.md."""
    text = results.read_text() if results.exists() else "# Benchmark results\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    results.write_text(text)


# -- child processes ----------------------------------------------------------------------

def _setup(customers: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from demo_shop.catalog.models import Category, Department, Product
    from personalization.models import Segment
    from personalization.rules import (
        AverageOrderValueRule,
        CategoryAffinityRule,
        CustomerGroupRule,
        DaysSinceLastOrderRule,
        OrderCountRule,
        PurchasedRule,
        RFMScoreRule,
        TotalSpentRule,
        UsedDiscountCodeRule,
    )

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    dept = Department.objects.create(name="Bench", slug="bench")
    cats = [Category.objects.create(department=dept, name=f"Cat {i}", slug=f"cat-{i}")
            for i in range(20)]
    Product.objects.bulk_create(
        Product(category=cats[i % 20], name=f"P{i}", slug=f"p-{i}", sku=f"B{i:05d}",
                price=10, stock=100) for i in range(200))
    with connection.cursor() as c:
        c.execute("""
            INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,
                                   email, is_staff, is_active, date_joined)
            SELECT '!', false, 'c' || i, 'Bench', 'Customer ' || i, 'c' || i || '@example.com',
                   false, true, now() - interval '2 years'
            FROM generate_series(1, %s) i""", [customers])
        c.execute("""
            INSERT INTO customers_customerprofile (user_id, city, country, customer_group)
            SELECT id, 'Utrecht', 'NL', (ARRAY['retail', 'farm', 'vip', 'retail'])[1 + id % 4]
            FROM auth_user""")
        c.execute("""
            INSERT INTO orders_order (number, user_id, placed_by_id, channel, status, name,
                                      email, address, subtotal, discount, total,
                                      discount_code, created_at)
            SELECT 'B' || u.id || '-' || k, u.id, u.id, 'online', 'placed', '', '', '', x.t,
                   0, x.t, CASE WHEN random() < 0.1 THEN 'SALE' ELSE '' END,
                   now() - random() * interval '365 days'
            FROM (SELECT id, floor(random() * 7)::int AS n FROM auth_user) u,
                 generate_series(1, u.n) k,
                 LATERAL (SELECT round((5 + random() * 195 + 0 * k)::numeric, 2) AS t) x""")
        c.execute("""
            WITH p AS (SELECT array_agg(id ORDER BY id) AS a, count(*) AS c
                       FROM catalog_product)
            INSERT INTO orders_orderline (order_id, product_id, quantity, unit_price,
                                          line_total)
            SELECT o.id, p.a[1 + ((o.id * 31 + j * 17 + o.user_id % 7) % p.c)], j, 10, 10 * j
            FROM p, orders_order o, generate_series(1, 1 + (o.id % 3)::int) j""")
    with connection.cursor() as c:  # outside a transaction: as a maintained database is
        c.execute("VACUUM ANALYZE")
        c.execute("SELECT (SELECT count(*) FROM orders_order), "
                  "(SELECT count(*) FROM orders_orderline)")
        orders, lines = c.fetchone()

    def segment(slug: str, *rules, match: str = "all") -> None:
        s = Segment.objects.create(name=slug, slug=slug, kind="computed", match=match)
        for rule in rules:
            rule.segment = s
            rule.save()

    segment("regulars", OrderCountRule(minimum=4))
    segment("big-spenders", TotalSpentRule(minimum=500))
    segment("small-baskets", AverageOrderValueRule(maximum=50))
    segment("lapsed", DaysSinceLastOrderRule(minimum=90))
    segment("bought-cat0-30d", PurchasedRule(category_ids=[str(cats[0].pk)], within_days=30))
    segment("code-users", UsedDiscountCodeRule(minimum=1))
    segment("champions", RFMScoreRule(minimum=12))
    segment("cat-lovers", CategoryAffinityRule(
        category_ids=[str(cats[1].pk), str(cats[2].pk)], min_share=30))
    segment("farm", CustomerGroupRule(groups=["farm"]))
    segment("gone-or-never", OrderCountRule(maximum=0), DaysSinceLastOrderRule(minimum=180),
            match="any")
    return {"seconds": time.monotonic() - started, "orders": orders, "lines": lines}


def _rss_mb(field: str) -> float:
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _worker(customers: int) -> dict:
    import django

    django.setup()
    from bench.decisions import machine
    from personalization.jobs.affinities import rebuild_product_affinities
    from personalization.jobs.refresh import refresh_segment, segment_ids_to_refresh

    start_rss = _rss_mb("VmRSS")
    ids = segment_ids_to_refresh()
    from personalization.models import Segment

    slugs = dict(Segment.objects.values_list("pk", "slug"))
    per: dict[int, dict] = {}
    totals = {}
    for run in ("first", "second"):
        started = time.monotonic()
        for pk in ids:
            t = time.monotonic()
            result = refresh_segment(pk)
            per.setdefault(pk, {"slug": slugs[pk]})[run] = time.monotonic() - t
            per[pk]["members"] = result.members
        totals[run] = time.monotonic() - started
    t = time.monotonic()
    rebuild_product_affinities()
    affinities = time.monotonic() - t
    return {**totals, "segments": list(per.values()), "affinities": affinities,
            "members": sum(p["members"] for p in per.values()),
            "start_rss_mb": start_rss, "peak_rss_mb": _rss_mb("VmHWM"), "machine": machine()}


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    mode, count = sys.argv[1], int(sys.argv[2])
    print(json.dumps(_setup(count) if mode == "setup" else _worker(count)))
