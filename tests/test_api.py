"""The API's decisions are the pages' decisions: same visitor, same answer; bad input is a
400 with field errors; the schema is OpenAPI 3 and its docs are served without a CDN."""

import json
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from personalization.testing import give_consent
from tests.factories import (
    BannerVariantFactory,
    CampaignFactory,
    OrderCountRuleFactory,
    SegmentFactory,
    SlotFactory,
)

pytestmark = pytest.mark.django_db

API = "/pz/api/decisions/"


@pytest.fixture
def seeded():
    call_command("seed_demo", customers=20, history=False, verbosity=0)


def persona(username: str) -> Client:
    client = give_consent(Client())
    client.post("/login/", {"username": username, "password": "demo"})
    return client


def page_decisions(client: Client, path: str) -> dict[str, tuple[str, str]]:
    html = client.get(path).content.decode()
    return {m.group(1): (m.group(2), m.group(3)) for m in re.finditer(
        r'data-pz-slot="([\w-]+)" data-pz-campaign="(\d+)" data-pz-variant="(\d+)"', html)}


@pytest.mark.parametrize("username", ["anna", "jan", "lisa", "tom"])
def test_the_api_answers_what_the_page_shows_the_same_visitor(seeded, username):
    client = persona(username)
    shown = page_decisions(client, "/")
    assert shown, "the home page personalizes something for every persona"
    answer = client.get(API, {"slot": list(shown), "path": "/"}).json()["decisions"]
    assert {d["slot"]: (str(d["campaign"]), str(d["variant"])) for d in answer} == shown
    for decision in answer:
        assert decision["shows_variant"] and decision["content"]["fields"]


def test_a_banner_comes_with_its_markup_and_fields(seeded):
    client = persona("anna")
    answer = client.get(API, {"slot": ["greeting", "nowhere"]}).json()["decisions"]
    greeting, nowhere = answer
    assert greeting["content"]["html"] and "Anna" in greeting["content"]["html"]
    assert nowhere == {"slot": "nowhere", "kind": "", "campaign": None, "variant": None,
                       "control": False, "shows_variant": False, "token": None,
                       "content": None}
    assert greeting["token"] and f'data-pz-token="{greeting["token"]}"' in \
        greeting["content"]["html"]  # the same proof of exposure as on a page


def test_bad_input_is_a_400_with_field_errors(seeded):
    client = Client()
    assert client.get(API).status_code == 400
    errors = client.get(API, {"slot": "Bad Slot!", "path": "no-slash"}).json()
    assert "slot" in errors and "path" in errors
    assert client.get(API, {"slot": [f"s{n}" for n in range(21)]}).status_code == 400
    assert client.get(API, {"slot": "home_hero", "category": "x"}).status_code == 400
    assert client.post(API, {"slot": "home_hero"}).status_code == 405


