"""Computed segments: refreshed set-based, swapped atomically, counted, announced."""

from __future__ import annotations

import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from personalization.engine.profiles import snapshot_for_user
from personalization.jobs import refresh
from personalization.jobs.tasks import refresh_all_segments
from personalization.models import Segment, SegmentMembership
from personalization.rules import OrderCountRule, TotalSpentRule
from personalization.signals import segment_entered, segment_exited
from tests.factories import OrderFactory, SegmentFactory, UserFactory


def buyer(name: str, orders: int, total: str = "10.00"):
    user = UserFactory(username=name)
    for _ in range(orders):
        OrderFactory(user=user, total=Decimal(total), subtotal=Decimal(total))
    return user


def computed(slug: str, *rules, match: str = "all") -> Segment:
    segment = SegmentFactory(name=slug.title(), slug=slug, kind="computed", match=match)
    for rule in rules:
        rule.segment = segment
        rule.save()
    return segment


def members(segment: Segment) -> set[str]:
    return set(SegmentMembership.objects.filter(segment=segment)
               .values_list("user__username", flat=True))


@pytest.fixture
def announced():
    calls = []

    def entered(sender, segment, user_ids, **kwargs):
        calls.append(("entered", segment.slug, set(user_ids)))

    def exited(sender, segment, user_ids, **kwargs):
        calls.append(("exited", segment.slug, set(user_ids)))

    segment_entered.connect(entered)
    segment_exited.connect(exited)
    yield calls
    segment_entered.disconnect(entered)
    segment_exited.disconnect(exited)


@pytest.mark.django_db
def test_refresh_stores_the_matching_customers_and_counts_changes(
        announced, django_capture_on_commit_callbacks):
    anna, bram, lisa = buyer("anna", 3), buyer("bram", 1), buyer("lisa", 2)
    buyer("nobody", 0)
    regulars = computed("regulars", OrderCountRule(minimum=2))
    with django_capture_on_commit_callbacks(execute=True):
        result = refresh.refresh_segment(regulars.pk)
    assert members(regulars) == {"anna", "lisa"}
    assert (result.members, result.entered, result.exited) == (2, 2, 0)
    regulars.refresh_from_db()
    assert (regulars.member_count, regulars.entered_count, regulars.exited_count) == (2, 2, 0)
    assert regulars.last_refreshed_at is not None
    assert announced == [("entered", "regulars", {anna.pk, lisa.pk})]

    OrderFactory(user=bram)  # bram becomes a regular; lisa's orders are cancelled
    lisa.orders.update(status="cancelled")
    announced.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = refresh.refresh_segment(regulars.pk)
    assert members(regulars) == {"anna", "bram"}
    assert (result.members, result.entered, result.exited) == (2, 1, 1)
    assert sorted(announced) == [("entered", "regulars", {bram.pk}),
                                 ("exited", "regulars", {lisa.pk})]


@pytest.mark.django_db
def test_a_known_visitor_sees_his_new_membership_after_the_refresh(
        django_capture_on_commit_callbacks):
    anna = buyer("anna", 2, total="60.00")
    big = computed("big-spenders", TotalSpentRule(minimum=Decimal("100")))
    assert big.pk not in snapshot_for_user(anna).segment_ids  # cached now
    with django_capture_on_commit_callbacks(execute=True):
        refresh.refresh_segment(big.pk)
    assert big.pk in snapshot_for_user(anna).segment_ids


@pytest.mark.django_db
def test_any_match_and_negation_follow_the_segment(django_capture_on_commit_callbacks):
    buyer("anna", 3, "5.00"), buyer("bram", 1, "500.00"), buyer("lisa", 1, "5.00")
    either = computed("either", OrderCountRule(minimum=3),
                      TotalSpentRule(minimum=Decimal("100")), match="any")
    one_timers = computed("one-timers", OrderCountRule(minimum=2, negate=True))
    refresh.refresh_segment(either.pk)
    refresh.refresh_segment(one_timers.pk)
    assert members(either) == {"anna", "bram"}
    assert members(one_timers) == {"bram", "lisa"}


@pytest.mark.django_db
def test_live_segments_are_not_refreshed():
    live = SegmentFactory(name="Live", slug="live", kind="live")
    with pytest.raises(ValueError, match="live"):
        refresh.refresh_segment(live.pk)


