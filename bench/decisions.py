"""Decision time per slot and page overhead at 10, 100 and 1,000 live campaigns."""

from __future__ import annotations

import gc
import os
import platform
import random
import statistics
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

CAMPAIGN_COUNTS = (10, 100, 1000)
SEGMENTS = 200
VISITORS = 300
# The page table's size; smaller while developing (BENCH_PAIRS=200 BENCH_PASSES=1).
PAIRS = int(os.environ.get("BENCH_PAIRS", 600))
PASSES = int(os.environ.get("BENCH_PASSES", 3))
PAGE_VISITORS = 20
WARM_UP = 3
PREFIX = "bench-"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import django

    return (f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores; "
            f"Python {platform.python_version()}, Django {django.get_version()}, "
            f"database {connection.vendor}, cache "
            f"{'Redis' if os.environ.get('REDIS_URL') else 'local memory'}")


def setup_shop() -> None:
    call_command("migrate", verbosity=0)
    call_command("seed_demo", customers=60, history=False, stdout=open(os.devnull, "w"))


def build_segments(rng: random.Random) -> list:
    from demo_shop.catalog.models import Category
    from personalization.models import Segment
    from personalization.rules import (
        CartValueRule,
        CountryRule,
        DaysSinceLastOrderRule,
        DeviceRule,
        OrderCountRule,
        PathRule,
        PurchasedRule,
        VisitCountRule,
    )

    Segment.objects.filter(slug__startswith=PREFIX).delete()
    categories = list(Category.objects.values_list("pk", flat=True))
    makers = [
        lambda: CountryRule(countries=rng.sample(["NL", "BE", "DE", "FR", "ES"], 2)),
        lambda: DeviceRule(devices=[rng.choice(["mobile", "tablet", "desktop"])]),
        lambda: PathRule(pattern=rf"^/c/{rng.choice(['cat', 'dog', 'pizza', 'boots'])}"),
        lambda: CartValueRule(minimum=Decimal(rng.choice([20, 50, 100]))),
        lambda: VisitCountRule(minimum=rng.choice([2, 3, 5])),
        lambda: PurchasedRule(category_ids=[str(rng.choice(categories))]),
        lambda: OrderCountRule(minimum=rng.choice([1, 3, 6])),
        lambda: DaysSinceLastOrderRule(minimum=rng.choice([30, 90, 120])),
    ]
    segments = []
    for i in range(SEGMENTS):
        seg = Segment.objects.create(name=f"Bench {i}", slug=f"{PREFIX}{i}",
                                     match=rng.choice(["all", "any"]))
        for pos in range(rng.randint(1, 3)):
            rule = rng.choice(makers)()
            rule.segment, rule.position = seg, pos
            rule.save()
        segments.append(seg)
    return segments


def build_campaigns(count: int, segments: list, rng: random.Random) -> None:
    from personalization.engine import rulebook
    from personalization.models import (
        BannerVariant,
        Campaign,
        DiscountVariant,
        PopupVariant,
        ProductListVariant,
        Slot,
        TextVariant,
    )

    Campaign.objects.filter(name__startswith=PREFIX).delete()
    slots = list(Slot.objects.all())
    for i in range(count):
        slot = slots[i % len(slots)]
        c = Campaign.objects.create(name=f"{PREFIX}{i}", slot=slot, status="live",
                                    priority=rng.randint(0, 100),
                                    holdout_percent=rng.choice([0, 0, 10]))
        c.segments.set(rng.sample(segments, rng.randint(1, 2)))
        kind = slot.kind
        for v in range(rng.choice([1, 2])):
            if kind == "banner":
                BannerVariant.objects.create(campaign=c, headline=f"Banner {i}.{v}")
            elif kind == "popup":
                PopupVariant.objects.create(campaign=c, title=f"Popup {i}.{v}")
            elif kind == "discount":
                DiscountVariant.objects.create(campaign=c, code="WELCOME10")
            elif kind == "product_list":
                ProductListVariant.objects.create(campaign=c, strategy="affinity_sort")
            else:
                TextVariant.objects.create(campaign=c, text="Hallo {{ first_name }}")
    rulebook.invalidate()


