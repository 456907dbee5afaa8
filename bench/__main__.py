"""Run the benchmarks and write bench/RESULTS.md."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from bench import refresh, rollups

    out = ROOT / "bench" / "RESULTS.md"
    if sys.argv[1:2] == ["rollups"]:
        sizes = tuple(int(n) for n in sys.argv[2:]) or rollups.SIZES
        refresh.merge_into(out, rollups.run(sizes), rollups.MARK_START, rollups.MARK_END)
        print(f"\nWritten to {out.relative_to(ROOT)}")
        return
    if sys.argv[1:2] == ["partitions"]:
        from bench import partitions

        sizes = [int(n) for n in sys.argv[2:]]  # totals, then the conversion's rows
        totals = tuple(sizes[:-1]) or partitions.TOTALS
        converted = sizes[-1] if sizes else partitions.CONVERSION_ROWS
        refresh.merge_into(out, partitions.run(totals, converted), partitions.MARK_START,
                           partitions.MARK_END)
        print(f"\nWritten to {out.relative_to(ROOT)}")
        return
    if sys.argv[1:2] == ["load"]:
        from bench import load

        refresh.merge_into(out, load.run(), load.MARK_START, load.MARK_END)
        print(f"\nWritten to {out.relative_to(ROOT)}")
        return
    if sys.argv[1:2] == ["api"]:
        from bench import api

        refresh.merge_into(out, api.run(), api.MARK_START, api.MARK_END)
        print(f"\nWritten to {out.relative_to(ROOT)}")
        return
    if sys.argv[1:2] == ["bandits"]:
        from bench import bandits

        campaigns = int(sys.argv[2]) if sys.argv[2:] else bandits.CAMPAIGNS
        refresh.merge_into(out, bandits.run(campaigns), bandits.MARK_START, bandits.MARK_END)
        print(f"\nWritten to {out.relative_to(ROOT)}")
        return
    if sys.argv[1:2] == ["journeys"]:
        from bench import journeys

        customers = int(sys.argv[2]) if sys.argv[2:] else journeys.CUSTOMERS
        refresh.merge_into(out, journeys.run(customers), journeys.MARK_START,
                           journeys.MARK_END)
        print(f"\nWritten to {out.relative_to(ROOT)}")
        return
    if sys.argv[1:2] == ["refresh"]:
        sizes = tuple(int(n) for n in sys.argv[2:]) or refresh.SIZES
        refresh.merge_into(out, refresh.run(sizes))
        print(f"\nWritten to {out.relative_to(ROOT)}")
        return
    if sys.argv[1:2] == ["redis"]:
        # The page overhead again with Redis as the cache (sessions, RuleBook version, event
        # buffer): a process of its own, since the cache is chosen when settings load.
        os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
        os.environ.setdefault("CACHE_KEY_PREFIX", "pzbench")
    run_refresh = refresh.is_postgres(os.environ.get("DATABASE_URL"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_shop.settings")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")
    os.environ.setdefault("DEMO_PERSONA_SWITCHER", "0")
    (ROOT / "var").mkdir(exist_ok=True)
    import django

    django.setup()
    from bench import decisions

    if sys.argv[1:2] == ["cookies"]:
        from bench import cookies

        print(cookies.run())
        return
    if sys.argv[1:2] == ["decisions"]:
        print(decisions.run(pages=False))
        return
    if sys.argv[1:2] == ["pages"]:
        # The decision and page tables on this database, as a section of their own (on
        # PostgreSQL, beside the main run's on SQLite), without the other benchmarks.
        from django.db import connection

        start, end = decisions.section_marks(connection.vendor)
        refresh.merge_into(out, decisions.run(section=True), start, end)
        print(f"\nWritten to {out.relative_to(ROOT)}")
        return
    if sys.argv[1:2] == ["redis"]:
        refresh.merge_into(out, decisions.run(redis=True), decisions.REDIS_START,
                           decisions.REDIS_END)
        print(f"\nWritten to {out.relative_to(ROOT)}")
        return
    report = decisions.run()
    previous = out.read_text() if out.exists() else ""
    out.write_text(report)
    # Every section another command wrote (Redis, PostgreSQL pages, load, API, journeys,
    # bandits, partitions, ...) is carried over until that command runs again.
    for name in re.findall(r"^<!-- ([^/][^>]*?) -->$", previous, flags=re.M):
        keep_section(out, previous, f"<!-- {name} -->", f"<!-- /{name} -->")
    if run_refresh:  # on PostgreSQL: also the refresh and rollup benchmarks
        refresh.merge_into(out, refresh.run())
        refresh.merge_into(out, rollups.run(), rollups.MARK_START, rollups.MARK_END)
    print(f"\nWritten to {out.relative_to(ROOT)}")


def keep_section(out: Path, previous: str, start: str, end: str) -> None:
    """Carry the last figures of a section this run did not measure into RESULTS.md."""
    from bench import refresh

    if start in previous and end in previous:
        section = previous[previous.index(start):]
        refresh.merge_into(out, section[:section.index(end)] + end + "\n", start, end)


if __name__ == "__main__":
    main()
