"""A customer's profile counts his visits and knows when he was last seen."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.utils import timezone

from personalization.engine.cookies import STATE_SALT
from personalization.models import VisitorProfile
from personalization.testing import give_consent
from tests.factories import VisitorProfileFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]


def come_back_after(client, minutes: int) -> None:
    """Make the visitor cookie say his last request was ``minutes`` ago."""
    data = signing.loads(client.cookies["pz_vid"].value, salt=STATE_SALT)
    data["t"] = int(time.time()) - minutes * 60
    client.cookies["pz_vid"] = signing.dumps(data, salt=STATE_SALT, compress=True)


def test_visits_and_last_seen_follow_the_customer(client):
    user = get_user_model().objects.create_user("anna", password="pw")
    give_consent(client)  # chosen before logging in: it becomes his
    client.get("/_pz/plain/")
    client.post("/login/", {"username": "anna", "password": "pw"})
    profile = VisitorProfile.objects.get(user=user)
    assert profile.visit_count == 1  # the visit in which he logged in
    first_seen = profile.first_seen

    for _ in range(3):  # more pages of the same visit
        client.get("/_pz/plain/")
    assert VisitorProfile.objects.get(user=user).visit_count == 1

    come_back_after(client, 45)
    client.get("/_pz/plain/")
    profile.refresh_from_db()
    assert profile.visit_count == 2
    assert profile.last_seen > first_seen
    assert timezone.now() - profile.last_seen < timedelta(minutes=1)


def test_without_personalization_consent_no_visit_is_counted(client):
    user = get_user_model().objects.create_user("tom", password="pw")
    VisitorProfileFactory(user=user)
    client.force_login(user)
    give_consent(client, "analytics", user=user)
    client.get("/_pz/plain/")
    come_back_after(client, 45)
    client.get("/_pz/plain/")
    assert VisitorProfile.objects.get(user=user).visit_count == 0
