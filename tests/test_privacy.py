"""Export and erasure: everything held on a person, then nothing (consent kept as proof)."""

import json
import uuid
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Q

from personalization.datarights.subjects import erase_subject, export_subject
from personalization.jobs import outbox
from personalization.jobs.receivers import RECORD_ORDER
from personalization.models import (
    ConsentRecord,
    Event,
    OutboxMessage,
    VisitorAlias,
    VisitorProfile,
)
from personalization.privacy.consent import record_choices
from personalization.testing import give_consent
from tests.factories import (
    CampaignFactory,
    EventFactory,
    RepNotificationFactory,
    SegmentFactory,
    SegmentMembershipFactory,
    SlotFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]


@pytest.fixture
def anna(client):
    """Anna with every kind of data: profile, alias, membership, events, consent."""
    user = get_user_model().objects.create_user("anna", password="pw", first_name="Anna")
    record_choices(choices={"personalization": True, "analytics": True}, source="signup",
                   user=user)
    CampaignFactory(slot=SlotFactory(key="hero"), name="Hero")
    give_consent(client)
    client.post("/login/", {"username": "anna", "password": "pw"})
    client.get("/_pz/slots/")  # an impression
    second = give_consent(client.__class__())
    second.get("/_pz/slots/")
    second.post("/login/", {"username": "anna", "password": "pw"})  # an alias
    segment = SegmentFactory(name="Cat owners", slug="cat-owners", kind="computed")
    SegmentMembershipFactory(segment=segment, user=user)
    from personalization.measurement.orders import record_order

    record_order(user_id=user.pk, visitor_id=None, value="20.00", reference="DS-1",
                 allowed=["personalization", "analytics"])
    return user


def test_export_contains_every_kind_of_data(anna):
    data = export_subject(user=anna)
    assert data["customer"]["username"] == "anna"
    assert len(data["profiles"]) == 1 and len(data["profiles"][0]["aliases"]) == 1
    assert data["segment_memberships"][0]["slug"] == "cat-owners"
    types = {e["type"] for e in data["events"]}
    assert {"impression", "conversion"} <= types
    assert {c["purpose"] for c in data["consent"]} >= {"personalization", "analytics"}
    json.dumps(data)  # plain JSON


def test_visitor_downloads_his_own_data(client, anna):
    response = client.get("/pz/privacy/my-data/")
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["customer"]["username"] == "anna" and data["events"]


def references_to(user, visitor_ids):
    """Rows in every personalization table that point at the person."""
    found = {}
    for model in apps.get_app_config("personalization").get_models():
        fields = {f.name for f in model._meta.get_fields()}
        query = {}
        if "user" in fields:
            query["user"] = user
        for name in ("visitor_id", "alias"):
            if name in fields:
                query[f"{name}__in"] = visitor_ids
        for lookup, value in query.items():
            n = model._base_manager.filter(**{lookup: value}).count()
            if n:
                found[f"{model.__name__}.{lookup}"] = n
    named = OutboxMessage.objects.filter(
        Q(kwargs__user_id=user.pk) | Q(kwargs__visitor_id__in=[str(i) for i in visitor_ids]))
    if named.exists():
        found["OutboxMessage.kwargs"] = named.count()
    return found


def test_erasure_leaves_nothing_but_pseudonymous_consent(anna):
    ids = set(export_subject(user=anna)["visitor_ids"])
    assert references_to(anna, ids)  # there was something to erase
    counts = erase_subject(user=anna)
    assert counts["profiles"] == 1 and counts["events"] >= 2
    assert references_to(anna, ids) == {}
    kept = ConsentRecord.objects.all()
    assert kept.exists() and all(r.user_id is None and r.visitor_id is None and r.subject
                                 for r in kept)
    assert erase_subject(user=anna) == {"events": 0, "aliases": 0, "profiles": 0,
                                        "segment_memberships": 0, "discount_codes": 0,
                                        "consent_records_pseudonymised": 0,
                                        "rep_alerts_anonymised": 0,
                                        "journey_messages": 0,
                                        "pending_work_cancelled": 0}  # idempotent


