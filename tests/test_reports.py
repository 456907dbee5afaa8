"""Campaign reports end to end: visitors bucketed by the real decision path, orders through
the demo checkout, the rollup, and the admin's report with its charts and CSV."""

from collections import defaultdict
from decimal import Decimal

import pytest
from django.test import Client

from personalization.measurement.events import flush_events
from personalization.measurement.experiments import sync_run
from personalization.measurement.reports import run_report
from personalization.measurement.rollups import roll_up
from personalization.models import BannerVariant, Campaign, Event, ExperimentRun
from personalization.testing import give_consent
from tests.factories import (
    BannerVariantFactory,
    CampaignFactory,
    DailyRollupFactory,
    ExperimentRunFactory,
    ProductFactory,
    SlotFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]


@pytest.fixture
def experiment():
    slot = SlotFactory(key="hero", name="Hero", kind="banner")
    campaign = CampaignFactory(name="Hero test", slot=slot, status="live",
                               holdout_percent=34, cost=Decimal("50"), variants=())
    for name in ("Cats", "Dogs"):
        BannerVariantFactory(campaign=campaign, name=name, headline=name)
    return campaign, sync_run(campaign)


def test_the_report_shows_what_the_raw_events_say(experiment,
                                                  django_capture_on_commit_callbacks):
    campaign, run = experiment
    product = ProductFactory(price=Decimal("12.50"), stock=1000)
    for n in range(45):
        client = give_consent(Client())
        client.get("/_pz/slots/")
        if n % 3 == 0:  # a third of them buy, 1 to 3 items
            client.post("/cart/add/", {"product_id": product.pk, "quantity": 1 + n % 4})
            with django_capture_on_commit_callbacks(execute=True):
                client.post("/checkout/", {"action": "place", "name": "A", "email": "a@x.nl",
                                           "address": "Straat 1", "discount_code": ""})
    flush_events()
    roll_up(run)
    report = run_report(run)

    # The same figures, worked out here from the raw rows.
    arm_of, revenue = {}, defaultdict(Decimal)
    for e in Event.objects.filter(campaign=campaign).order_by("created_at"):
        if e.type == "impression":
            arm_of.setdefault(e.visitor_id, "control" if e.control else e.variant.name)
        elif e.type == "conversion":
            revenue[e.visitor_id] += e.value
    expected = defaultdict(lambda: [0, 0, Decimal(0)])
    for vid, arm in arm_of.items():
        expected[arm][0] += 1
        expected[arm][1] += vid in revenue
        expected[arm][2] += revenue.get(vid, Decimal(0))
    shown = {("control" if a.control else a.label.split("'")[1]):
             [a.visitors, a.converters, Decimal(str(round(a.revenue, 2)))]
             for a in report.arms}
    assert shown == dict(expected)
    assert sum(a.visitors for a in report.arms) == 45
    assert len(report.comparisons) == 2
    # 15 buyers: no verdict yet, and the report says what it waits for.
    assert report.judgement.state == "keep_running"
    assert report.verdict.startswith("Keep running: each arm needs 100 converting visitors")


def test_the_admin_report_draws_its_charts_and_exports_csv(admin_client, experiment):
    campaign, run = experiment
    # 40 visitors: every arm gets some (with 12, one arm stayed empty about 1 run in 70,
    # and the uplift chart then has nothing to draw).
    for _ in range(40):
        give_consent(Client()).get("/_pz/slots/")
    flush_events()
    roll_up(run)
    url = f"/admin/personalization/campaign/{campaign.pk}/report/"
    page = admin_client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    # The cumulative uplift with its interval, then conversion and RPV per arm per day.
    assert html.count('<svg class="pz-chart"') == 3
    assert "Cumulative uplift in conversion rate" in html
    assert "Control (holdout)" in html and "Variant &#x27;Cats&#x27;" in html
    rows = admin_client.get(url + "?format=csv").content.decode().splitlines()
    assert rows[0] == "day,arm,visitors,converting visitors,revenue"
    assert sum(int(r.split(",")[2]) for r in rows[1:]) == 40
    listing = admin_client.get("/admin/personalization/campaign/").content.decode()
    assert url in listing
    assert admin_client.get("/admin/personalization/campaign/program/").status_code == 200


