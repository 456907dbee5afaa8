"""Requests an outside probe of the demo answered with a 500: each is now a clear 4xx (or,
for a refresh of a segment without rules, a clear message), never a server error."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.factories import JourneyFactory, OrderCountRuleFactory, SegmentFactory, SlotFactory

pytestmark = pytest.mark.django_db

DEEP = "[" * 5000 + "]" * 5000  # deeper than Python's json can parse


def probe() -> Client:
    """A browser whose failures come back as answers (a 500 too), not as exceptions."""
    return Client(raise_request_exception=False)


def test_events_posted_as_multipart_with_the_batch_as_a_file_are_a_400():
    client = probe()
    answer = client.post("/pz/api/events/", {"events": SimpleUploadedFile(
        "events.json", b'[{"type": "custom", "name": "signup"}]',
        content_type="application/json")})
    assert answer.status_code == 400 and "not JSON" in str(answer.json())
    # The same batch as a multipart text field, as FormData sends it, is read.
    sent = client.post("/pz/api/events/", {"events": '[{"type": "custom", "name": "signup"}]'})
    assert sent.status_code == 202


@pytest.mark.parametrize("method,path", [
    ("post", "/pz/api/events/"), ("put", "/pz/api/consent/"), ("delete", "/pz/api/me/"),
    ("post", "/pz/api/slots/"), ("post", "/pz/api/segments/"), ("post", "/pz/api/campaigns/")])
def test_json_nested_5000_deep_is_a_400(admin_user, method, path):
    client = probe()
    client.force_login(admin_user)
    answer = getattr(client, method)(path, DEEP, content_type="application/json")
    assert answer.status_code == 400, answer.content[:300]
    assert "nested too deeply" in answer.json()["detail"]


def test_a_deep_batch_in_the_scripts_form_is_a_400():
    answer = probe().post("/pz/api/events/", {"events": DEEP})
    assert answer.status_code == 400 and "not JSON" in str(answer.json())


@pytest.mark.parametrize("payload", ["abc", "1", [1], {"user": 1}, 1.5, True, None])
def test_signed_links_whose_payload_is_not_a_user_id_are_invalid(payload):
    """Signed with the shop's key, so not forged; but only a user id is a customer (``True``
    would otherwise read as user 1)."""
    from django.core import signing

    from personalization.journeys.messages import CART_SALT, UNSUBSCRIBE_SALT
    from personalization.models import ConsentRecord
    from tests.factories import UserFactory

    UserFactory(username="first", id=1)  # whom True, "1" and 1.5 would have reached
    client = probe()
    unsubscribe = signing.dumps(payload, salt=UNSUBSCRIBE_SALT, compress=True)
    cart = signing.dumps(payload, salt=CART_SALT, compress=True)
    for answer in (client.get(f"/pz/journeys/unsubscribe/{unsubscribe}/"),
                   client.post(f"/pz/journeys/unsubscribe/{unsubscribe}/"),
                   client.get(f"/pz/journeys/cart/{cart}/")):
        assert answer.status_code == 404 and b"This link is not valid" in answer.content
    assert not ConsentRecord.objects.exists()


def test_an_unsubscribe_link_posted_again_records_one_withdrawal_and_is_throttled():
    from personalization.journeys.messages import unsubscribe_token
    from personalization.journeys.views import UNSUBSCRIBE_RATE
    from personalization.models import ConsentRecord
    from personalization.privacy.consent import may_send_marketing, record_choices
    from tests.factories import UserFactory

    anna = UserFactory(username="anna")
    record_choices(choices={"marketing": True}, source="banner", user=anna)
    link = f"/pz/journeys/unsubscribe/{unsubscribe_token(anna.pk)}/"
    client = Client()
    codes = [client.post(link).status_code for _ in range(30)]
    assert codes == [200] * UNSUBSCRIBE_RATE + [429] * (30 - UNSUBSCRIBE_RATE)
    withdrawals = ConsentRecord.objects.filter(user=anna, purpose="marketing", granted=False)
    assert withdrawals.count() == 1 and not may_send_marketing(anna)
    throttled = client.post(link)
    assert throttled["Retry-After"] == "60" and b"Try again in a minute" in throttled.content
    # Consenting again and unsubscribing again is a change: a second withdrawal.
    from django.core.cache import cache

    cache.clear()
    record_choices(choices={"marketing": True}, source="banner", user=anna)
    assert client.post(link).status_code == 200
    assert withdrawals.count() == 2


def test_a_slot_that_campaigns_use_is_not_deleted_through_the_api():
    from personalization.models import Slot
    from tests.factories import CampaignFactory, SlotFactory
    from tests.test_api import staff_client

    used = CampaignFactory(name="Winter sale").slot
    CampaignFactory(name="Cat week", slot=used)
    client = staff_client("view_slot", "delete_slot")
    answer = client.delete(f"/pz/api/slots/{used.pk}/")
    assert answer.status_code == 409
    body = answer.json()
    assert "campaign “Cat week”, campaign “Winter sale”" in body["detail"]
    assert sorted(u["name"] for u in body["used_by"]) == ["Cat week", "Winter sale"]
    assert Slot.objects.filter(pk=used.pk).exists()
    free = SlotFactory(key="sidebar")
    assert client.delete(f"/pz/api/slots/{free.pk}/").status_code == 204


def test_a_segment_a_journey_is_aimed_at_is_not_deleted_through_the_api():
    from personalization.models import Segment
    from tests.factories import SegmentFactory
    from tests.test_api import staff_client

    segment = SegmentFactory(kind="computed")
    JourneyFactory(name="Win-back", trigger="lapsed", segment=segment)
    answer = staff_client("view_segment", "delete_segment").delete(
        f"/pz/api/segments/{segment.pk}/")
    assert answer.status_code == 409 and "Win-back" in answer.json()["detail"]
    assert Segment.objects.filter(pk=segment.pk).exists()


@pytest.mark.parametrize("bulk", [False, True])
def test_the_admin_names_the_campaigns_that_keep_a_slot(admin_client, bulk):
    from personalization.models import Slot
    from tests.factories import CampaignFactory

    slot = CampaignFactory(name="Winter sale").slot
    if bulk:
        answer = admin_client.post("/admin/personalization/slot/", {
            "action": "delete_selected", "_selected_action": [slot.pk], "post": "yes"})
    else:
        answer = admin_client.post(f"/admin/personalization/slot/{slot.pk}/delete/",
                                   {"post": "yes"})
    page = answer.content.decode()
    assert answer.status_code == 200 and "Cannot delete slot" in page
    assert "protected related objects" in page and "Winter sale" in page
    assert Slot.objects.filter(pk=slot.pk).exists()


@pytest.fixture
def ruleless(db):
    """A computed segment whose rules were all deleted after a refresh found members."""
    from personalization.jobs.refresh import refresh_segment
    from tests.factories import OrderFactory, UserFactory

    OrderFactory(user=UserFactory(username="buyer"))
    segment = SegmentFactory(name="Buyers", slug="buyers", kind="computed")
    rule = OrderCountRuleFactory(segment=segment, minimum=1)
    assert refresh_segment(segment.pk).members == 1
    rule.delete()
    return segment


def test_refreshing_a_segment_without_rules_through_the_api_empties_it_and_says_why(ruleless):
    from tests.test_api import staff_client

    answer = staff_client("change_segment").post(f"/pz/api/segments/{ruleless.pk}/refresh/")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["members"], body["exited"]) == (0, 1)
    assert "has no rules, so it matches nobody" in body["warning"]
    ruleless.refresh_from_db()
    assert ruleless.member_count == 0 and not ruleless.memberships.exists()


def test_refreshing_a_segment_without_rules_in_the_admin_says_why(admin_client, ruleless):
    answer = admin_client.post("/admin/personalization/segment/", {
        "action": "refresh_now", "_selected_action": [ruleless.pk]}, follow=True)
    page = answer.content.decode()
    assert answer.status_code == 200 and "Buyers: 0 members (0 entered, 1 left)" in page
    assert "has no rules, so it matches nobody" in page


def test_the_refresh_task_and_command_refresh_a_segment_without_rules(ruleless, caplog):
    from io import StringIO

    from django.core.management import call_command

    from personalization.jobs.tasks import refresh_segment

    with caplog.at_level("WARNING", logger="personalization.jobs.refresh"):
        result = refresh_segment.apply(args=[ruleless.pk]).get()
    assert result["members"] == 0 and result["warning"]
    assert "which has no rules" in caplog.text
    out = StringIO()
    call_command("refresh_segments", stdout=out)
    assert "buyers: 0 members" in out.getvalue() and "matches nobody" in out.getvalue()


def test_every_demo_campaign_read_from_the_api_and_sent_back_unchanged_is_saved_unchanged(
        settings, tmp_path):
    from django.core.management import call_command

    from personalization.models import BannerVariant, Campaign
    from tests.demo_shop.test_variant_images import png
    from tests.test_api import staff_client

    call_command("seed_demo", customers=10, history=False, verbosity=0)
    settings.MEDIA_ROOT = tmp_path
    uploaded = BannerVariant.objects.order_by("pk").first()
    uploaded.image = SimpleUploadedFile("photo.png", png(16, 9))
    uploaded.save()
    client = staff_client("view_campaign", "change_campaign")
    weekend = Campaign.objects.order_by("pk").last()
    weekend.weekdays = ["5", "6"]
    weekend.save()
    for campaign in Campaign.objects.order_by("pk"):
        url = f"/pz/api/campaigns/{campaign.pk}/"
        read = client.get(url).json()
        put = client.put(url, read, content_type="application/json")
        assert put.status_code == 200, (campaign.name, put.content[:500])
        assert put.json() == read == client.get(url).json()
    assert client.get(f"/pz/api/campaigns/{weekend.pk}/").json()["weekdays"] == ["5", "6"]
    assert BannerVariant.objects.get(pk=uploaded.pk).image.name == uploaded.image.name


def test_every_demo_segment_read_from_the_api_and_sent_back_unchanged_is_saved_unchanged():
    from django.core.management import call_command

    from personalization.models import Segment
    from tests.test_api import staff_client

    call_command("seed_demo", customers=10, history=False, verbosity=0)
    client = staff_client("view_segment", "change_segment")
    for segment in Segment.objects.order_by("pk"):
        url = f"/pz/api/segments/{segment.pk}/"
        read = client.get(url).json()
        put = client.put(url, read, content_type="application/json")
        assert put.status_code == 200, (segment.name, put.content[:500])
        assert put.json() == read


@pytest.fixture
def experiment(django_capture_on_commit_callbacks):
    """A live campaign with two banners, whose experiment runs; read through the API."""
    from tests.test_api import staff_client

    slot = SlotFactory(key="home_hero", name="Home hero", kind="banner")
    client = staff_client("view_campaign", "add_campaign", "change_campaign")
    with django_capture_on_commit_callbacks(execute=True):
        made = client.post("/pz/api/campaigns/", {
            "name": "Cat week", "slot": slot.pk, "status": "live",
            "variants": [{"type": "bannervariant", "name": "A", "headline": "20% off"},
                         {"type": "bannervariant", "name": "B", "headline": "Free toy"}]},
            content_type="application/json")
    assert made.status_code == 201
    return client, made.json()


def pause(client, campaign, capture):
    """Pause the campaign: its run ends (after the commit), so its split may change."""
    with capture(execute=True):
        assert client.patch(f"/pz/api/campaigns/{campaign['id']}/", {"status": "paused"},
                            content_type="application/json").status_code == 200


def test_variants_sent_back_with_their_ids_are_changed_in_place(experiment):
    from personalization.measurement.experiments import open_run
    from personalization.models import Campaign, ContentVariant

    client, campaign = experiment
    url = f"/pz/api/campaigns/{campaign['id']}/"
    assert open_run(Campaign.objects.get(pk=campaign["id"])) is not None
    read = client.get(url).json()
    assert client.put(url, read, content_type="application/json").json() == read
    a, b = campaign["variants"]
    retold = client.patch(url, {"variants": [
        {**a, "headline": "25% off", "translations": {"nl": {"headline": "25% korting"}}},
        b]}, content_type="application/json")
    assert retold.status_code == 200, retold.content  # texts may change during a run
    assert [(v["id"], v["headline"]) for v in retold.json()["variants"]] == [
        (a["id"], "25% off"), (b["id"], "Free toy")]
    assert ContentVariant.objects.get(pk=a["id"]).in_language("nl").headline == "25% korting"

    for changed in ([{**a, "weight": 3}, b], [a], [a, b, {**b, "id": None, "name": "C"}]):
        locked = client.patch(url, {"variants": changed}, content_type="application/json")
        assert locked.status_code == 400 and "locked" in str(locked.json()), changed
    assert ContentVariant.objects.filter(campaign_id=campaign["id"]).count() == 2


@pytest.mark.parametrize("variant,message", [
    ({"translations": "{}"}, "Translations are an object"),
    ({"translations": {"nl": "Hallo"}}, "Translations are an object"),
    ({"translations": {"nl": {"link": "/x/"}}}, "link is not a text that can be translated"),
    ({"translations": {"nl": {"headline": 5}}}, "translation of headline is not a text"),
    ({"id": 99999}, "No bannervariant with id 99999 here"),
    ({"type": "popupvariant", "title": "Hi"}, "a type cannot change"),
])
def test_variants_that_cannot_be_saved_are_a_400(experiment, variant, message,
                                                django_capture_on_commit_callbacks):
    client, campaign = experiment
    pause(client, campaign, django_capture_on_commit_callbacks)
    a, b = campaign["variants"]
    item = {"id": a["id"], **variant} if "type" in variant else {**a, **variant}
    answer = client.patch(f"/pz/api/campaigns/{campaign['id']}/",
                          {"variants": [item, b]}, content_type="application/json")
    assert answer.status_code == 400 and message in str(answer.json()), answer.content


def test_a_paused_campaigns_variants_are_added_changed_and_removed_by_id(
        experiment, django_capture_on_commit_callbacks):
    client, campaign = experiment
    url = f"/pz/api/campaigns/{campaign['id']}/"
    pause(client, campaign, django_capture_on_commit_callbacks)
    a, b = campaign["variants"]
    answer = client.patch(url, {"variants": [{**b, "weight": 3}, {"type": "bannervariant",
                                                                  "name": "C",
                                                                  "headline": "New"}]},
                          content_type="application/json")
    assert answer.status_code == 200, answer.content
    variants = answer.json()["variants"]
    assert variants[0]["id"] == b["id"] and variants[0]["weight"] == 3
    assert variants[1]["id"] not in (a["id"], b["id"]) and len(variants) == 2
