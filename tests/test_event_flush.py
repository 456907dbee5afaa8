"""Buffered events reach the database within EVENT_FLUSH_MAX_DELAY, on a quiet shop too."""

import time

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from personalization.measurement import events
from personalization.models import Event
from personalization.testing import give_consent
from tests.factories import BannerVariantFactory, CampaignFactory, SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]


@pytest.fixture
def hero(settings):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "EVENT_FLUSH_MAX_DELAY": 1}
    campaign = CampaignFactory(name="Hero", status="live", slot=SlotFactory(
        key="hero", name="Hero", kind="banner"), variants=())
    BannerVariantFactory(campaign=campaign, headline="Welcome back")
    return campaign


def test_a_few_events_are_written_once_the_oldest_waited_past_the_delay(
        client, hero, django_capture_on_commit_callbacks):
    give_consent(client)
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/_pz/slots/")  # one impression: far below the flush size of 200
    events.settle_events()
    assert not Event.objects.filter(campaign=hero).exists()
    time.sleep(1.1)  # the oldest waiting event is now older than the delay (1 s)
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/_pz/slots/")
    assert Event.objects.filter(campaign=hero, type="impression").count() == 2


def test_the_admin_event_list_shows_what_visitors_just_did(admin_client, client, hero):
    give_consent(client)
    client.get("/_pz/slots/")
    response = admin_client.get("/admin/personalization/event/?type__exact=impression")
    assert response.status_code == 200
    assert [e.campaign_id for e in response.context["cl"].result_list] == [hero.pk]


def test_beat_flushes_on_the_configured_interval():
    from personalization.jobs.schedule import beat_schedule

    entry = beat_schedule(flush_interval=30)["personalization.flush_events"]
    assert entry == {"task": "personalization.jobs.tasks.flush_events", "schedule": 30.0}
    assert beat_schedule()["personalization.flush_events"]["schedule"] == 60.0


@pytest.mark.parametrize("delay", [0, -5, "60", 7200, True])
def test_a_delay_outside_one_second_to_an_hour_is_refused(settings, delay):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "EVENT_FLUSH_MAX_DELAY": delay}
    with pytest.raises(SystemCheckError, match="personalization.E009"):
        call_command("check")