def test_visitor_erases_his_own_data(client, anna):
    assert client.get("/pz/privacy/forget-me/").status_code == 200
    response = client.post("/pz/privacy/forget-me/", {"next": "/"})
    assert response.status_code == 302
    assert not VisitorProfile.objects.filter(user=anna).exists()
    assert not Event.objects.filter(user=anna).exists()
    assert response.cookies["pz_vid"].value == ""


def test_erase_command_and_deleting_the_account(anna, capsys):
    call_command("erase_personal_data", "--user", "anna")
    assert "profiles: 1" in capsys.readouterr().out
    assert not VisitorAlias.objects.exists()
    bram = get_user_model().objects.create_user("bram")
    EventFactory(visitor_id="00000000-0000-0000-0000-0000000000b1", user=bram,
                 type="impression", value=Decimal("0"))
    bram.delete()  # deleting the account erases what personalization held on him
    assert not Event.objects.filter(visitor_id="00000000-0000-0000-0000-0000000000b1").exists()


def test_admin_export_and_erase_actions(admin_client, anna):
    profile = VisitorProfile.objects.get(user=anna)
    url = "/admin/personalization/visitorprofile/"
    response = admin_client.post(url, {"action": "export_personal_data",
                                       "_selected_action": [profile.pk]})
    assert json.loads(response.content)[0]["customer"]["username"] == "anna"
    response = admin_client.post(url, {"action": "erase_personal_data",
                                       "_selected_action": [profile.pk]}, follow=True)
    assert "Erased the personal data of 1 visitors" in response.content.decode()
    assert not VisitorProfile.objects.exists()


def test_a_first_visitors_consent_is_recorded_under_the_id_he_is_then_given():
    from django.test import Client

    from personalization.engine.cookies import VisitorState

    newcomer = Client()
    assert "pz_vid" not in newcomer.get("/_pz/slots/").cookies  # nothing before consent
    response = newcomer.post("/pz/privacy/", {"action": "accept_all", "next": "/"})
    vid = VisitorState.loads(response.cookies["pz_vid"].value).vid
    recorded = set(ConsentRecord.objects.values_list("visitor_id", flat=True))
    assert {str(v) for v in recorded} == {vid}
    newcomer.get("/_pz/slots/")
    assert VisitorState.loads(newcomer.cookies["pz_vid"].value).vid == vid
    export = json.loads(newcomer.get("/pz/privacy/my-data/").content)
    assert {c["purpose"] for c in export["consent"]} >= {"personalization", "analytics"}


def test_after_forget_me_nothing_is_tracked_until_he_chooses_again(client, anna):
    response = client.post("/pz/privacy/forget-me/", {"next": "/"})
    assert response.cookies["pz_consent"].value == ""
    Event.objects.all().delete()
    page = client.get("/_pz/slots/")
    assert "pz_vid" not in page.cookies or page.cookies["pz_vid"].value == ""
    from personalization.measurement.events import flush_events

    flush_events()
    assert not Event.objects.exists()  # no visit, no impression: not tracked
    assert not VisitorProfile.objects.filter(user=anna).exists()


