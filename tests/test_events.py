"""Exposures and conversions: an order through the demo checkout is attributed once."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from personalization.engine import rulebook
from personalization.measurement.event_rows import event_row
from personalization.measurement.events import buffer_events, flush_events
from personalization.models import Campaign, Event
from personalization.testing import give_consent
from tests.factories import CampaignFactory, ProductFactory, SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]


def test_order_is_attributed_to_the_campaigns_seen(client, django_capture_on_commit_callbacks):
    shown = CampaignFactory(slot=SlotFactory(key="hero"), name="Hero")
    held_out = CampaignFactory(slot=SlotFactory(key="side"), name="Side", holdout_percent=100)
    CampaignFactory(slot=SlotFactory(key="footer"), name="Never seen", status="paused")
    rulebook.invalidate()
    user = get_user_model().objects.create_user("anna", password="pw")
    client.force_login(user)
    give_consent(client, user=user)
    client.get("/_pz/slots/")
    product = ProductFactory(price=Decimal("20.00"), stock=5)
    client.post("/cart/add/", {"product_id": product.pk, "quantity": 2})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/checkout/", {
            "action": "place", "name": "Anna", "email": "anna@example.com",
            "address": "Kerkstraat 1", "discount_code": ""})
    assert response.status_code == 302
    conversions = Event.objects.filter(type="conversion", campaign__isnull=False)
    assert {e.campaign_id for e in conversions} == {shown.pk, held_out.pk}
    # And once for the program as a whole (the global holdout's figures), never summed up.
    assert Event.objects.filter(type="conversion", campaign=None).count() == 1
    assert conversions.get(campaign=held_out).control is True
    assert conversions.get(campaign=shown).value == Decimal("40.00")


def test_conversion_is_recorded_once_per_order(client):
    from personalization.measurement.orders import record_order

    c = CampaignFactory(slot=SlotFactory(key="hero"), name="Hero")
    user = get_user_model().objects.create_user("bram", password="pw")
    from personalization.engine.profiles import profile_for_user

    vid = str(profile_for_user(user).visitor_id)
    buffer_events([event_row(visitor_id=vid, type="impression", slot="hero", campaign_id=c.pk)])
    for _ in range(2):  # the order signal delivered twice
        record_order(user_id=user.pk, visitor_id=vid, value="12.50", reference="DS-1",
                     allowed=["analytics", "personalization"])
    assert Event.objects.filter(type="conversion", campaign=c).count() == 1


def test_no_conversion_is_recorded_without_analytics_consent():
    from personalization.engine.profiles import profile_for_user
    from personalization.measurement.orders import record_order

    c = CampaignFactory(slot=SlotFactory(key="hero"), name="Hero")
    user = get_user_model().objects.create_user("eva", password="pw")
    vid = str(profile_for_user(user).visitor_id)
    buffer_events([event_row(visitor_id=vid, type="impression", slot="hero", campaign_id=c.pk)])
    # Ordered in a browser that allows personalization only, then with recorded choices.
    assert record_order(user_id=user.pk, visitor_id=vid, value="9.00", reference="DS-2",
                        allowed=["necessary", "personalization"]) == 0
    assert record_order(user_id=user.pk, visitor_id=vid, value="9.00",
                        reference="DS-3") == 0  # she never agreed to analytics
    assert not Event.objects.filter(type="conversion").exists()


def test_flush_keeps_events_of_deleted_campaigns():
    c = CampaignFactory(slot=SlotFactory(key="hero"), name="Gone soon")
    buffer_events([event_row(visitor_id="00000000-0000-0000-0000-000000000001",
                             type="impression", slot="hero", campaign_id=c.pk)])
    Campaign.objects.filter(pk=c.pk).delete()
    assert flush_events() == 1
    assert Event.objects.get().campaign_id is None