@pytest.mark.django_db(transaction=True)
def test_readers_see_the_old_members_until_the_swap_commits():
    """Another connection reads the segment while the refresh has deleted the leavers but
    not yet committed: it still sees the complete old membership."""
    buyer("anna", 2), buyer("bram", 2)
    regulars = computed("regulars", OrderCountRule(minimum=2))
    refresh.refresh_segment(regulars.pk)
    OrderFactory(user=UserFactory(username="lisa")), OrderFactory(user__username="lisa")
    for order in OrderFactory._meta.model.objects.filter(user__username="anna"):
        order.delete()
    paused, resume = threading.Event(), threading.Event()

    def pause_after_delete(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith("DELETE FROM") and "segmentmembership" in sql:
            paused.set()
            resume.wait(10)
        return result

    def run() -> None:
        try:
            with connection.execute_wrapper(pause_after_delete):
                refresh.refresh_segment(regulars.pk)
        finally:
            connection.close()

    refresher = threading.Thread(target=run)
    refresher.start()
    try:
        assert paused.wait(10)
        assert members(regulars) == {"anna", "bram"}  # old set, in full
    finally:
        resume.set()
        refresher.join(10)
    assert members(regulars) == {"bram", "lisa"}
    regulars.refresh_from_db()
    assert (regulars.entered_count, regulars.exited_count) == (1, 1)


@pytest.mark.django_db
def test_refresh_all_segments_refreshes_every_enabled_computed_segment():
    buyer("anna", 2)
    a = computed("a", OrderCountRule(minimum=1))
    b = computed("b", OrderCountRule(minimum=2))
    off = computed("off", OrderCountRule(minimum=1))
    off.enabled = False
    off.save()
    SegmentFactory(name="Live", slug="live", kind="live")
    assert refresh_all_segments.delay().get() == 2  # eager in unit tests: the group runs now
    assert Segment.objects.filter(slug__in=["a", "b"], member_count=1).count() == 2
    assert members(a) == members(b) == {"anna"}
    assert Segment.objects.get(slug="off").last_refreshed_at is None


@pytest.mark.django_db
def test_refresh_segments_command_shows_progress():
    buyer("anna", 2)
    computed("a", OrderCountRule(minimum=1))
    computed("b", OrderCountRule(minimum=5))
    out = StringIO()
    call_command("refresh_segments", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("[###############...............] 1/2 a: 1 members (+1 −0)")
    assert lines[1].startswith("[##############################] 2/2 b: 0 members (+0 −0)")
    assert lines[2].startswith("Refreshed 2 segment(s)")
    out = StringIO()
    call_command("refresh_segments", "--segment", "b", stdout=out)
    assert "1/1 b:" in out.getvalue()
    with pytest.raises(CommandError, match="No segment with slug nope"):
        call_command("refresh_segments", "--segment", "nope")


@pytest.mark.django_db
def test_admin_refresh_now_shows_the_counts(admin_client):
    buyer("anna", 2)
    seg = computed("regulars", OrderCountRule(minimum=2))
    url = reverse("admin:personalization_segment_changelist")
    response = admin_client.post(url, {"action": "refresh_now", "_selected_action": [seg.pk]},
                                 follow=True)
    assert "Regulars: 1 members (1 entered, 0 left)." in response.content.decode()
    html = admin_client.get(url).content.decode()
    assert '<td class="field-size">1 <span class="pz-quiet">(+1 −0)</span>' in html


def test_the_demo_beat_schedule_refreshes_segments_at_the_configured_interval(settings):
    from personalization.jobs.schedule import beat_schedule

    entry = settings.CELERY_BEAT_SCHEDULE["personalization.refresh_all_segments"]
    assert entry["task"] == "personalization.jobs.tasks.refresh_all_segments"
    assert entry["schedule"] == 3600
    assert beat_schedule(900)["personalization.refresh_all_segments"]["schedule"] == 900
    assert {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()} >= {
        "personalization.jobs.tasks.purge_expired_data",
        "personalization.jobs.tasks.rebuild_product_affinities",
        "personalization.jobs.tasks.create_event_partitions"}