def visitors(rng: random.Random) -> list[dict]:
    from personalization.adapters import CartLine, CartSnapshot
    from personalization.engine.profiles import ProfileSnapshot

    now = timezone.now()
    people = []
    for n in range(VISITORS):
        known = n % 2 == 0
        profile = ProfileSnapshot(
            profile_id=n, visitor_id=f"00000000-0000-0000-0000-{n:012d}",
            order_count=rng.randint(0, 12), total_spent=Decimal(rng.randint(0, 900)),
            last_order_at=now - timedelta(days=rng.randint(1, 300)),
            categories={rng.randint(1, 18): now - timedelta(days=rng.randint(1, 200))},
        ) if known else None
        people.append({
            "visitor_id": f"00000000-0000-0000-0000-{n:012d}",
            "country": rng.choice(["NL", "BE", "DE", "FR", "ES", None]),
            "device": rng.choice(["mobile", "desktop", "tablet"]),
            "path": rng.choice(["/", "/c/cat-litter/", "/c/dog-food/", "/p/x/", "/search/"]),
            "visit_count": rng.randint(1, 8),
            "cart": CartSnapshot(lines=(CartLine(1, (2,), 1, Decimal(rng.randint(5, 150))),)),
            "profile": profile,
        })
    return people


def time_decisions(people: list[dict]) -> list[float]:
    from personalization.engine.decide import SWITCHED_OFF, choose
    from personalization.engine.rulebook import get_rulebook
    from personalization.testing import make_context

    keys = list(get_rulebook().slots)
    samples = []
    off = 0
    for facts in people:
        ctx = make_context(**facts)
        ctx.rulebook  # noqa: B018  (one cache read per request, as the middleware does)
        for key in keys:
            start = time.perf_counter_ns()
            decision = choose(key, ctx)
            samples.append((time.perf_counter_ns() - start) / 1000)
            off += decision.notes == [SWITCHED_OFF]
    if off:
        raise RuntimeError("The kill switch was on while timing decisions.")
    return samples


def switch_books() -> dict[bool, Any]:
    """The RuleBook this process compiles with the kill switch off and with it on, each
    built through the real switch (saving it moves the RuleBook version, as in the admin)."""
    from waffle.models import Switch

    from personalization.engine import rulebook

    books = {}
    for switched_off in (True, False):
        Switch.objects.update_or_create(name="personalization_off",
                                        defaults={"active": switched_off})
        rulebook.reset_local()
        books[switched_off] = rulebook.get_rulebook()
        assert books[switched_off].switched_off is switched_off
    return books


def use_book(book: Any) -> None:
    """Make ``book`` this process's current RuleBook, as if the switch had just been
    toggled and the book built (without building it again for every request)."""
    from personalization.engine import rulebook

    rulebook._cache().set(rulebook.VERSION_KEY, book.version, None)
    rulebook._Local.book = book


NEW_SHARE = 0.7  # of the page pairs, those whose visitor is new (unique facts)
#: The browsers the page requests come from (visitors in turn): the device rules read them.
AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
)


def returning_visitors() -> list[Client]:
    """Browsers of consenting visitors with fixed visitor ids, so every run buckets them
    alike (holdouts and variants change what a page shows, and so what it costs)."""
    from personalization.conf import app_settings
    from personalization.engine.cookies import VisitorState
    from personalization.testing import give_consent

    clients = []
    for n in range(PAGE_VISITORS):
        client = give_consent(Client())
        client.cookies[app_settings.VISITOR_COOKIE_NAME] = VisitorState(
            vid=f"00000000-0000-0000-0000-{n:012d}", last=int(time.time())).dumps()
        clients.append(client)
    return clients


def new_visitor() -> Client:
    """A browser seen for the first time: no visitor cookie, consent given on the banner."""
    from personalization.testing import give_consent

    return give_consent(Client())


def time_page(path: str, books: dict[bool, Any], new_share: float) -> dict[str, float]:
    """Median milliseconds of the page with personalization on and off, requested in
    pairs (on, off / off, on alternately), and the median of the pairs' differences: slow
    drift of the machine hits both halves of a pair alike. In ``new_share`` of the pairs
    each half is a new visitor's first page, with a query string of its own (unique facts:
    a new path, new UTM parameters); in the rest, one of the returning visitors. Each
    comes from one of :data:`AGENTS`, a returning visitor always from the same."""
    returning = returning_visitors()
    for switched_off in (True, False):
        use_book(books[switched_off])
        for n, client in enumerate(returning):
            for _ in range(WARM_UP):
                client.get(path, HTTP_CF_IPCOUNTRY="NL",
                           HTTP_USER_AGENT=AGENTS[n % len(AGENTS)])
    gc.collect()
    times: dict[bool, list[float]] = {True: [], False: []}
    differences = []
    for i in range(PAIRS):
        pair = {}
        new = (i * 7919) % 100 < new_share * 100
        for switched_off in ((False, True) if i % 2 else (True, False)):
            client = new_visitor() if new else returning[i % len(returning)]
            url = f"{path}?utm_source=bench{i}&ref={i}" if new else path
            use_book(books[switched_off])
            start = time.perf_counter()
            response = client.get(url, HTTP_CF_IPCOUNTRY="NL",
                                  HTTP_USER_AGENT=AGENTS[i % len(returning) % len(AGENTS)])
            pair[switched_off] = (time.perf_counter() - start) * 1000
            assert response.status_code == 200
            times[switched_off].append(pair[switched_off])
        differences.append(pair[False] - pair[True])
    on, off = statistics.median(times[False]), statistics.median(times[True])
    return {"on": on, "off": off, "paired": statistics.median(differences) / off * 100}


