"""A run's figures for one computed segment's customers, and each visitor's revenue before
the run (CUPED's covariate), rolled up from the raw events and shown in the admin report."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from personalization.measurement.experiments import sync_run
from personalization.measurement.reports import run_report
from personalization.measurement.rollups import LATE_MARGIN, roll_up, roll_up_day, roll_up_late
from personalization.models import (
    DailyRollup,
    Event,
    ExperimentRun,
    VisitorProfile,
)
from tests.factories import (
    BannerVariantFactory,
    CampaignFactory,
    SegmentFactory,
    SegmentMembershipFactory,
    SlotFactory,
    VisitorAliasFactory,
    VisitorProfileFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """A hero experiment (holdout + one variant); three customers, two of them in 'Regulars'
    (anna on two devices); ten anonymous visitors; orders before and during the run."""
    slot = SlotFactory(key="hero", name="Hero", kind="banner")
    campaign = CampaignFactory(name="Hero test", slot=slot, status="live",
                               holdout_percent=50, variants=())
    variant = BannerVariantFactory(campaign=campaign, name="Cats", headline="Cats")
    run = sync_run(campaign)
    start = run.started_at
    regulars = SegmentFactory(name="Regulars", slug="regulars", kind="computed")
    users = {name: get_user_model().objects.create_user(name) for name in ("anna", "bob", "cor")}
    profiles = {name: VisitorProfileFactory(user=u) for name, u in users.items()}
    for name in ("anna", "bob"):
        SegmentMembershipFactory(segment=regulars, user=users[name])
    phone = uuid.uuid4()
    VisitorAliasFactory(alias=phone, profile=profiles["anna"])
    ids = {name: p.visitor_id for name, p in profiles.items()}
    rows = []

    def order(vid, value, at, campaign=None, ref=None):
        rows.append(Event(visitor_id=vid, type="conversion", campaign=campaign, value=value,
                          reference=ref or f"R{len(rows)}", created_at=at))

    # Before the run (program conversions, one per order): anna on her phone, bob; cor's
    # order is older than the 90-day pre-period and does not count.
    order(phone, Decimal("100"), start - timedelta(days=20))
    order(ids["bob"], Decimal("40"), start - timedelta(days=5))
    order(ids["bob"], Decimal("10"), start - timedelta(days=2))
    order(ids["cor"], Decimal("999"), start - timedelta(days=200))
    arms = {"anna": (False, variant), "bob": (True, None), "cor": (False, variant)}
    for name, (control, shown) in arms.items():
        rows.append(Event(visitor_id=ids[name], type="impression", campaign=campaign,
                          control=control, variant=shown, created_at=start + timedelta(hours=1)))
    order(phone, Decimal("80"), start + timedelta(hours=3), campaign, "A1")  # anna, in run
    order(ids["bob"], Decimal("20"), start + timedelta(hours=4), campaign, "B1")
    for n in range(10):
        vid = uuid.uuid4()
        rows.append(Event(visitor_id=vid, type="impression", campaign=campaign,
                          control=n % 2 == 0, variant=None if n % 2 == 0 else variant,
                          created_at=start + timedelta(hours=2)))
        if n < 2:
            order(vid, Decimal("30"), start + timedelta(hours=5), campaign, f"X{n}")
    Event.objects.bulk_create(rows)
    roll_up(run, now=start + timedelta(days=3))
    return run, regulars, variant


def _arms(rows):
    out = {}
    for r in rows:
        arm = out.setdefault("control" if r.control else "variant", [0, 0, Decimal(0)])
        arm[0] += r.visitors
        arm[1] += r.converters
        arm[2] += r.revenue
    return out


def test_the_segment_rows_hold_only_its_customers(world):
    run, regulars, _ = world
    everybody = DailyRollup.objects.filter(run=run, segment=None)
    assert _arms(everybody) == {"control": [6, 2, Decimal("50")],
                                "variant": [7, 2, Decimal("110")]}
    # Regulars: anna (variant, bought €80 on her phone) and bob (control, €20); not cor.
    assert _arms(DailyRollup.objects.filter(run=run, segment=regulars)) == {
        "control": [1, 1, Decimal("20")], "variant": [1, 1, Decimal("80")]}


def test_each_visitor_carries_his_revenue_from_before_the_run(world):
    run, regulars, _ = world
    rows = DailyRollup.objects.filter(run=run, segment=None)
    assert sum(r.pre_revenue for r in rows) == pytest.approx(150)  # anna 100, bob 50
    assert sum(r.pre_revenue_sq for r in rows) == pytest.approx(100 ** 2 + 50 ** 2)
    assert sum(r.pre_revenue_revenue for r in rows) == pytest.approx(100 * 80 + 50 * 20)
    report = run_report(run)
    assert report.adjusted and report.comparisons[0].cuped is not None


def test_the_report_for_a_segment_says_whose_figures_it_shows(world, admin_client):
    run, regulars, variant = world
    report = run_report(run, regulars)
    assert report.title.endswith("customers in 'Regulars'")
    assert [a.visitors for a in report.arms] == [1, 1]

    url = f"/admin/personalization/campaign/{run.campaign_id}/report/"
    page = admin_client.get(url, {"run": run.number, "segment": "regulars"})
    html = page.content.decode()
    assert "customers in &#x27;Regulars&#x27;" in html or "customers in 'Regulars'" in html
    assert 'value="regulars" selected' in html
    assert "Segment membership as of its last refresh" in html
    csv = admin_client.get(url, {"run": run.number, "segment": "regulars", "format": "csv"})
    assert f"run-{run.number}-regulars.csv" in csv["Content-Disposition"]
    assert len(csv.content.decode().strip().splitlines()) == 1 + 2  # header + two arms
    everybody = admin_client.get(url, {"run": run.number}).content.decode()
    assert "Revenue per visitor adjusted for what each visitor spent" in everybody
    # A sequential run's intervals are always-valid: the CUPED table shows the adjusted
    # difference without a second, fixed-horizon interval beside the run's own.
    cuped_table = everybody.split("adjusted for what each visitor spent")[1].split("</table>")[0]
    assert "<td>+" in cuped_table or "<td>−" in cuped_table or "<td>–" in cuped_table
    assert 'class="pz-ci"' not in cuped_table
    assert "the narrowing is measured on the plain 95 % intervals" in everybody


def _rows(run):
    fields = [f.name for f in DailyRollup._meta.fields if f.name not in ("id", "run")]
    return sorted(DailyRollup.objects.filter(run=run).values_list(*fields), key=str)


def test_rolling_up_day_by_day_gives_the_rows_of_the_whole_run(world):
    run, _, _ = world
    whole = _rows(run)
    days = sorted({row[0] for row in whole})
    DailyRollup.objects.filter(run=run).delete()
    for day in days:
        roll_up_day(run, day, now=run.started_at + timedelta(days=3))
    assert _rows(run) == whole
    roll_up_day(run, days[0], now=run.started_at + timedelta(days=3))  # again: the same
    assert _rows(run) == whole


def test_late_events_are_picked_up_by_the_next_roll_up(world):
    run, _, variant = world
    start = run.started_at
    later = start + timedelta(days=3)
    before = _rows(run)
    # The run's days of first exposure: one, or two when the test runs late in the store's
    # day (the anonymous visitors came two hours after the start, past midnight).
    days = sorted({row[0] for row in before})
    # Events recorded within LATE_MARGIN of the last roll-up are read again: same rows.
    assert roll_up_late(run, now=later) == days
    assert _rows(run) == before
    # Recorded only now: an exposure of the first day that waited in a buffer, and an
    # order of one of the first day's visitors, within his window.
    late = uuid.uuid4()
    bob = VisitorProfile.objects.get(user__username="bob").visitor_id
    Event.objects.bulk_create([
        # At the hour bob and anna were first exposed (the first day's, whatever the time
        # of day the test runs: six hours later may be the next day in the store's zone).
        Event(visitor_id=late, type="impression", campaign=run.campaign, variant=variant,
              created_at=start + timedelta(hours=1)),
        Event(visitor_id=bob, type="conversion", campaign=run.campaign, value=Decimal("5"),
              reference="B2", created_at=start + timedelta(days=2))])
    assert roll_up_late(run, now=later) == days  # still within the margin: all again
    after = _rows(run)
    everybody = DailyRollup.objects.filter(run=run, segment=None)
    assert sum(r.visitors for r in everybody) == 14
    assert sum(r.revenue for r in everybody) == Decimal("165")
    roll_up(run, now=later)  # the whole run again: the same rows
    assert _rows(run) == after
    # Nothing recorded since the last roll-up (past the margin): no day is read again.
    ExperimentRun.objects.filter(pk=run.pk).update(
        rolled_up_to=timezone.now() + LATE_MARGIN + timedelta(seconds=1))
    run.refresh_from_db()
    assert roll_up_late(run, now=later) == []
    assert _rows(run) == after