def test_the_rep_sms_about_his_orders_is_in_his_export_and_anonymised_by_erasure():
    from demo_shop.customers.models import Account
    from personalization.datarights.subjects import ERASED
    from personalization.messaging.alerts import queue_rep_alert
    from personalization.models import RepNotification
    from tests.factories import (
        AccountFactory,
        CustomerProfileFactory,
        OrderFactory,
        OrderLineFactory,
        UserFactory,
    )

    jan = UserFactory(username="jan", first_name="Jan", last_name="de Vries")
    account = AccountFactory(kind=Account.Kind.B2B, b2b=True)
    CustomerProfileFactory(user=jan, account=account)
    order = OrderFactory(user=jan, account=account, total=Decimal("80.00"), placed_by=jan)
    OrderLineFactory(order=order)
    queue_rep_alert(order)
    other = UserFactory(username="piet")
    alerts = export_subject(user=jan)["sales_rep_alerts"]
    assert [a["order"] for a in alerts] == [order.number]
    assert "Jan de Vries" in alerts[0]["message"]
    assert export_subject(user=other)["sales_rep_alerts"] == []

    assert erase_subject(user=jan)["rep_alerts_anonymised"] == 1
    kept = RepNotification.objects.get()
    assert (kept.order_reference, kept.customer_name, kept.body) == (order.number, "", ERASED)


def test_old_rep_sms_are_purged_with_the_retention_limit(settings):
    from datetime import timedelta

    from django.utils import timezone

    from personalization.models import RepNotification
    from personalization.privacy.retention import purge_expired_data

    now = timezone.now()
    for ref, status, days in (("A", "sent", 400), ("B", "queued", 400), ("C", "sent", 10)):
        n = RepNotificationFactory(order_reference=ref, rep_reference="r",
                                   status=status, send_after=now, body=ref)
        RepNotification.objects.filter(pk=n.pk).update(created_at=now - timedelta(days=days))
    assert purge_expired_data(now)["rep_alerts"] == 1
    assert sorted(RepNotification.objects.values_list("order_reference", flat=True)) == \
        ["B", "C"]


def order_waiting(user, visitor_id):
    """An order whose conversion waits in the outbox (the broker was down)."""
    return outbox.post(RECORD_ORDER, {
        "user_id": user.pk, "visitor_id": visitor_id, "value": "20.00",
        "reference": "DS-2", "allowed": ["personalization", "analytics"]})


def test_erasure_cancels_his_waiting_work_and_its_run_recreates_nothing(
        anna, django_capture_on_commit_callbacks):
    visitor_id = str(VisitorProfile.objects.get(user=anna).visitor_id)
    with django_capture_on_commit_callbacks(execute=False):  # not handed to a worker
        waiting = order_waiting(anna, visitor_id)
    erase_subject(user=anna)
    waiting.refresh_from_db()
    assert waiting.done_at is not None and waiting.kwargs == {}
    assert "erased" in waiting.last_error

    assert outbox.run(waiting.pk) == "done"  # the broker is back and delivers it
    assert references_to(anna, {uuid.UUID(visitor_id)}) == {}
    assert not Event.objects.filter(reference="DS-2").exists()


def record_order_while_he_is_erased(**kwargs):
    """The order's conversion, which the customer's erasure overtakes: it commits after
    the message was taken, before the conversion is written."""
    from personalization.measurement.orders import record_order

    erase_subject(user=get_user_model().objects.get(pk=kwargs["user_id"]))
    record_order(**kwargs)


def test_work_that_ran_while_he_was_erased_leaves_nothing_of_his(
        anna, django_capture_on_commit_callbacks):
    visitor_id = str(VisitorProfile.objects.get(user=anna).visitor_id)
    with django_capture_on_commit_callbacks(execute=False):
        running = outbox.post(f"{__name__}.record_order_while_he_is_erased", {
            "user_id": anna.pk, "visitor_id": visitor_id, "value": "20.00",
            "reference": "DS-3", "allowed": ["personalization", "analytics"]})
    assert outbox.run(running.pk) == "ran"
    assert references_to(anna, {uuid.UUID(visitor_id)}) == {}
    assert not Event.objects.filter(reference="DS-3").exists()


def test_done_work_keeps_no_personal_data(anna, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        message = order_waiting(anna, None)
    assert outbox.run(message.pk) == "ran"
    message.refresh_from_db()
    assert message.done_at is not None and message.kwargs == {}
    assert Event.objects.filter(reference="DS-2", type="conversion").exists()