REDIS_START = "<!-- redis benchmark -->"
REDIS_END = "<!-- /redis benchmark -->"


MIXES = (("70/30 new/returning", NEW_SHARE), ("returning only", 0.0))
#: The targets (issue 29): decision p95 per slot (µs) by live campaigns, and page overhead (%)
#: by mix.
DECISION_TARGETS = {100: 25.0, 1000: 50.0}
PAGE_TARGETS = {"70/30 new/returning": 5.0, "returning only": 3.0}


def section_marks(vendor: str) -> tuple[str, str]:
    return f"<!-- decisions on {vendor} -->", f"<!-- /decisions on {vendor} -->"


def run(redis: bool = False, pages: bool = True, section: bool = False) -> str:
    """The report; with ``redis``, only the page table, as a section for RESULTS.md; without
    ``pages``, only the decision table (``python -m bench decisions``); with ``section``,
    the decision and page tables and the targets as a section of RESULTS.md
    (``python -m bench pages``)."""
    from waffle.models import Switch

    from personalization.engine import rulebook
    from personalization.measurement.events import flush_events

    rng = random.Random(7)
    print("Preparing the demo shop …", flush=True)
    setup_shop()
    Switch.objects.update_or_create(name="personalization_off", defaults={"active": False})
    flush_events()  # whatever an earlier run left in the buffer
    segments = build_segments(rng)
    people = visitors(rng)
    lines = ["# Benchmark results", "", f"Machine: {machine()}.", "",
             f"{SEGMENTS} segments (1–3 rules each: country, device, path, cart value, visits, "
             "purchase history, order count, recency); campaigns spread over the demo's 10 "
             "slots, each aimed at 1–2 segments; "
             f"{VISITORS} visitors (half known customers with order history).", "",
             "## Decision time per slot (warm RuleBook, visitors never seen before)", "",
             f"Each of the {VISITORS} visitors is decided once, on a context of his own (his "
             "facts and rule answers are worked out on his first slot; nothing is kept from "
             "one visitor to the next), for every slot of the demo. *Candidates*: the "
             "campaigns the candidate index leaves a visitor on average, of a slot's live "
             "ones (it leaves out those whose audience requires another country, device, "
             "language, category or path, or a customer profile or a cart the visitor lacks); "
             "the walk stops at the first that wins.", "",
             "| live campaigns | p50 µs | p95 µs | p99 µs | decisions | candidates per slot |",
             "|---:|---:|---:|---:|---:|---:|"]
    page_rows = ["", "## Whole request: demo home page and a category page", "",
                 "The same page with personalization on, and with the kill switch on (every "
                 "slot shows its default), for visitors who accepted all purposes, on "
                 f"{len(AGENTS)} common browsers (desktop, phone, tablet), in two "
                 f"mixes: *70/30*, where in {NEW_SHARE:.0%} of the pairs each request is a new "
                 "visitor's first page (no cookie yet, a query string of its own: unique path "
                 f"and UTM facts) and in the rest one of {PAGE_VISITORS} returning visitors; "
                 "and *returning only*, those returning visitors alone (fixed visitor ids, so "
                 f"each run buckets them alike). {PASSES} passes of {PAIRS:,} pairs of "
                 "requests per row, warm, each pair on and off (in turn which first); both "
                 "RuleBooks are built through the real switch and kept, so a pair needs no "
                 "rebuild. Overhead of a pass: the median of its pairs' differences over its "
                 "median page with the switch off. The table gives the middle pass (by "
                 "overhead) and the range of the passes: the machine (a shared virtual "
                 "machine) drifts by a few percent from minute to minute.", "",
                 "| live campaigns | visitors | page | on, median ms | off, median ms "
                 "| overhead | passes |",
                 "|---:|---|---|---:|---:|---:|---:|"]
    p95s: dict[int, float] = {}
    overheads: dict[str, list[float]] = {mix: [] for mix, _share in MIXES}
    # Impressions are buffered on the request; the bulk insert runs on a Celery worker in
    # production, so it is kept out of the request timings here (flushed between runs).
    flush_size = {"PERSONALIZATION": {**settings.PERSONALIZATION,
                                      "EVENT_BUFFER_FLUSH_SIZE": 10**9}}
    # Production mode: DEBUG off (templates cached, no query log).
    with override_settings(DEBUG=False, ALLOWED_HOSTS=["*"], **flush_size):
        for count in CAMPAIGN_COUNTS:
            build_campaigns(count, segments, rng)
            rulebook.reset_local()
            rulebook.get_rulebook()
            time_decisions(people[:20])  # warm-up
            samples = time_decisions(people)
            p50, p95, p99 = (percentile(samples, p) for p in (50, 95, 99))
            p95s[count] = p95
            row = (f"| {count:,} | {p50:.1f} | {p95:.1f} | {p99:.1f} | {len(samples):,} | "
                   f"{walked(people, count)} |")
            print(row, flush=True)
            lines.append(row)
            if not pages:
                continue
            books = switch_books()
            for mix, share in MIXES:
                for path in ("/", "/c/cat-litter/"):
                    passes = sorted((time_page(path, books, share) for _ in range(PASSES)),
                                    key=lambda p: p["paired"])
                    flush_events()
                    page = passes[len(passes) // 2]
                    overheads[mix].append(page["paired"])
                    row = (f"| {count:,} | {mix} | `{path}` | {page['on']:.2f} | "
                           f"{page['off']:.2f} | {page['paired']:+.1f} % | "
                           f"{passes[0]['paired']:+.1f} … {passes[-1]['paired']:+.1f} % |")
                    print(row, flush=True)
                    page_rows.append(row)
            Switch.objects.update_or_create(name="personalization_off",
                                            defaults={"active": False})
    if not pages:
        return "\n".join(lines) + "\n"
    if redis:
        return "\n".join([
            REDIS_START, "## Whole request with Redis as the cache", "",
            f"Machine: {machine()}.", "",
            "As above, with Django's Redis cache for the sessions, the RuleBook version "
            "and the event buffer (a response appends its impressions to a list in the "
            "process; a background thread pushes them to Redis every "
            "`EVENT_SEND_INTERVAL`, 0.1 s, in one RPUSH).", "",
            *page_rows[5:], REDIS_END]) + "\n"
    targets = ["", f"## Targets (issue 29) in this run ({connection.vendor})", "",
               *(f"- decision p95 under {limit:g} µs per slot at {count:,} campaigns: "
                 f"{'met' if p95s[count] < limit else '**missed**'} ({p95s[count]:.1f} µs);"
                 for count, limit in DECISION_TARGETS.items()),
               *(f"- page overhead at most {limit:g} % ({mix}, 10 to 1,000 campaigns): "
                 f"{'met' if max(overheads[mix]) <= limit else '**missed**'} (worst "
                 f"{max(overheads[mix]):+.1f} %);" for mix, limit in PAGE_TARGETS.items()),
               "- 0 queries on the app's tables on a warm page (anonymous, consenting, known "
               "visitor): pinned by tests/test_page_budget.py, not measured here.", "",
               "## How the decision is made fast", "",
               "A slot's campaigns are walked in priority order, as before, but only those "
               "the slot's candidate index leaves for this visitor: built with the RuleBook "
               "(never learnt from traffic), it keys each campaign by a cheap fact every "
               "segment of its audience requires (docs/architecture.md, *Candidate index*). "
               "Where a figure above misses a target, that is published here, not won back "
               "with caches or learning.", "",
               "Impressions are buffered during the timed requests; their bulk insert runs "
               "on a Celery worker in production and between runs here.", "",
               "Run again with `make bench` (local memory; then, if Redis answers on "
               "127.0.0.1:6379, the page table again with Redis). Set `DATABASE_URL` to "
               "measure on PostgreSQL. `python -m bench decisions` prints the decision "
               "table alone; `BENCH_PAIRS` and `BENCH_PASSES` shrink the page table while "
               "developing."]
    if section:
        start, end = section_marks(connection.vendor)
        return "\n".join([
            start, f"## Decisions and page overhead on {connection.vendor}", "",
            f"Machine: {machine()}.", "", *lines[4:], *page_rows, *targets[:8], end]) + "\n"
    return "\n".join(lines + page_rows + targets) + "\n"


def walked(people: list[dict], count: int) -> str:
    """The candidates the index leaves a visitor, on average per slot, of its live
    campaigns (a walk stops at the first that wins, so it passes fewer)."""
    from personalization.engine.rulebook import get_rulebook
    from personalization.testing import make_context

    slots = [slot for slot in get_rulebook().slots.values() if slot.campaigns]
    left = sum(len(list(slot.index.candidates(make_context(**facts))))
               for facts in people for slot in slots)
    live = sum(len(slot.campaigns) for slot in slots)
    return f"{left / len(people) / len(slots):.1f} of {live / len(slots):.1f}"