def test_the_schema_is_openapi_3_and_the_docs_use_no_cdn(seeded):
    client = Client()
    schema = client.get("/pz/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    spec = schema.json()
    assert spec["openapi"].startswith("3.") and "/pz/api/decisions/" in spec["paths"]
    docs = client.get("/pz/api/docs/").content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower()


def served(client: Client, slot: str, **query) -> dict:
    """The API's decision for ``slot`` (a campaign must win): its campaign, token …"""
    decision = client.get(API, {"slot": slot, **query}).json()["decisions"][0]
    assert decision["campaign"] and decision["token"], decision
    return decision


def test_events_are_recorded_in_batches_with_consent_and_checked(seeded):
    from personalization.measurement.events import flush_events
    from personalization.models import Campaign, Event

    client = persona("lisa")
    popup = served(client, "site_popup")
    campaign = Campaign.objects.get(pk=popup["campaign"])
    token = popup["token"]
    answer = client.post("/pz/api/events/", {"events": [
        {"type": "dismiss", "campaign": campaign.pk, "token": token},
        {"type": "click", "campaign": campaign.pk, "token": token}
    ]}, content_type="application/json")
    assert answer.status_code == 202 and answer.json() == {"recorded": 2, "dropped": 0}
    assert "pz_caps" in answer.cookies  # the dismissal keeps it away, as from the script
    flush_events()
    assert sorted(Event.objects.filter(campaign=campaign).values_list("type", flat=True)) \
        == ["click", "dismiss"]

    bad = client.post("/pz/api/events/", {"events": [{"type": "view", "campaign": "x"}]},
                      content_type="application/json")
    assert bad.status_code == 400 and "events" in bad.json()
    unknown = client.post("/pz/api/events/", {"events": [
        {"type": "click", "campaign": campaign.pk, "token": token},
        {"type": "click", "campaign": 99999}]}, content_type="application/json")
    assert unknown.status_code == 400 and "99999" in str(unknown.json())
    flush_events()
    assert Event.objects.filter(campaign=campaign, type="click").count() == 1  # whole refused
    huge = client.post("/pz/api/events/", {"events": [
        {"type": "click", "campaign": campaign.pk}] * 51}, content_type="application/json")
    assert huge.status_code == 413

    nobody = Client()  # no consent: accepted, nothing recorded (and lisa's token is hers)
    assert nobody.post("/pz/api/events/", {"events": [{"type": "click", "campaign":
                                                       campaign.pk, "token": token}]},
                       content_type="application/json").json() == {"recorded": 0,
                                                                    "dropped": 1}


def test_views_and_custom_events_are_recorded_and_their_ids_checked(seeded):
    from personalization.measurement.events import flush_events
    from personalization.models import Campaign, Event

    client = persona("lisa")
    decision = served(client, "site_popup")
    popup = Campaign.objects.get(pk=decision["campaign"])
    token = decision["token"]
    banner = Campaign.objects.filter(slot__kind="banner", status="live").first()
    answer = client.post("/pz/api/events/", {"events": [
        {"type": "view", "campaign": popup.pk, "token": token},
        {"type": "custom", "name": "newsletter_signup"},
        {"type": "custom", "name": "video.played", "campaign": popup.pk, "value": "12.50",
         "token": token},
    ]}, content_type="application/json")
    assert answer.status_code == 202 and answer.json() == {"recorded": 3, "dropped": 0}
    flush_events()
    [seen] = Event.objects.filter(type="impression", campaign=popup)
    assert seen.control or seen.variant_id in {v.pk for v in popup.variants.all()}
    custom = Event.objects.filter(type="custom").order_by("reference")
    assert [(e.reference, e.campaign_id, e.value) for e in custom] == [
        ("newsletter_signup", None, None), ("video.played", popup.pk, Decimal("12.50"))]

    def refused(*events):
        answer = client.post("/pz/api/events/", {"events": list(events)},
                             content_type="application/json")
        assert answer.status_code == 400
        return str(answer.json())

    # A banner is counted when decided; the script never reports its display.
    assert "not shown by the script" in refused({"type": "view", "campaign": banner.pk})
    other = banner.variants.first().pk
    assert f"Variant {other} is not campaign {popup.pk}" in refused(
        {"type": "click", "campaign": popup.pk, "variant": other})
    assert "needs a name" in refused({"type": "custom"})
    assert "needs a campaign" in refused({"type": "click"})
    assert "lower-case" in refused({"type": "custom", "name": "Bad Name!"})
    assert "Only a custom event" in refused({"type": "click", "campaign": popup.pk,
                                             "value": "1"})
    assert "value" in refused({"type": "custom", "name": "x", "value": "-1"})
    flush_events()
    assert Event.objects.filter(type__in=["impression", "custom", "click"],
                                campaign=popup).count() == 2  # nothing of the refused


def test_the_script_posts_a_form_that_carries_its_csrf_token(seeded):
    """navigator.sendBeacon cannot send headers: the batch comes as a form with the token."""
    client = give_consent(Client(enforce_csrf_checks=True))
    client.get("/")
    token = client.cookies["csrftoken"].value
    batch = json.dumps([{"type": "custom", "name": "newsletter_signup"}])
    assert client.post("/pz/api/events/", {"events": batch}).status_code == 403
    answer = client.post("/pz/api/events/", {"csrfmiddlewaretoken": token, "events": batch})
    assert answer.status_code == 202 and answer.json() == {"recorded": 1, "dropped": 0}
    broken = client.post("/pz/api/events/", {"csrfmiddlewaretoken": token, "events": "[{"})
    assert broken.status_code == 400 and "not JSON" in str(broken.json())


def test_writes_need_the_csrf_token_even_for_an_anonymous_visitor(seeded):
    client = Client(enforce_csrf_checks=True)
    denied = client.post("/pz/api/events/", {"events": [{"type": "click", "campaign": 1}]},
                         content_type="application/json")
    assert denied.status_code == 403
    client.get("/")
    token = client.cookies["csrftoken"].value
    allowed = client.put("/pz/api/consent/", {"choices": {"analytics": True}},
                         content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert allowed.status_code == 200


def test_consent_is_read_and_set_as_from_the_banner(seeded):
    from personalization.engine.cookies import VisitorState
    from personalization.models import ConsentRecord

    client = Client()
    before = client.get("/pz/api/consent/").json()
    assert before["decided"] is False
    assert {p["key"] for p in before["purposes"]} >= {"necessary", "analytics"}
    answer = client.put("/pz/api/consent/", {"choices": {"analytics": True,
                                                         "personalization": False}},
                        content_type="application/json")
    assert answer.status_code == 200 and answer.json()["decided"] is True
    granted = {p["key"]: p["granted"] for p in answer.json()["purposes"]}
    assert granted["analytics"] and not granted["personalization"]
    vid = VisitorState.loads(answer.cookies["pz_vid"].value).vid
    assert {str(r.visitor_id) for r in ConsentRecord.objects.filter(source="banner")} == {vid}
    wrong = client.put("/pz/api/consent/", {"choices": {"necessary": False, "spam": True}},
                       content_type="application/json")
    assert wrong.status_code == 400 and "spam" in str(wrong.json())


def test_the_visitor_exports_and_erases_his_own_data(seeded):
    client = persona("anna")
    client.get("/")
    export = client.get("/pz/api/me/").json()
    assert export["customer"]["username"] == "anna" and export["visitor_ids"]
    assert client.delete("/pz/api/me/", {}, content_type="application/json").status_code \
        == 400  # erasure needs confirm: true
    erased = client.delete("/pz/api/me/", {"confirm": True}, content_type="application/json")
    assert erased.status_code == 200 and erased.json()["erased"]["profiles"] >= 1
    assert erased.cookies["pz_vid"].value == "" and erased.cookies["pz_consent"].value == ""


def test_a_visitor_writing_too_fast_is_told_when_to_come_back(seeded):
    from django.core.cache import cache

    cache.clear()
    client = Client()
    codes = [client.put("/pz/api/consent/", {"choices": {"analytics": True}},
                        content_type="application/json").status_code for _ in range(122)]
    # (the first write comes before his visitor cookie: it counts for his address)
    assert codes[:121] == [200] * 121 and codes[121] == 429
    last = client.put("/pz/api/consent/", {"choices": {"analytics": True}},
                      content_type="application/json")
    assert last.status_code == 429 and int(last["Retry-After"]) > 0


def test_an_invented_forwarded_for_header_does_not_dodge_the_address_limit(
        seeded, monkeypatch, settings):
    from django.core.cache import cache

    from personalization.touchpoints.throttle import ADDRESS_LIMIT

    cache.clear()
    monkeypatch.setattr(ADDRESS_LIMIT, "count", 5)

    def write(address: str) -> int:  # a new browser each time, claiming another address
        return Client().put("/pz/api/consent/", {"choices": {"analytics": True}},
                            content_type="application/json",
                            HTTP_X_FORWARDED_FOR=address).status_code

    codes = [write(f"203.0.113.{i}") for i in range(7)]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]  # one address: 127.0.0.1
    # Behind a proxy the shop says so, and the header's address is the client's.
    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert [write(f"203.0.113.{i}") for i in range(7)] == [200] * 7


def staff_client(*codenames):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    user = UserFactory(username=f"staff-{'-'.join(codenames) or 'none'}", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def test_a_campaign_report_as_data_for_staff_who_may_view_campaigns():
    from personalization.measurement.reports import run_report
    from personalization.models import ExperimentRun

    call_command("seed_demo", customers=10, verbosity=0)  # with the measured history
    run = ExperimentRun.objects.get(campaign__name__contains="clear winner")
    url = f"/pz/api/campaigns/{run.campaign_id}/report/"
    assert Client().get(url).status_code == 403  # anonymous
    assert staff_client().get(url).status_code == 403  # staff without the permission
    data = staff_client("view_campaign").get(url).json()
    expected = run_report(run)
    assert data["verdict"] == expected.verdict and "wins on conversion rate" in data["verdict"]
    assert [a["visitors"] for a in data["arms"]] == [a.visitors for a in expected.arms]
    first = data["comparisons"][0]
    assert first["rpv"]["value"] == pytest.approx(expected.comparisons[0].rpv.value)
    assert first["cuped"]["narrower_by"] > 0
    assert staff_client("view_campaign").get(url, {"segment": "nope"}).status_code == 400


def test_what_does_not_exist_is_a_404_with_a_reason(seeded):
    from personalization.models import Campaign

    never_run = Campaign.objects.filter(runs__isnull=True).first()
    client = staff_client("view_campaign", "view_segment", "change_segment", "view_slot")
    assert client.get("/pz/api/campaigns/99999/report/").status_code == 404
    answer = client.get(f"/pz/api/campaigns/{never_run.pk}/report/")
    assert answer.status_code == 404 and "has no run" in answer.json()["detail"]
    assert client.get("/pz/api/segments/99999/").status_code == 404
    assert client.get("/pz/api/slots/99999/").status_code == 404
    assert client.post("/pz/api/segments/99999/refresh/").status_code == 404
    assert client.get("/pz/api/nothing-here/").status_code == 404


def test_explain_for_staff_names_the_reasons_and_guards_customers(seeded):
    viewer = staff_client("view_segment")
    anonymous = viewer.get("/pz/api/explain/", {"path": "/c/cats/"}).json()
    assert {d["slot"] for d in anonymous["decisions"]} >= {"greeting", "site_popup"}
    assert all(d["reasons"] for d in anonymous["decisions"])
    assert viewer.get("/pz/api/explain/", {"user": "lisa"}).status_code == 403
    allowed = staff_client("view_segment", "preview_as_customer").get(
        "/pz/api/explain/", {"user": "lisa"}).json()
    greeting = next(d for d in allowed["decisions"] if d["slot"] == "greeting")
    assert greeting["campaign"] is not None
    assert viewer.get("/pz/api/explain/", {"visitor": "not-a-uuid"}).status_code == 400


def test_explain_reads_the_category_and_the_query_of_the_page_as_the_command_does(seeded):
    """The category page's banner wins for the page's category; the path keeps its query
    apart (it was taken as part of the path)."""
    viewer = staff_client("view_segment")
    answer = viewer.get("/pz/api/explain/",
                        {"path": "/c/cat-litter/?utm_source=newsletter"}).json()
    banner = next(d for d in answer["decisions"] if d["slot"] == "category_banner")
    assert banner["campaign"] is not None, banner["reasons"]
    elsewhere = viewer.get("/pz/api/explain/", {"path": "/c/dog-food/"}).json()
    banner = next(d for d in elsewhere["decisions"] if d["slot"] == "category_banner")
    assert banner["campaign"] is None


def test_slots_are_managed_with_the_admins_checks_and_permissions():
    from personalization.models import Slot

    reader = staff_client("view_slot")
    assert reader.get("/pz/api/slots/").status_code == 200
    assert reader.post("/pz/api/slots/", {"key": "x", "name": "X", "kind": "banner"},
                       content_type="application/json").status_code == 403
    editor = staff_client("view_slot", "add_slot", "change_slot", "delete_slot")
    made = editor.post("/pz/api/slots/", {"key": "home_hero", "name": "Home hero",
                                          "kind": "banner"}, content_type="application/json")
    assert made.status_code == 201, made.content
    again = editor.post("/pz/api/slots/", {"key": "home_hero", "name": "Again",
                                           "kind": "banner"}, content_type="application/json")
    assert again.status_code == 400 and "key" in again.json()
    slot = Slot.objects.get(key="home_hero")
    BannerVariantFactory(campaign=CampaignFactory(name="Hero", slot=slot,
                                                  variants=(), status="draft"),
                         headline="Hi")
    changed = editor.patch(f"/pz/api/slots/{slot.pk}/", {"kind": "popup"},
                           content_type="application/json")
    assert changed.status_code == 400  # the admin's own check: its campaigns hold banners
    assert Slot.objects.get(pk=slot.pk).kind == "banner"
    assert editor.patch(f"/pz/api/slots/{slot.pk}/", {"name": "Hero"},
                        content_type="application/json").json()["name"] == "Hero"


def test_a_computed_segment_is_refreshed_on_request():
    from tests.factories import OrderFactory, UserFactory

    buyer = UserFactory(username="buyer")
    OrderFactory(user=buyer)
    segment = SegmentFactory(name="Buyers", slug="buyers", kind="computed")
    OrderCountRuleFactory(segment=segment, minimum=1)
    live = SegmentFactory(name="Live", slug="live")
    client = staff_client("change_segment")
    done = client.post(f"/pz/api/segments/{segment.pk}/refresh/")
    assert done.status_code == 200 and done.json()["members"] == 1
    assert client.post(f"/pz/api/segments/{live.pk}/refresh/").status_code == 400
    assert staff_client().post(f"/pz/api/segments/{segment.pk}/refresh/").status_code == 403


def test_segments_with_their_rules_are_checked_as_in_the_admin_and_saved_whole():
    from personalization.models import Segment

    client = staff_client("view_segment", "add_segment", "change_segment")
    made = client.post("/pz/api/segments/", {
        "name": "Dutch buyers", "slug": "dutch-buyers", "kind": "live", "match": "all",
        "rules": [{"type": "countryrule", "countries": ["NL"]},
                  {"type": "ordercountrule", "minimum": 1}]}, content_type="application/json")
    assert made.status_code == 201, made.content
    segment = Segment.objects.get(slug="dutch-buyers")
    assert [r["type"] for r in made.json()["rules"]] == ["countryrule", "ordercountrule"]
    assert segment.rules.count() == 2

    bad = client.post("/pz/api/segments/", {
        "name": "Bad", "slug": "bad", "kind": "computed",
        "rules": [{"type": "countryrule", "countries": ["NL"]},
                  {"type": "countryrule", "countries": ["Holland"]},
                  {"type": "nosuchrule"}]}, content_type="application/json")
    assert bad.status_code == 400
    errors = bad.json()["rules"]
    assert "cannot be used in a computed segment" in errors["0"][0]
    assert "Holland" in " ".join(errors["1"]) and "Unknown type" in errors["2"][0]
    assert not Segment.objects.filter(slug="bad").exists()  # nothing half-written

    replaced = client.patch(f"/pz/api/segments/{segment.pk}/", {
        "rules": [{"type": "loggedinrule"}]}, content_type="application/json")
    assert replaced.status_code == 200, replaced.content
    assert [r["type"] for r in replaced.json()["rules"]] == ["loggedinrule"]
    assert staff_client("view_segment").post("/pz/api/segments/", {"name": "X", "slug": "x"},
                                             content_type="application/json").status_code == 403


def test_campaigns_with_their_variants_are_checked_as_in_the_admin(
        django_capture_on_commit_callbacks):
    from personalization.models import Campaign, ExperimentRun

    slot = SlotFactory(key="home_hero", name="Home hero", kind="banner")
    client = staff_client("view_campaign", "add_campaign", "change_campaign")
    body = {"name": "Cat week", "slot": slot.pk, "status": "live", "holdout_percent": 10,
            "variants": [{"type": "bannervariant", "name": "A", "headline": "20% off"},
                         {"type": "bannervariant", "name": "B", "headline": "Free toy"}]}
    with django_capture_on_commit_callbacks(execute=True):
        made = client.post("/pz/api/campaigns/", body, content_type="application/json")
    assert made.status_code == 201, made.content
    campaign = Campaign.objects.get(name="Cat week")
    assert [v["headline"] for v in made.json()["variants"]] == ["20% off", "Free toy"]
    run = ExperimentRun.objects.get(campaign=campaign, ended_at=None)  # an experiment runs
    assert run.holdout_percent == 10

    locked = client.patch(f"/pz/api/campaigns/{campaign.pk}/", {"holdout_percent": 50},
                          content_type="application/json")
    assert locked.status_code == 400 and "locked" in str(locked.json())

    wrong = client.post("/pz/api/campaigns/", {
        **body, "name": "Wrong", "variants": [{"type": "popupvariant", "name": "P",
                                               "title": "Hi"}]},
        content_type="application/json")
    assert wrong.status_code == 400 and "cannot be shown in a banner slot" in str(wrong.json())
    zero = client.post("/pz/api/campaigns/", {
        **body, "name": "Zero", "variants": [{"type": "bannervariant", "name": "A",
                                              "headline": "x", "weight": 0}]},
        content_type="application/json")
    assert zero.status_code == 400 and "add up to 0" in str(zero.json())
    late = client.post("/pz/api/campaigns/", {**body, "name": "Late",
                                              "starts_at": "2026-12-24T00:00:00Z",
                                              "ends_at": "2026-12-01T00:00:00Z"},
                       content_type="application/json")
    assert late.status_code == 400 and "ends before it starts" in str(late.json())
    assert not Campaign.objects.filter(name__in=["Wrong", "Zero", "Late"]).exists()


def test_a_native_app_keeps_its_visitor_in_headers_instead_of_cookies(seeded):
    from personalization.testing import consent_cookie

    app = Client()
    first = app.get(API, {"slot": "greeting"}, HTTP_X_PZ_CONSENT=consent_cookie())
    visitor = first["X-PZ-Visitor"]
    assert visitor
    again = Client().get(API, {"slot": "greeting"}, HTTP_X_PZ_CONSENT=consent_cookie(),
                         HTTP_X_PZ_VISITOR=visitor)
    from personalization.engine.cookies import VisitorState

    kept = again.get("X-PZ-Visitor")  # sent back only when it changed
    assert kept is None or VisitorState.loads(kept).vid == VisitorState.loads(visitor).vid
    assert "pz_vid" not in again.cookies or again.cookies["pz_vid"].value != ""
    # What the app does next is his: a click is recorded under the same visitor id.
    from demo_shop.catalog.models import Category
    from personalization.measurement.events import flush_events
    from personalization.models import Event

    banner = Client().get(API, {"slot": "category_banner", "path": "/c/cat-litter/",
                                "category": Category.objects.get(slug="cat-litter").pk},
                          HTTP_X_PZ_CONSENT=consent_cookie(), HTTP_X_PZ_VISITOR=visitor)
    [decision] = banner.json()["decisions"]
    Client().post("/pz/api/events/", {"events": [{"type": "click", "campaign":
                                                  decision["campaign"],
                                                  "token": decision["token"]}]},
                  content_type="application/json", HTTP_X_PZ_CONSENT=consent_cookie(),
                  HTTP_X_PZ_VISITOR=visitor)
    flush_events()
    clicked = Event.objects.get(type="click", campaign=decision["campaign"])
    assert str(clicked.visitor_id) == VisitorState.loads(visitor).vid
    forged = Client().get(API, {"slot": "greeting"}, HTTP_X_PZ_VISITOR="forged")
    assert forged.status_code == 200  # a bad value reads as a new visitor


def test_accepted_events_are_in_the_database_before_the_answer_in_one_insert(seeded):
    """A 202 means recorded: not buffered in a cache that a restart may empty."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from personalization.measurement.events import discard_local_buffer
    from personalization.models import Event

    client = persona("lisa")
    decision = served(client, "site_popup")
    popup, token = decision["campaign"], decision["token"]
    discard_local_buffer()  # the page's own impressions: buffered, not this test's subject
    with CaptureQueriesContext(connection) as queries:
        answer = client.post("/pz/api/events/", {"events": [
            {"type": "view", "campaign": popup, "token": token},
            {"type": "click", "campaign": popup, "token": token},
            {"type": "custom", "name": "newsletter_signup"},
        ]}, content_type="application/json")
    assert answer.status_code == 202 and answer.json() == {"recorded": 3, "dropped": 0}
    inserts = [q["sql"] for q in queries
               if q["sql"].startswith('INSERT INTO "personalization_event"')]
    assert len(inserts) == 1
    assert sorted(Event.objects.values_list("type", flat=True)) == [
        "click", "custom", "impression"]


def test_an_event_of_a_campaign_deleted_meanwhile_is_kept_without_it(seeded):
    from personalization.measurement.event_rows import event_row, record_events
    from personalization.models import Campaign, Event

    gone = Campaign.objects.filter(slot__kind="popup", status="live").order_by("pk").first()
    row = event_row(visitor_id="00000000-0000-0000-0000-000000000001", type="click",
                    slot="popup", campaign_id=gone.pk)
    gone.delete()
    assert record_events([row]) == 1
    event = Event.objects.get()
    assert event.type == "click" and event.campaign_id is None
