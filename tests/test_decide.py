"""The decision of DESIGN §4: priority, schedule, caps, audience, bucketing, reasons."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone
from waffle.testutils import override_switch

from personalization.engine import rulebook
from personalization.engine.context import Caps, VisitorState
from personalization.engine.decide import choose
from personalization.rules import CartValueRule, CountryRule, DeviceRule
from personalization.testing import make_context
from tests.builders import campaign, segment, slot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rulebook():
    rulebook.reset_local()
    yield
    rulebook.reset_local()


def visitor(n: int = 1, **facts):
    vid = f"00000000-0000-0000-0000-{n:012d}"
    return make_context(visitor_id=vid, state=VisitorState(vid=vid), **facts)


def test_highest_priority_matching_campaign_wins_and_says_why():
    s = slot()
    dutch = segment("dutch", CountryRule(countries=["NL"]))
    campaign(s, "Everybody", variants=("Hello all",), priority=1)
    campaign(s, "Dutch", segments=(dutch,), variants=("Hallo",), priority=10)
    d = choose("home_hero", visitor(country="NL"))
    assert d.variant.headline == "Hallo"
    assert any("visitor is in segment 'Dutch'" in r for r in d.reasons)
    d = choose("home_hero", visitor(country="DE"))
    assert d.variant.headline == "Hello all"
    assert any("'Dutch' (priority 10): skipped, not in its audience" in r and "country is NL ✗"
               in r for r in d.reasons)


def test_only_live_campaigns_in_schedule_are_shown():
    s = slot()
    now = timezone.now()
    campaign(s, "Draft", status="draft", priority=50)
    campaign(s, "Paused", status="paused", priority=40)
    campaign(s, "Later", starts_at=now + timedelta(days=1), priority=30)
    campaign(s, "Over", ends_at=now - timedelta(days=1), priority=20)
    d = choose("home_hero", visitor())
    assert d.variant is None
    assert any("has not started yet" in r for r in d.reasons)
    assert any("has ended" in r for r in d.reasons)
    assert d.reasons[-1] == "showing the default content"


def test_daily_window_wraps_midnight():
    s = slot()
    campaign(s, "Night", hour_start=22, hour_end=6)
    from zoneinfo import ZoneInfo
    night = timezone.now().astimezone(ZoneInfo("Europe/Amsterdam")).replace(hour=23)
    day = night.replace(hour=12)
    assert choose("home_hero", visitor(now=night)).variant is not None
    d = choose("home_hero", visitor(now=day))
    assert d.variant is None and any("runs only 22:00–6:00" in r for r in d.reasons)


def test_segment_any_all_and_negate():
    s = slot()
    not_mobile_nl = segment("nl-desktop", CountryRule(countries=["NL"]),
                            DeviceRule(devices=["mobile"], negate=True))
    campaign(s, "NL desktop", segments=(not_mobile_nl,))
    assert choose("home_hero", visitor(country="NL", device="desktop")).variant
    assert choose("home_hero", visitor(country="NL", device="mobile")).variant is None
    s2 = slot("side", "banner")
    either = segment("either", CountryRule(countries=["BE"]), DeviceRule(devices=["mobile"]),
                     match="any")
    campaign(s2, "Either", segments=(either,))
    rulebook.invalidate()  # what the on-commit hook does after a real save
    assert choose("side", visitor(country="BE", device="desktop")).variant
    assert choose("side", visitor(country="DE", device="mobile")).variant
    assert choose("side", visitor(country="DE", device="desktop")).variant is None


def test_sticky_weighted_bucketing():
    s = slot()
    c = campaign(s, "AB", variants=("A", "B"), weights=(1, 3))
    picks = Counter()
    for n in range(2000):
        first = choose("home_hero", visitor(n)).variant.headline
        again = choose("home_hero", visitor(n)).variant.headline
        assert first == again  # same visitor, same answer
        picks[first] += 1
    assert 0.20 < picks["A"] / 2000 < 0.30  # weight 1 of 4
    assert c.variants.count() == 2


def test_holdout_shows_default_as_control():
    s = slot()
    campaign(s, "Half held out", holdout_percent=30)
    control = 0
    for n in range(2000):
        d = choose("home_hero", visitor(n))
        assert d.campaign is not None
        if d.control:
            control += 1
            assert d.variant is None and any("held out as control" in r for r in d.reasons)
    assert 0.25 < control / 2000 < 0.35


def test_frequency_cap_skips_campaign_once_reached():
    s = slot()
    c = campaign(s, "Capped", cap_impressions=2, cap_period_hours=24, priority=5)
    campaign(s, "Fallback", variants=("fallback",))
    import time
    caps = Caps()
    caps.add(c.pk, 24, int(time.time()))
    assert choose("home_hero", visitor(caps=caps)).variant.headline == "A"
    caps.add(c.pk, 24, int(time.time()))
    d = choose("home_hero", visitor(caps=caps))
    assert d.variant.headline == "fallback"
    assert any("frequency cap of 2 per 24 h reached" in r for r in d.reasons)


def test_one_popup_per_page():
    campaign(slot("popup_a", "popup"), "First popup")
    campaign(slot("popup_b", "popup"), "Second popup")
    ctx = visitor()
    assert choose("popup_a", ctx).variant is not None
    second = choose("popup_b", ctx)
    assert second.variant is None
    assert any("another popup is already on this page" in r for r in second.reasons)


def test_a_raising_rule_is_logged_and_counts_as_no_match(caplog):
    s = slot()
    broken = segment("broken", CartValueRule(minimum=1))
    campaign(s, "Broken", segments=(broken,), priority=9)
    campaign(s, "Safe", variants=("safe",))

    d = choose("home_hero", visitor(cart=None))  # None.total raises AttributeError
    assert d.variant.headline == "safe"
    assert any("failed (AttributeError" in r for r in d.reasons)
    assert "raised; treated as no match" in caplog.text


def test_kill_switch_turns_every_slot_to_default():
    s = slot()
    campaign(s, "Everybody")
    with override_switch("personalization_off", active=True):
        d = choose("home_hero", visitor())
    assert d.variant is None and d.reasons == ["personalization is switched off"]
    assert choose("home_hero", visitor(2)).variant is not None


def test_unknown_slot_and_decisions_memoised_per_request():
    ctx = visitor()
    d = choose("nowhere", ctx)
    assert d.variant is None and "no slot 'nowhere' is defined" in d.reasons[0]
    assert choose("nowhere", ctx) is d


def test_segment_given_by_slug_simulates_membership():
    s = slot()
    vip = segment("vip", CountryRule(countries=["XX"]))
    campaign(s, "VIP", segments=(vip,))
    assert choose("home_hero", visitor(segments={"vip"})).variant is not None


def test_bucketing_is_the_same_in_every_release():
    # A visitor's holdout and variant must not move when the package is upgraded.
    from personalization.engine.rulebook import bucket

    vid = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert bucket(vid, 12) == 0.11777839982247412
    assert bucket(vid, 12, "variant") == 0.3878751371249156


def count_calls(monkeypatch, name):
    """A list that grows by one for each call of ``decide.<name>`` from now on."""
    from personalization.engine import decide

    calls = []
    original = getattr(decide, name)
    monkeypatch.setattr(decide, name, lambda *a: calls.append(1) or original(*a))
    return calls


def request_rule_makers(rng):
    """Makers of random country (sometimes negated), device, cart and visit rules."""
    from personalization.rules import VisitCountRule

    return [
        lambda: CountryRule(countries=rng.sample(["NL", "BE", "DE", "FR"], 2),
                            negate=rng.random() < 0.3),
        lambda: DeviceRule(devices=[rng.choice(["mobile", "desktop"])]),
        lambda: CartValueRule(minimum=rng.choice([20, 50, 100])),
        lambda: VisitCountRule(minimum=rng.choice([2, 3])),
    ]


def tree_shop(rng):
    """Twelve segments over country, device, cart and visits (some negated, some any-of, one
    computed, one disabled) and twenty campaigns on one slot, some scheduled or capped."""
    makers = request_rule_makers(rng)
    segments = [segment(f"s{i}", *(rng.choice(makers)() for _ in range(rng.randint(1, 3))),
                        match=rng.choice(["all", "any"])) for i in range(12)]
    segments.append(segment("computed", kind="computed"))
    off = segment("off", DeviceRule(devices=["desktop"]))
    off.enabled = False
    off.save()
    segments.append(off)
    s = slot()
    now = timezone.now()
    ids = []
    for i in range(20):
        fields = {}
        if i % 7 == 3:
            fields["ends_at"] = now - timedelta(days=1)  # over
        if i % 5 == 4:
            fields["cap_impressions"] = 1
        audience = tuple(rng.sample(segments, rng.randint(1, 2))) if i % 9 else ()
        # Scheduled and capped campaigns first, so every visitor's walk asks about them.
        priority = (60 + i if fields else rng.randint(0, 50)) if audience else -i
        ids.append(campaign(s, f"C{i}", segments=audience, priority=priority, **fields).pk)
    rulebook.invalidate()
    return ids


def test_the_decision_tree_gives_every_visitor_what_walking_the_campaigns_gives(monkeypatch):
    import random

    from personalization.engine import decide

    rng = random.Random(3)
    ids = tree_shop(rng)
    people = [dict(country=rng.choice(["NL", "BE", "DE", "FR", None]),
                   device=rng.choice(["mobile", "desktop"]),
                   cart_total=rng.choice([0, 30, 60, 150]),
                   state=VisitorState(vid=f"00000000-0000-0000-0000-{n:012d}",
                                      visits=rng.randint(1, 4)),
                   caps=Caps(counts={str(c): [1, 2_000_000_000] for c in
                                     rng.sample(ids, 8)}))
              for n in range(300)]

    def walked(facts):  # the campaigns walked one by one, no tree
        ctx = make_context(**facts)
        book = ctx.rulebook
        return decide._search(book.slots["home_hero"], ctx, book, 1_700_000_000, None)

    def decided(facts):
        ctx = make_context(**facts)
        decide.choose("home_hero", ctx)
        return decide._find(ctx.rulebook.slots["home_hero"], ctx, ctx.rulebook, 1_700_000_000)

    monkeypatch.setattr(decide.time, "time", lambda: 1_700_000_000)
    first = [decided(p) for p in people]  # grows the tree
    expected = [walked(p) for p in people]
    book = rulebook.get_rulebook()
    grown = book.slots["home_hero"].tree_size
    walks = count_calls(monkeypatch, "_search")
    again = [decided(p) for p in people]  # follows the tree: no walk, no new node
    assert not walks
    assert book.slots["home_hero"].tree_size == grown > 0
    assert first == again == expected
    assert len(set(first)) >= 4  # the visitors really differ


def test_a_full_decision_tree_stops_growing_and_decides_the_same(monkeypatch):
    import random

    from personalization.engine import decide

    rng = random.Random(5)
    tree_shop(rng)
    monkeypatch.setattr(decide, "TREE_BUDGET", 12)
    winners = []
    for n, country in enumerate(["NL", "BE", "DE", "FR", None] * 4):
        ctx = visitor(n, country=country, device="mobile" if n % 2 else "desktop",
                      cart_total=n * 10)
        winners.append(choose("home_hero", ctx).campaign_id)
        book = ctx.rulebook
        expected = decide._search(book.slots["home_hero"], make_context(
            country=country, device="mobile" if n % 2 else "desktop", cart_total=n * 10,
            visitor_id=ctx.visitor_id), book, int(decide.time.time()), None)
        index = expected[0] if expected else None
        assert winners[-1] == (book.slots["home_hero"].campaigns[index].id
                               if index is not None else None)
    assert rulebook.get_rulebook().slots["home_hero"].tree_size <= 12


def fact_shop(rng):
    """Ten segments over request facts, consent-bound order history (a known customer's
    profile) and UTM parameters (dictionaries), and fifteen campaigns with no schedule, cap
    or flag on one slot: every walk is decided by facts alone."""
    from personalization.rules import OrderCountRule, PathRule, UTMRule

    makers = [
        *request_rule_makers(rng),
        lambda: PathRule(pattern=rng.choice([r"^/c/", r"^/p/", r"^/$"])),
        lambda: OrderCountRule(minimum=rng.choice([1, 3])),
        lambda: UTMRule(parameter="source", values=[rng.choice(["mail", "ads"])]),
    ]
    segments = [segment(f"s{i}", *(rng.choice(makers)() for _ in range(rng.randint(1, 3))),
                        match=rng.choice(["all", "any"])) for i in range(10)]
    s = slot()
    for i in range(15):
        campaign(s, f"C{i}", segments=tuple(rng.sample(segments, rng.randint(1, 2))),
                 priority=rng.randint(0, 50), variants=(f"V{i}",))
    rulebook.invalidate()


def fact_people(rng, count):
    return [dict(country=rng.choice(["NL", "BE", "DE", "FR", None]),
                 device=rng.choice(["mobile", "desktop"]),
                 cart_total=rng.choice([0, 30, 60, 150]),
                 visit_count=rng.randint(1, 4),
                 path=rng.choice(["/", "/c/cats/", "/p/litter/"]),
                 utm_first=rng.choice([{}, {"source": "mail"}, {"source": "ads"}]),
                 profile=rng.choice([None, {"order_count": 2}, {"order_count": 5}]),
                 consents={"personalization": rng.random() < 0.8},
                 visitor_id=f"00000000-0000-0000-0000-{n:012d}")
            for n in range(count)]


def test_the_fact_tree_decides_returning_facts_without_running_a_rule(monkeypatch):
    import random

    from personalization.engine import decide

    rng = random.Random(11)
    fact_shop(rng)
    people = fact_people(rng, 300)
    monkeypatch.setattr(decide, "LEARN_EVERY", 1)  # learn from every miss

    def walked(facts):  # the campaigns walked one by one: no tree of either kind
        ctx = make_context(**facts)
        book = ctx.rulebook
        found = decide._search(book.slots["home_hero"], ctx, book, 0, None)
        return book.slots["home_hero"].campaigns[found[0]].id if found else None

    def decided(facts):
        ctx = make_context(**facts)
        return choose("home_hero", ctx).campaign_id, len(ctx._rule_results)

    first = [decided(p) for p in people]  # grows both trees
    expected = [walked(p) for p in people]
    book = rulebook.get_rulebook()
    grown = book.slots["home_hero"].facts_size
    walks = count_calls(monkeypatch, "_search")
    again = [decided(p) for p in people]
    assert [w for w, _ in first] == [w for w, _ in again] == expected
    assert len({w for w, _ in first}) >= 5  # the visitors really differ
    # The second time round every visitor's facts are known (a customer's profile too):
    # no walk, no rule, no new node.
    assert not walks
    assert all(rules == 0 for _, rules in again)
    assert any(rules > 0 for _, rules in first)
    assert book.slots["home_hero"].facts_size == grown > 0


def test_a_full_fact_tree_starts_again_and_decides_the_same(monkeypatch):
    import random

    from personalization.engine import decide

    rng = random.Random(13)
    fact_shop(rng)
    monkeypatch.setattr(decide, "FACT_TREE_BUDGET", 15)
    monkeypatch.setattr(decide, "LEARN_EVERY", 1)
    people = fact_people(rng, 60)
    for facts in people + people:
        ctx = make_context(**facts)
        book = ctx.rulebook
        expected = decide._search(book.slots["home_hero"], make_context(**facts), book, 0,
                                  None)
        assert choose("home_hero", ctx).campaign_id == (
            book.slots["home_hero"].campaigns[expected[0]].id if expected else None)
        assert book.slots["home_hero"].facts_size <= 15


def test_rules_on_the_clock_are_asked_on_every_request(monkeypatch):
    """A rule that reads the time is a question the fact tree asks live, never a value it
    remembers: the same facts at another hour decide otherwise."""
    from datetime import datetime, time

    from personalization.engine import decide
    from personalization.rules import TimeOfDayRule

    s = slot()
    morning = segment("morning", DeviceRule(devices=["mobile"]),
                      TimeOfDayRule(start=time(6), end=time(12)))
    campaign(s, "Coffee", segments=(morning,), variants=("Coffee?",), priority=5)
    monkeypatch.setattr(decide, "LEARN_EVERY", 1)
    tz = timezone.get_current_timezone()

    def shown(hour):
        v = choose("home_hero", visitor(device="mobile",
                                        now=datetime(2026, 11, 30, hour, tzinfo=tz))).variant
        return v.headline if v else None

    assert [shown(8), shown(20)] == ["Coffee?", None]  # both paths learnt
    walks = count_calls(monkeypatch, "_find_by_rules")
    assert [shown(9), shown(21), shown(7)] == ["Coffee?", None, "Coffee?"]
    assert not walks  # decided by the fact tree, with the clock asked each time


def test_a_frequency_cap_is_counted_on_every_request(monkeypatch):
    """A capped campaign is a question the fact tree asks live: once the visitor has seen
    it as often as allowed, the next campaign shows, though his facts are the same."""
    from personalization.engine import decide

    s = slot()
    dutch = segment("dutch", CountryRule(countries=["NL"]))
    campaign(s, "Twice", segments=(dutch,), variants=("Twice",), priority=9,
             cap_impressions=2, cap_period_hours=24)
    campaign(s, "Always", segments=(dutch,), variants=("Always",), priority=1)
    monkeypatch.setattr(decide, "LEARN_EVERY", 1)
    caps = Caps()
    seen = []
    for _ in range(4):
        ctx = visitor(country="NL", caps=caps)
        d = choose("home_hero", ctx)
        seen.append(d.variant.headline)
        if d.campaign.cap_impressions:
            caps.add(d.campaign.id, d.campaign.cap_period_hours, int(decide.time.time()))
    assert seen == ["Twice", "Twice", "Always", "Always"]


def test_a_broken_rule_is_logged_on_every_request_it_is_asked(caplog):
    s = slot()
    broken = segment("broken", CartValueRule(minimum=1))
    campaign(s, "Broken", segments=(broken,), priority=9)
    campaign(s, "Fallback", variants=("Hi",), priority=1)
    for _ in range(3):
        assert choose("home_hero", visitor(cart=None)).variant.headline == "Hi"
    assert caplog.text.count("raised; treated as no match") == 3


def test_a_slot_learns_from_one_miss_in_learn_every(monkeypatch):
    """One-off visitors cost little learning; facts that come back are soon learnt."""
    from personalization.engine import decide

    s = slot()
    dutch = segment("dutch", CountryRule(countries=["NL"]), CartValueRule(minimum=1))
    campaign(s, "Dutch", segments=(dutch,), variants=("Hallo",), priority=5)
    monkeypatch.setattr(decide, "LEARN_EVERY", 4)
    learnt = []
    learn = decide._learn
    monkeypatch.setattr(decide, "_learn", lambda *a: learnt.append(a[1].cart) or learn(*a))
    carts = [visitor(n, country="NL", cart_total=n) for n in range(1, 10)]  # all different
    assert [choose("home_hero", c).variant.headline for c in carts] == ["Hallo"] * 9
    assert len(learnt) == 3  # misses 1, 5 and 9
    again = visitor(1, country="NL", cart_total=1)  # the first cart comes back: known
    assert choose("home_hero", again).variant.headline == "Hallo"
    assert not again._rule_results and len(learnt) == 3


def test_customers_and_anonymous_visitors_share_the_fact_tree(monkeypatch):
    """A rule that reads the profile, and the clock only for a customer: an anonymous
    visitor's path and a customer's path share their first facts and are both learnt."""
    from personalization.engine import decide
    from personalization.rules import DaysSinceLastOrderRule

    s = slot()
    lapsed = segment("lapsed", DaysSinceLastOrderRule(minimum=30))
    campaign(s, "Come back", segments=(lapsed,), variants=("We miss you",), priority=5)
    campaign(s, "Everybody", variants=("Hello",), priority=1)
    monkeypatch.setattr(decide, "LEARN_EVERY", 1)
    now = timezone.now()
    customer = {"order_count": 3, "last_order_at": now - timedelta(days=40)}

    def shown(profile):
        return choose("home_hero", visitor(profile=profile, now=now)).variant.headline

    assert [shown(None), shown(customer)] == ["Hello", "We miss you"]  # both learnt
    walks = count_calls(monkeypatch, "_find_by_rules")
    assert [shown(customer), shown(None)] == ["We miss you", "Hello"]
    assert not walks


def test_the_fact_tree_with_live_questions_decides_as_the_walk(monkeypatch):
    """Schedules, caps, a computed segment and a disabled one (tree_shop), customers and
    anonymous visitors, each coming back three times: always the walk's winner."""
    import random

    from personalization.engine import decide

    rng = random.Random(17)
    ids = tree_shop(rng)
    monkeypatch.setattr(decide, "LEARN_EVERY", 1)
    monkeypatch.setattr(decide.time, "time", lambda: 1_700_000_000)
    people = [dict(country=rng.choice(["NL", "BE", "DE", "FR", None]),
                   device=rng.choice(["mobile", "desktop"]),
                   cart_total=rng.choice([0, 30, 60, 150]),
                   profile=rng.choice([None, {"order_count": 2, "segment_ids": frozenset()}]),
                   caps=Caps(counts={str(c): [1, 2_000_000_000] for c in rng.sample(ids, 8)}),
                   visitor_id=f"00000000-0000-0000-0000-{n:012d}")
              for n in range(150)]

    def walked(facts):
        ctx = make_context(**facts)
        book = ctx.rulebook
        found = decide._search(book.slots["home_hero"], ctx, book, 1_700_000_000, None)
        return book.slots["home_hero"].campaigns[found[0]].id if found else None

    expected = [walked(p) for p in people]
    for _ in range(3):
        assert [choose("home_hero", make_context(**p)).campaign_id for p in people] == expected
    assert len(set(expected)) >= 4
    assert rulebook.get_rulebook().slots["home_hero"].facts_size > 0
