"""Export and erasure: everything held on a person, then nothing (consent kept as proof)."""

import json
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from personalization.models import (
    ConsentRecord,
    Event,
    Segment,
    SegmentMembership,
    VisitorAlias,
    VisitorProfile,
)
from personalization.privacy.consent import record_choices
from personalization.privacy.subjects import erase_subject, export_subject
from personalization.testing import give_consent
from tests.factories import CampaignFactory, SlotFactory

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
    segment = Segment.objects.create(name="Cat owners", slug="cat-owners", kind="computed")
    SegmentMembership.objects.create(segment=segment, user=user)
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
                                        "consent_records_pseudonymised": 0}  # idempotent


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
    Event.objects.create(visitor_id="00000000-0000-0000-0000-0000000000b1", user=bram,
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
