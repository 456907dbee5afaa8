"""A segment's reach: how many known customers it matches now, estimated off the request
path, shown before a campaign aimed at it goes live."""

from decimal import Decimal

import pytest

from personalization.jobs.reach import describe, estimate_reach
from personalization.rules import OrderCountRule, PathRule, TotalSpentRule
from tests.factories import CampaignFactory, OrderFactory, SegmentFactory, SlotFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers():
    """Five customers; two spent 100 or more (one in two orders)."""
    people = [UserFactory(username=n) for n in ("anna", "jan", "lisa", "tom", "bram")]
    OrderFactory(user=people[0], total=Decimal("150.00"))
    OrderFactory(user=people[1], total=Decimal("60.00"))
    OrderFactory(user=people[1], total=Decimal("45.00"))
    OrderFactory(user=people[2], total=Decimal("20.00"))
    return people


def segment(slug, *rules, match="all", kind="live"):
    made = SegmentFactory(name=slug.title(), slug=slug, match=match, kind=kind)
    for rule in rules:
        rule.segment = made
        rule.save()
    return made


def test_a_live_segment_of_history_rules_counts_the_customers_it_matches(customers):
    big = segment("big-spenders", TotalSpentRule(minimum=100))
    assert estimate_reach(big.pk) == {"customers": 2, "of": 5}
    big.refresh_from_db()
    assert describe(big) == "2 of 5 known customers"


def test_rules_that_read_the_visit_make_it_an_upper_bound_or_unknown(customers):
    both = segment("buyers-on-cats", OrderCountRule(minimum=1), PathRule(pattern="^/c/cats/"))
    estimate_reach(both.pk)
    both.refresh_from_db()
    assert describe(both) == "at most 3 of 5 known customers, narrowed by the visit"
    either = segment("buyers-or-cats", OrderCountRule(minimum=1), PathRule(pattern="^/cats/"),
                     match="any")
    estimate_reach(either.pk)
    either.refresh_from_db()
    assert describe(either) == "depends on the visit (page, device, cart…), unknown in advance"


def test_a_segment_without_rules_reaches_nobody(customers):
    empty = segment("empty")
    assert estimate_reach(empty.pk)["customers"] == 0


def test_the_admin_shows_the_reach_of_a_segment_and_of_a_campaigns_audience(admin_client,
                                                                            customers):
    big = segment("big-spenders", TotalSpentRule(minimum=100))
    page = admin_client.get(f"/admin/personalization/segment/{big.pk}/change/")
    assert "not estimated yet" in page.content.decode()
    reach = estimate_reach(big.pk)  # what the task does after a save and on every refresh
    known = reach["of"]  # the five customers; the admin (staff) is not one
    assert reach == {"customers": 2, "of": 5}
    assert f"2 of {known} known customers" in admin_client.get(
        f"/admin/personalization/segment/{big.pk}/change/").content.decode()
    campaign = CampaignFactory(name="VIP", slot=SlotFactory(
        key="hero", name="Hero", kind="banner"), variants=(), status="draft")
    campaign.segments.add(big)
    html = admin_client.get(f"/admin/personalization/campaign/{campaign.pk}/change/")
    assert f"Big-Spenders: 2 of {known} known customers" in html.content.decode()
