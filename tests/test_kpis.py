"""Weekly KPI snapshots and the admin's key-figures page."""

import re
import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from personalization.jobs.refresh import refresh_segment
from personalization.measurement.kpis import dashboard, take_snapshot, take_snapshots, week_start
from personalization.models import Event, KpiSnapshot, Segment
from personalization.rules import OrderCountRule
from tests.factories import EventFactory, OrderFactory, SegmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def week():
    monday = week_start(timezone.localdate() - timedelta(days=7))
    return monday, datetime.combine(monday, time(12), timezone.get_current_timezone())


def test_a_week_counts_its_visitors_orders_and_lifetime_value(week):
    monday, noon = week
    regular = UserFactory(username="regular")
    once = UserFactory(username="once")
    for days, total in ((0, "40.00"), (2, "60.00"), (-20, "100.00")):  # one order earlier
        OrderFactory(user=regular, total=Decimal(total), created_at=noon + timedelta(days=days))
    OrderFactory(user=once, total=Decimal("25.00"), created_at=noon + timedelta(days=1))
    OrderFactory(user=once, total=Decimal("99.00"), created_at=noon + timedelta(days=9))
    visitors = [uuid.uuid4() for _ in range(5)]
    Event.objects.bulk_create(
        [Event(visitor_id=v, type="visit", created_at=noon + timedelta(hours=h))
         for h, v in enumerate(visitors + visitors[:2])]  # two came back: still 5 visitors
        + [Event(visitor_id=uuid.uuid4(), type="visit", created_at=noon - timedelta(days=3))])

    snapshot = take_snapshot(monday)
    assert (snapshot.visitors, snapshot.transactions, snapshot.revenue) == (
        5, 3, Decimal("125.00"))
    assert (snapshot.customers_to_date, snapshot.revenue_to_date) == (2, Decimal("225.00"))
    assert sum(snapshot.rfm.values()) == 2  # both customers have a score
    [row] = dashboard()
    assert row.conversion_rate == pytest.approx(3 / 5)
    assert row.average_order_value == pytest.approx(125 / 3)
    assert row.lifetime_value == pytest.approx(112.5)
    take_snapshot(monday)  # again: replaced, not added
    assert KpiSnapshot.objects.filter(week=monday, segment=None).count() == 1


def test_a_computed_segment_gets_its_own_figures(week):
    monday, noon = week
    regulars = SegmentFactory(slug="regulars", kind="computed",
                              rules=[OrderCountRule(minimum=2)])
    regular = UserFactory(username="regular")
    for days in (0, 1):
        OrderFactory(user=regular, total=Decimal("30.00"), created_at=noon + timedelta(days=days))
    OrderFactory(user=UserFactory(username="new"), total=Decimal("80.00"), created_at=noon)
    refresh_segment(regulars.pk)
    assert take_snapshots(monday) == 2  # everybody, and the one computed segment
    mine = KpiSnapshot.objects.get(week=monday, segment=regulars)
    assert (mine.transactions, mine.revenue) == (2, Decimal("60.00"))
    assert KpiSnapshot.objects.get(week=monday, segment=None).transactions == 3
    assert not KpiSnapshot.objects.filter(segment__in=Segment.objects.filter(kind="live"))


def test_the_key_figures_page(admin_client, week):
    monday, noon = week
    OrderFactory(total=Decimal("30.00"), created_at=noon)
    EventFactory(visitor_id=uuid.uuid4(), type="visit", created_at=noon)
    take_snapshots(monday)
    html = admin_client.get("/admin/personalization/campaign/kpis/").content.decode()
    assert "Week by week: everybody" in html
    assert html.count('<svg class="pz-chart"') == 3
    assert "Customers per RFM score" in html


def test_the_week_under_way_is_counted_so_far_and_marked_unfinished(admin_client, week):
    monday, noon = week
    OrderFactory(total=Decimal("30.00"), created_at=noon)
    EventFactory(visitor_id=uuid.uuid4(), type="visit", created_at=noon)
    take_snapshots(monday)
    this_week = week_start(timezone.localdate())
    began = datetime.combine(this_week, time(), timezone.get_current_timezone())
    meanwhile = began + (timezone.now() - began) / 2  # in the week, before now
    OrderFactory(total=Decimal("50.00"), created_at=meanwhile)
    Event.objects.bulk_create([Event(visitor_id=uuid.uuid4(), type="visit",
                                     created_at=meanwhile) for _ in range(2)])

    assert [w.week for w in dashboard()] == [monday]  # the snapshots alone
    last, current = dashboard(so_far=True)
    assert (last.week, last.unfinished) == (monday, False)
    assert (current.week, current.unfinished) == (this_week, True)
    assert (current.visitors, current.transactions, current.revenue) == (2, 1, 50.0)
    assert not KpiSnapshot.objects.filter(week=this_week).exists()  # counted, not stored

    html = admin_client.get("/admin/personalization/campaign/kpis/").content.decode()
    assert html.count('class="pz-unfinished"') == 1  # the current week's row
    assert "so far: the week is not over" in html
    # The charts end with the last whole week: one point each, never the week under way.
    assert "The charts end with the last whole week" in html
    charts = re.findall(r'<polyline points="([^"]*)"', html)
    assert len(charts) == 3 and all(len(points.split()) == 1 for points in charts)
    assert html.count(date_format(monday, "DATE_FORMAT")) == 1 + 2 * 3  # row, axis ends
    assert "How these figures relate to the campaign reports" in html
    assert "every order placed in the shop in the week" in html
    # The RFM distribution is the last whole week's (the week under way has none).
    assert "Customers per RFM score, latest week" in html


def test_a_snapshot_of_the_week_under_way_is_unfinished_too(admin_client):
    this_week = week_start(timezone.localdate())
    take_snapshot(this_week)
    [current] = dashboard(so_far=True)
    assert current.unfinished
    html = admin_client.get("/admin/personalization/campaign/kpis/").content.decode()
    assert "so far: the week is not over" in html
    assert "No weekly figures yet" in html  # no whole week yet
    assert "pz-chart" not in html and "Customers per RFM score" not in html