def test_a_report_address_with_no_campaign_number_is_not_a_server_error(admin_client):
    for url in ("/admin/personalization/campaign/abc/report/",
                "/admin/personalization/journey/abc/report/",
                "/admin/personalization/campaign/999999/report/"):
        assert admin_client.get(url).status_code in (302, 404), url


def test_promoting_without_a_winner_verdict_needs_an_explicit_choice_and_a_reason(
        admin_client, admin_user, experiment):
    campaign, run = experiment
    dogs = BannerVariant.objects.get(campaign=campaign, name="Dogs")
    url = f"/admin/personalization/campaign/{campaign.pk}/report/"
    report = admin_client.get(url).content.decode()
    confirm = f"?run={run.number}&amp;promote={dogs.pk}"
    assert confirm in report  # the report links to a confirmation page, not a bare button
    page = admin_client.get(url, {"run": run.number, "promote": dogs.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Keep running" in html  # the evidence: what the report says now
    assert "does not name “Dogs” the winner" in html
    # One click is not enough: nothing changes without the choice and the reason.
    refused = admin_client.post(url, {"action": "promote", "variant": dogs.pk})
    assert refused.status_code == 200
    assert "Say why you promote it without a winner verdict." in refused.content.decode()
    run.refresh_from_db()
    assert run.winner is None and run.ended_at is None

    response = admin_client.post(url, {"action": "promote", "variant": dogs.pk,
                                       "without_verdict": "on",
                                       "reason": "The brand team prefers dogs."})
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.winner == dogs and run.ended_at is not None
    assert run.promoted_by == admin_user and run.promote_reason == "The brand team prefers dogs."
    assert run.promote_verdict.startswith("Keep running")
    assert [(v.name, v.weight) for v in BannerVariant.objects.filter(campaign=campaign)
            .order_by("name")] == [("Cats", 0), ("Dogs", 1)]
    assert not ExperimentRun.objects.filter(campaign=campaign, ended_at=None).exists()
    history = admin_client.get(url, {"run": run.number}).content.decode()
    assert "“Dogs” promoted on" in history
    assert "without a winner verdict: “The brand team prefers dogs.”" in history


def test_staff_who_may_only_view_campaigns_cannot_open_or_post_a_promote(client, experiment):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    campaign, run = experiment
    dogs = BannerVariant.objects.get(campaign=campaign, name="Dogs")
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_campaign"))
    client.force_login(viewer)
    url = f"/admin/personalization/campaign/{campaign.pk}/report/"
    assert client.get(url).status_code == 200
    assert f"promote={dogs.pk}" not in client.get(url).content.decode()
    assert client.get(url, {"promote": dogs.pk}).status_code == 403
    assert client.post(url, {"action": "promote", "variant": dogs.pk, "without_verdict": "on",
                             "reason": "x"}).status_code == 403
    run.refresh_from_db()
    assert run.winner is None


def test_the_campaign_form_plans_the_run_from_the_slots_traffic_and_baseline(admin_client):
    import uuid
    from datetime import timedelta

    from django.utils import timezone

    from personalization.measurement import statistics as st

    slot = SlotFactory(key="hero", name="Hero", kind="banner")
    before = CampaignFactory(name="Last month", slot=slot, status="paused",
                             holdout_percent=50, variants=())
    old = ExperimentRunFactory(campaign=before, number=1,
                               started_at=timezone.now() - timedelta(days=20),
                               ended_at=timezone.now(), holdout_percent=50, weights={})
    DailyRollupFactory(run=old, day=timezone.localdate() - timedelta(days=10),
                       control=True, visitors=2000, converters=100)  # 5 %
    # 1,400 visitors saw the slot in the last 28 days: 50 a day.
    Event.objects.bulk_create([Event(visitor_id=uuid.uuid4(), type="impression",
                                     campaign=before, slot="hero") for _ in range(1400)])
    campaign = CampaignFactory(name="New test", slot=slot, holdout_percent=50,
                               minimum_effect_percent=20, analysis="planned",
                               variants=(), status="draft")
    BannerVariantFactory(campaign=campaign, name="A", headline="A")
    expected = st.sample_size_proportions(0.05, 0.2, power=0.8)
    page = admin_client.get(f"/admin/personalization/campaign/{campaign.pk}/change/")
    html = page.content.decode()
    assert "At about 50 new visitors a day and a baseline conversion rate of 5.00 %" in html
    assert f"about {expected:,} visitors per arm (2 arms)" in html
    # When it goes live the run keeps the plan, and waits for it before any verdict.
    campaign.status = "live"
    campaign.save()
    run = sync_run(campaign)
    assert run.analysis == "planned" and run.planned_visitors == expected
    report = run_report(run)
    assert report.verdict.startswith("Keep running: this planned run is judged once every "
                                     f"arm has {expected:,} visitors")


def test_a_run_judged_on_a_goal_counts_the_visitors_who_reached_it():
    """The merchant chose "newsletter sign-ups" as the decision metric: the page that
    records it with {% pz_goal %} (or the events API) feeds the run's report."""
    slot = SlotFactory(key="hero", name="Hero", kind="banner")
    campaign = CampaignFactory(name="Sign-up test", slot=slot, status="live",
                               holdout_percent=50, decision_metric="goal",
                               goal_event="newsletter_signup", variants=())
    BannerVariantFactory(campaign=campaign, name="Join us", headline="Join us")
    run = sync_run(campaign)
    assert run.metric == "goal" and run.goal_event == "newsletter_signup"
    for n in range(30):
        client = give_consent(Client())
        client.get("/_pz/slots/")
        if n % 3 == 0:
            client.get("/_pz/thanks/", {"value": "2.50"})
        elif n % 3 == 1:
            client.post("/pz/api/events/", {"events": [
                {"type": "custom", "name": "other_event"}]}, content_type="application/json")
    flush_events()
    roll_up(run)
    report = run_report(run)
    assert sum(a.goals for a in report.arms) == 10
    assert sum(a.goal_value for a in report.arms) == pytest.approx(25.0)
    assert report.terms.metric == "goal" and report.metric_name == "goal rate"
    assert "each arm needs 100 converting visitors" in report.verdict
    shown = Client()
    shown.force_login(UserFactory(is_staff=True, is_superuser=True))
    html = shown.get(f"/admin/personalization/campaign/{campaign.pk}/report/").content.decode()
    assert "Decision metric, chosen when the run started: goal rate." in html
    assert "Reached the goal" in html


def test_a_campaign_with_one_variant_shows_its_own_figures(admin_client,
                                                          django_capture_on_commit_callbacks):
    """No holdout, one variant: no experiment, yet the report shows its exposures, clicks,
    conversions and revenue (they used to appear only in "Personalization as a whole")."""
    slot = SlotFactory(key="hero", name="Hero", kind="banner")
    campaign = CampaignFactory(name="Spring", slot=slot, status="live", variants=())
    BannerVariantFactory(campaign=campaign, name="Spring sale", headline="Spring")
    assert sync_run(campaign) is None
    product = ProductFactory(price=Decimal("20.00"), stock=100)
    for n in range(3):
        client = give_consent(Client())
        client.get("/_pz/slots/")
        if n == 0:
            client.post("/cart/add/", {"product_id": product.pk, "quantity": 2})
            with django_capture_on_commit_callbacks(execute=True):
                client.post("/checkout/", {"action": "place", "name": "A", "email": "a@x.nl",
                                           "address": "Straat 1", "discount_code": ""})
    flush_events()

    page = admin_client.get(f"/admin/personalization/campaign/{campaign.pk}/report/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "What it has, without a comparison" in html
    row = html.split("Variant &#x27;Spring sale&#x27;</td>", 1)[1].split("</tr>", 1)[0]
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
    # impressions, visitors, clicks, converting, rate, orders, revenue, revenue per visitor
    assert cells[:2] == ["3", "3"] and cells[3:5] == ["1", "33.33 %"]
    assert cells[5] == "1" and cells[6].replace("\u00a0", " ") in ("€ 40.00", "€40.00")


def test_a_campaign_never_shown_says_so(admin_client):
    slot = SlotFactory(key="hero", name="Hero", kind="banner")
    campaign = CampaignFactory(name="Spring", slot=slot, status="draft", variants=())

    html = admin_client.get(f"/admin/personalization/campaign/{campaign.pk}/report/")

    assert "No impressions recorded yet." in html.content.decode()


def test_a_goal_the_shop_could_never_record_is_refused():
    from django.core.exceptions import ValidationError

    slot = SlotFactory(key="hero", name="Hero", kind="banner")
    campaign = Campaign(name="Sign-ups", slot=slot, decision_metric="goal",
                        goal_event="Bad Name!")
    with pytest.raises(ValidationError) as refused:
        campaign.full_clean()
    assert "1 to 64 lower-case letters" in str(refused.value.message_dict["goal_event"])
    campaign.goal_event = "newsletter_signup"
    campaign.full_clean()


def test_a_planned_run_shows_no_chance_to_beat_control_before_its_planned_size(admin_client):
    slot = SlotFactory(key="hero", name="Hero", kind="banner")
    campaign = CampaignFactory(name="Planned", slot=slot, status="live",
                               holdout_percent=50, analysis="planned",
                               planned_visitors=5000, variants=())
    BannerVariantFactory(campaign=campaign, name="A", headline="A")
    run = sync_run(campaign)
    for _ in range(10):
        give_consent(Client()).get("/_pz/slots/")
    flush_events()
    roll_up(run)
    html = admin_client.get(f"/admin/personalization/campaign/{campaign.pk}/report/"
                            ).content.decode()
    assert "this planned run is judged once every arm has 5,000 visitors" in html
    assert "Chance to beat control" not in html and "Fixed-horizon figures" not in html


def test_the_plan_reads_as_dutch_in_a_dutch_admin():
    """One number format on the page: the baseline amount is written the Dutch way, and
    "1 week" / "3 weken" instead of "week/weken"."""
    from django.utils import translation

    from personalization.measurement.planning import Baseline, Plan, describe

    plan = Plan("revenue", 2, Baseline(visitors_per_day=1200, mean=4.05, sd=20.0), 0.1, 0.8,
                visitors_per_arm=12_000)
    one_week = Plan("revenue", 2, Baseline(visitors_per_day=12_000, mean=4.05, sd=20.0), 0.1,
                    0.8, visitors_per_arm=12_000)
    with translation.override("nl"):
        text, short = describe(plan), describe(one_week)
    assert "€\xa04,05" in text and "€4.05" not in text  # a no-break space, as Dutch writes it
    assert "12.000 bezoekers per groep" in text
    assert text.endswith("dus 3 weken.") and short.endswith("dus 1 week.")
    with translation.override("en"):
        assert describe(plan).endswith("so 3 weeks.")
        assert "baseline revenue per visitor of €4.05" in describe(plan)


def test_update_the_figures_now_counts_what_visitors_just_did(admin_client, experiment):
    """The merchant clicks "Update the figures now" after visitors saw the banner: their
    impressions, still waiting in the event buffer, are in the figures at once."""
    campaign, run = experiment
    for _ in range(12):
        give_consent(Client()).get("/_pz/slots/")
    assert not Event.objects.filter(campaign=campaign).exists()  # still buffered
    url = f"/admin/personalization/campaign/{campaign.pk}/report/"

    answer = admin_client.post(url + f"?run={run.number}", {"action": "refresh"})

    assert answer.status_code == 302
    assert sum(a.visitors for a in run_report(run).arms) == 12
    page = admin_client.get(answer["Location"]).content.decode()
    assert "The figures are up to date." in page
