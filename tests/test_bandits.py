"""Bandit campaigns through the real parts: the run, the weight update from the rollups, the
RuleBook, the decision with sticky arms (cookie and profile), consent and erasure."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from personalization.datarights.subjects import erase_subject, export_subject
from personalization.engine import rulebook
from personalization.engine.cookies import MAX_STICKY_RUNS, VisitorState
from personalization.engine.decide import choose
from personalization.measurement.bandits import update_bandits
from personalization.measurement.experiments import open_run, sync_run
from personalization.models import (
    BanditUpdate,
    BannerVariant,
    Campaign,
    DailyRollup,
    ExperimentRun,
    Segment,
    VisitorProfile,
)
from personalization.testing import give_consent, make_context
from tests.factories import (
    BanditUpdateFactory,
    BannerVariantFactory,
    CampaignFactory,
    SegmentFactory,
    SlotFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]


def make_bandit(*, arms: int = 3, holdout: int = 0, per_segment: bool = False,
                segments: list[Segment] = (), metric: str = "conversion") -> Campaign:
    campaign = CampaignFactory(
        name="Hero bandit", slot=SlotFactory(key="hero", name="Hero"), status="draft",
        allocation="bandit", holdout_percent=holdout, bandit_per_segment=per_segment,
        decision_metric=metric, variants=())
    campaign.segments.set(segments)
    for name in "ABCDE"[:arms]:
        BannerVariantFactory(campaign=campaign, name=name, headline=f"Banner {name}")
    campaign.status = "live"
    campaign.save()
    sync_run(campaign)
    return campaign


def age(run: ExperimentRun, days: int) -> None:
    ExperimentRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - timedelta(days=days))


def figures(run: ExperimentRun, per_arm: dict[str, tuple[int, int]],
            segment: Segment | None = None) -> None:
    """Rollups of the run: variant name -> (visitors, converting visitors), over one day."""
    DailyRollup.objects.filter(run=run, segment=segment).delete()
    names = {v.name: v.pk for v in BannerVariant.objects.filter(campaign=run.campaign)}
    DailyRollup.objects.bulk_create([
        DailyRollup(run=run, day=timezone.localdate(), segment=segment,
                    variant_id=names[name], visitors=n, converters=x)
        for name, (n, x) in per_arm.items()])


def weights(campaign: Campaign, segment: Segment | None = None) -> dict[str, float]:
    campaign.refresh_from_db()
    state = campaign.bandit_weights
    shares = state["segments"][str(segment.pk)] if segment else state["weights"]
    names = dict(BannerVariant.objects.filter(campaign=campaign).values_list("pk", "name"))
    return {names[int(k)]: w for k, w in shares.items()}


def visitor(n: int, state: VisitorState | None = None, **facts):
    vid = str(uuid.UUID(int=n + 1))
    return make_context(visitor_id=vid, state=state or VisitorState(vid=vid), **facts)


def test_a_live_bandit_runs_with_equal_weights_first():
    campaign = make_bandit()
    run = open_run(campaign)
    assert run.is_bandit and run.allocation == "bandit"
    assert weights(campaign) == pytest.approx({"A": 1 / 3, "B": 1 / 3, "C": 1 / 3})
    [first] = BanditUpdate.objects.filter(run=run)
    assert first.phase == "exploring" and first.at == run.started_at
    decision = choose("hero", visitor(1))
    assert "(bandit weight 33 %), drawn by the current weights" in decision.reasons[-1]


def test_the_update_moves_traffic_to_the_variant_most_likely_best():
    campaign = make_bandit()
    run = open_run(campaign)
    age(run, 10)
    figures(run, {"A": (10_000, 300), "B": (10_000, 420), "C": (10_000, 300)})
    assert update_bandits() == 1
    shares = weights(campaign)
    assert shares["B"] > 0.9 and min(shares.values()) >= 0.01 - 1e-9
    update = BanditUpdate.objects.filter(run=run).latest("at")
    assert update.phase == "learning" and update.evidence > 0.9
    b = str(BannerVariant.objects.get(name="B").pk)
    assert update.figures[b]["visitors"] == 10_000 and update.figures[b]["p_best"] > 0.99
    # Every web process decides with the new weights (the RuleBook was rebuilt).
    book = rulebook.get_rulebook()
    [compiled] = book.slots["hero"].campaigns
    assert max(compiled.bandit.weights) == pytest.approx(shares["B"])
    picked = [choose("hero", visitor(n)).variant.name for n in range(300)]
    assert picked.count("B") > 250


def test_weights_stay_equal_while_exploring():
    campaign = make_bandit()
    run = open_run(campaign)
    age(run, 3)  # younger than BANDIT_EXPLORATION_DAYS
    figures(run, {"A": (10_000, 300), "B": (10_000, 420), "C": (10_000, 300)})
    update_bandits()
    assert weights(campaign) == pytest.approx({"A": 1 / 3, "B": 1 / 3, "C": 1 / 3})
    age(run, 10)
    figures(run, {"A": (1_000, 30), "B": (1_000, 42), "C": (1_000, 20)})  # C: 20 < 30
    update_bandits()
    assert BanditUpdate.objects.filter(run=run).latest("at").phase == "exploring"


def test_frozen_weights_do_not_move():
    campaign = make_bandit()
    run = open_run(campaign)
    age(run, 10)
    figures(run, {"A": (10_000, 300), "B": (10_000, 420), "C": (10_000, 300)})
    Campaign.objects.filter(pk=campaign.pk).update(bandit_frozen=True)
    assert update_bandits() == 0
    assert weights(campaign)["B"] == pytest.approx(1 / 3)
    assert open_run(campaign) == run  # freezing does not end the run


def test_a_visitors_arm_never_changes_across_100_updates_and_new_ones_follow_the_weights():
    campaign = make_bandit()
    run = open_run(campaign)
    age(run, 10)
    states = {n: VisitorState(vid=str(uuid.UUID(int=n + 1))) for n in range(30)}
    first = {n: choose("hero", visitor(n, states[n])).variant.name for n in states}
    assert set(first.values()) == {"A", "B", "C"}
    for update in range(100):
        best = "ABC"[update % 3]  # each update favours another variant
        figures(run, {name: (10_000, 420 if name == best else 300) for name in "ABC"})
        update_bandits()
        assert weights(campaign)[best] > 0.9
        for n, state in states.items():
            # A new request of the same browser: his cookie, read again.
            state = VisitorState.loads(state.dumps())
            states[n] = state
            assert choose("hero", visitor(n, state)).variant.name == first[n]
    newcomers = [choose("hero", visitor(1000 + n)).variant.name for n in range(300)]
    assert newcomers.count(best) > 250  # the last update's favourite


def test_the_holdout_stays_fixed_outside_the_bandit():
    campaign = make_bandit(holdout=20)
    run = open_run(campaign)
    age(run, 10)
    figures(run, {"A": (10_000, 300), "B": (10_000, 420), "C": (10_000, 300)})
    update_bandits()
    held = sum(choose("hero", visitor(n)).control for n in range(1000))
    assert 150 < held < 250


def test_each_segment_learns_its_own_best_and_thin_segments_use_the_overall():
    cats = SegmentFactory(name="Cat lovers", slug="cats", kind="computed")
    pizza = SegmentFactory(name="Pizza buyers", slug="pizza", kind="computed")
    thin = SegmentFactory(name="Few", slug="few", kind="computed")
    campaign = make_bandit(arms=2, per_segment=True, segments=[cats, pizza, thin])
    run = open_run(campaign)
    age(run, 10)
    figures(run, {"A": (20_000, 760), "B": (20_000, 740)})
    figures(run, {"A": (10_000, 500), "B": (10_000, 300)}, segment=cats)
    figures(run, {"A": (10_000, 260), "B": (10_000, 440)}, segment=pizza)
    figures(run, {"A": (100, 3), "B": (100, 4)}, segment=thin)
    update_bandits()
    assert weights(campaign, cats)["A"] > 0.9
    assert weights(campaign, pizza)["B"] > 0.9
    assert str(thin.pk) not in campaign.bandit_weights["segments"]
    fallback = BanditUpdate.objects.get(run=run, segment=thin, phase="fallback")
    assert fallback.weights == BanditUpdate.objects.get(run=run, segment=None,
                                                        at=fallback.at).weights
    cat_arms = [choose("hero", visitor(n, segments={"cats"})).variant.name
                for n in range(200)]
    pizza_arms = [choose("hero", visitor(500 + n, segments={"pizza"})).variant.name
                  for n in range(200)]
    assert cat_arms.count("A") > 170 and pizza_arms.count("B") > 170
    reason = choose("hero", visitor(900, segments={"cats"})).reasons[-1]
    assert "learnt for segment 'Cat lovers'" in reason


def test_the_cookie_keeps_the_latest_runs_only():
    state = VisitorState(vid=str(uuid.uuid4()))
    for run_id in range(1, MAX_STICKY_RUNS + 6):
        state.remember_arm(run_id, run_id * 10)
    again = VisitorState.loads(state.dumps())
    assert len(again.arms) == MAX_STICKY_RUNS
    assert again.arms[str(MAX_STICKY_RUNS + 5)] == (MAX_STICKY_RUNS + 5) * 10
    assert "1" not in again.arms


def test_a_visitor_not_remembered_gets_the_leading_variant_and_no_arm():
    campaign = make_bandit()
    run = open_run(campaign)
    age(run, 10)
    figures(run, {"A": (10_000, 300), "B": (10_000, 420), "C": (10_000, 300)})
    update_bandits()
    ctx = visitor(5, remembered=False)
    decision = choose("hero", ctx)
    assert decision.variant.name == "B" and "the bandit's leading one" in decision.reasons[-1]
    assert ctx.state.arms == {}


def test_the_browser_and_the_customer_keep_their_arm_with_no_query_on_a_warm_page():
    campaign = make_bandit()
    run = open_run(campaign)
    anna = get_user_model().objects.create_user("anna", password="pw")
    browser = Client()
    browser.force_login(anna)
    give_consent(browser, user=anna)
    browser.get("/_pz/slots/")  # draws his arm, writes it to his profile and cookie
    profile = VisitorProfile.objects.get(user=anna)
    [arm] = profile.arms.values()
    assert list(profile.arms) == [str(run.pk)]
    cookie = VisitorState.loads(browser.cookies["pz_vid"].value)
    assert cookie.arms == {str(run.pk): arm}
    browser.get("/_pz/slots/")
    with CaptureQueriesContext(connection) as warm:
        page = browser.get("/_pz/slots/")
    assert f'data-pz-variant="{arm}"' in page.content.decode()
    # The same page with a fixed split costs as many queries: the sticky store adds none.
    Campaign.objects.filter(pk=campaign.pk).update(allocation="fixed")
    rulebook.invalidate()
    browser.get("/_pz/slots/")
    browser.get("/_pz/slots/")
    with CaptureQueriesContext(connection) as fixed:
        browser.get("/_pz/slots/")
    assert len(warm.captured_queries) == len(fixed.captured_queries)
    Campaign.objects.filter(pk=campaign.pk).update(allocation="bandit")
    rulebook.invalidate()
    # On another device he gets his arm from his profile, whatever the weights say now.
    other = Client()
    other.force_login(anna)
    give_consent(other, user=anna)
    weights_now = {str(arm): 0.0001, **{str(v.pk): 1.0 for v in BannerVariant.objects.filter(
        campaign=campaign).exclude(pk=arm)}}
    Campaign.objects.filter(pk=campaign.pk).update(bandit_weights={
        "run": run.pk, "weights": weights_now, "segments": {}})
    rulebook.invalidate()
    assert f'data-pz-variant="{arm}"' in other.get("/_pz/slots/").content.decode()


def test_erasure_and_export_cover_the_arms():
    make_bandit()
    anna = get_user_model().objects.create_user("anna", password="pw")
    browser = Client()
    browser.force_login(anna)
    give_consent(browser, user=anna)
    browser.get("/_pz/slots/")
    [profile] = export_subject(user=anna)["profiles"]
    assert len(profile["bandit_arms"]) == 1
    erase_subject(user=anna)
    assert not VisitorProfile.objects.filter(user=anna).exists()


def test_the_kill_switch_shows_the_default(settings):
    from waffle.models import Switch

    make_bandit()
    Switch.objects.create(name="personalization_off", active=True)
    assert choose("hero", visitor(1)).variant is None


def test_a_new_run_starts_over_and_stopping_clears_the_weights():
    campaign = make_bandit()
    first = open_run(campaign)
    campaign.decision_metric = "revenue"
    campaign.save()
    second = sync_run(campaign)
    assert second != first and second.metric == "revenue"
    campaign.refresh_from_db()
    assert campaign.bandit_weights["run"] == second.pk
    campaign.status = "paused"
    campaign.save()
    sync_run(campaign)
    campaign.refresh_from_db()
    assert campaign.bandit_weights == {}


def history(run: ExperimentRun, days: list[tuple[dict[str, float], dict[str, float]]],
            per_day: int = 3000) -> None:
    """Rollups day by day with an update at the start of each: (weights, rates)."""
    names = {v.name: v.pk for v in BannerVariant.objects.filter(campaign=run.campaign)}
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    start = midnight - timedelta(days=len(days) - 1)  # updates at the days' starts
    ExperimentRun.objects.filter(pk=run.pk).update(started_at=start)
    BanditUpdate.objects.filter(run=run).update(at=start)
    for i, (shares, rates) in enumerate(days):
        at = start + timedelta(days=i)
        if i:
            BanditUpdateFactory(run=run, at=at, phase="learning", weights={
                str(names[k]): w for k, w in shares.items()})
        DailyRollup.objects.bulk_create([
            DailyRollup(run=run, day=timezone.localtime(at).date(), variant_id=names[k],
                        visitors=round(per_day * w), converters=round(per_day * w * rates[k]))
            for k, w in shares.items()])


def test_the_report_explains_the_weights_and_gives_period_weighted_figures(admin_client):
    from personalization.measurement.reports import run_report

    campaign = make_bandit(arms=2)
    run = open_run(campaign)
    early, late = {"A": 0.02, "B": 0.02}, {"A": 0.04, "B": 0.05}
    history(run, [({"A": 0.5, "B": 0.5}, early)] * 5 + [({"A": 0.1, "B": 0.9}, late)] * 5)
    run.refresh_from_db()
    update_bandits()
    report = run_report(run)
    section = report.bandit
    assert "Variant “B” has a 100 % chance to be best on conversion rate" in \
        section.explanation
    by_name = {a.label: a for a in section.arms}
    a, b = by_name["Variant “A”"], by_name["Variant “B”"]
    # B's traffic came mostly in the good days: pooled it looks far better than it is.
    assert b.pooled > 0.038 and b.estimate.value == pytest.approx(0.035, abs=0.001)
    assert a.estimate.value == pytest.approx(0.03, abs=0.001)
    assert section.srm.p_value is not None and not section.srm.mismatch
    assert section.gain.value > 0
    # The report's own arm table reads the period-weighted figures too.
    arms = {arm.variant_id: arm for arm in report.arms}
    assert arms[b.variant_id].conversion_rate == pytest.approx(0.035, abs=0.001)
    page = admin_client.get(f"/admin/personalization/campaign/{campaign.pk}/report/")
    html = page.content.decode()
    assert "Share of the bandit's traffic per variant over time" in html
    assert "<polyline" in html and "chance to be best on conversion rate" in html
    api = admin_client.get(f"/pz/api/campaigns/{campaign.pk}/report/").json()["bandit"]
    assert api["explanation"] == section.explanation and "chart" not in api
    assert {a["label"]: a["weight"] for a in api["arms"]}["Variant “B”"] > 0.9
    admin_client.post(f"/admin/personalization/campaign/{campaign.pk}/report/?run=1",
                      {"action": "bandit_freeze"})
    campaign.refresh_from_db()
    assert campaign.bandit_frozen
    assert update_bandits() == 0
    # Every variant can be promoted from the bandit's section, the first one too (without
    # a holdout the report's comparisons take it as their baseline).
    a_id = BannerVariant.objects.get(campaign=campaign, name="A").pk
    assert f'name="variant" value="{a_id}"' in html
    admin_client.post(f"/admin/personalization/campaign/{campaign.pk}/report/?run=1",
                      {"action": "bandit_stop"})
    campaign.refresh_from_db()
    assert campaign.status == "paused"


def test_the_bandit_sample_ratio_check_uses_the_weights_in_force():
    from personalization.measurement.reports import run_report

    campaign = make_bandit(arms=2)
    run = open_run(campaign)
    history(run, [({"A": 0.5, "B": 0.5}, {"A": 0.03, "B": 0.03})] * 3
            + [({"A": 0.2, "B": 0.8}, {"A": 0.03, "B": 0.03})] * 3)
    assert not run_report(run).srm.mismatch
    # Had the split not followed the weights (B got 80 % all along), the check says so.
    DailyRollup.objects.filter(run=run).delete()
    history(run, [({"A": 0.2, "B": 0.8}, {"A": 0.03, "B": 0.03})] * 6)
    BanditUpdate.objects.filter(run=run).update(weights={
        str(v.pk): 0.5 for v in BannerVariant.objects.filter(campaign=campaign)})
    assert run_report(run).srm.mismatch


def test_explain_says_the_bandit_weight():
    from io import StringIO

    from django.core.management import call_command

    make_bandit()
    get_user_model().objects.create_user("anna")
    out = StringIO()
    call_command("explain", user="anna", slot="hero", stdout=out)
    assert "(bandit weight 33 %)" in out.getvalue()


def test_the_demo_bandit_is_seeded_with_weights_that_moved():
    from collections import Counter

    from demo_shop.seed.bandit import DAYS, NAME, seed_bandit
    from personalization.measurement.reports import run_report

    seed_bandit(Counter())
    campaign = Campaign.objects.get(name=NAME)
    run = campaign.runs.get()
    assert BanditUpdate.objects.filter(run=run).count() == DAYS + 1
    assert max(weights(campaign).values()) > 0.6
    assert weights(campaign)["2 for 1 on cat food"] == max(weights(campaign).values())
    section = run_report(run).bandit
    assert "chance to be best on conversion rate" in section.explanation
    assert not section.srm.mismatch and section.gain.value > 0
    assert section.versus_holdout.value > 0  # the bandit as a whole beats the default


def test_the_preview_says_the_bandit_weight_and_keeps_nothing(client):
    from personalization.touchpoints import preview
    from tests.factories import UserFactory
    from tests.test_preview import grant

    make_bandit()
    staff = grant(UserFactory(username="editor", is_staff=True), "view_segment",
                  "preview_as_customer")
    client.force_login(staff)
    jan = UserFactory(username="jan")
    from personalization.privacy.consent import record_choices

    record_choices(choices={"personalization": True, "analytics": True}, source="signup",
                   user=jan)
    html = client.get(preview.preview_url("/_pz/slots/", preview.Target(user_id=jan.pk))
                      ).content.decode()
    assert "(bandit weight 33 %), drawn by the current weights" in html
    assert not VisitorProfile.objects.filter(user=jan).exclude(arms={}).exists()
    assert "pz_vid" not in client.cookies or not VisitorState.loads(
        client.cookies["pz_vid"].value).arms


def test_promoting_a_variant_ends_the_bandit_and_shows_it_to_everybody(admin_client):
    campaign = make_bandit()
    b = BannerVariant.objects.get(campaign=campaign, name="B")
    url = f"/admin/personalization/campaign/{campaign.pk}/report/?run=1"
    # Through the same guarded promote as an experiment: one click is not enough.
    assert admin_client.post(url, {"action": "promote", "variant": b.pk}).status_code == 200
    assert open_run(campaign) is not None
    admin_client.post(url, {"action": "promote", "variant": b.pk, "without_verdict": "on",
                            "reason": "B reads better."})
    campaign.refresh_from_db()
    assert open_run(campaign) is None and campaign.bandit_weights == {}
    assert {choose("hero", visitor(n)).variant.name for n in range(50)} == {"B"}


def test_todays_weights_count_only_the_hours_gone_by():
    """An update at 06:00, read at 08:00: today's visitors came under the old weights for
    six hours and the new ones for two, not for the eighteen hours still to come (the
    report's sample-ratio check cried mismatch every morning after an update)."""
    from datetime import date, datetime, time
    from zoneinfo import ZoneInfo

    from personalization.measurement.bandit_estimates import Period, weights_by_day

    tz = ZoneInfo("Europe/Amsterdam")
    today = date(2026, 12, 8)
    periods = [Period(datetime.combine(today, time(0), tz), {"a": 0.5, "b": 0.5}),
               Period(datetime.combine(today, time(6), tz), {"a": 0.1, "b": 0.9})]

    shares = weights_by_day(periods, [today], tz, ["a", "b"],
                            now=datetime.combine(today, time(8), tz))
    assert shares[0] == pytest.approx([0.4, 0.6])
    tomorrow = datetime.combine(date(2026, 12, 9), time(8), tz)  # the day is over
    assert weights_by_day(periods, [today], tz, ["a", "b"], now=tomorrow)[0] == \
        pytest.approx([0.2, 0.8])
