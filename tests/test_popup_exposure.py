"""A popup counts as seen when it is shown, not when its page is rendered: its impression and
its frequency cap wait for the script's report of the display, for both arms."""

import re

import pytest
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import Client
from django.urls import include, path

from personalization.measurement.events import flush_events
from personalization.models import Campaign, Event, PopupVariant
from personalization.testing import give_consent
from tests.factories import BannerVariantFactory, CampaignFactory, PopupVariantFactory, SlotFactory
from tests.script import report

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.test_popup_exposure")]
PAGE = """{% load personalization %}<html><body><p>Content</p>
{% personalize "hero" %}<h1>Default hero</h1>{% endpersonalize %}
{% personalize_popup "popup" %}{% personalization_script %}</body></html>"""


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(engines["django"].from_string(PAGE).render({}, request))


urlpatterns = [path("page/", page), path("pz/api/", include("personalization.api.urls"))]


def scroll_popup(holdout: int = 0, cap: int | None = None) -> tuple[Campaign, PopupVariant]:
    slot = SlotFactory(key="popup", name="Popup", kind="popup")
    campaign = CampaignFactory(name="Pizza", slot=slot, status="live",
                               holdout_percent=holdout, cap_impressions=cap,
                               cap_period_hours=24, variants=())
    variant = PopupVariantFactory(campaign=campaign, title="Pizza tonight?",
                                  trigger="scroll", scroll_percent=60)
    return campaign, variant


def visitor() -> Client:
    return give_consent(Client(enforce_csrf_checks=True))


def report_shown(client: Client, html: str, campaign: Campaign):
    return report(client, html, "view", campaign.pk)


def impressions(campaign: Campaign) -> list[Event]:
    flush_events()
    return list(Event.objects.filter(type="impression", campaign=campaign))


def test_a_rendered_popup_that_never_opened_counts_nothing():
    campaign, variant = scroll_popup(cap=3)
    client = visitor()
    for _ in range(5):  # five pages, the visitor never scrolls far enough
        html = client.get("/page/").content.decode()
        assert f'data-pz-variant="{variant.pk}"' in html
    assert impressions(campaign) == []


def test_a_shown_popup_is_one_impression_and_counts_toward_its_cap():
    campaign, variant = scroll_popup(cap=1)
    client = visitor()
    html = client.get("/page/").content.decode()
    assert report_shown(client, html, campaign).status_code == 202
    [seen] = impressions(campaign)
    assert (seen.variant_id, seen.control, seen.slot) == (variant.pk, False, "popup")
    # The cap of one display is reached: the next page does not offer the popup again.
    assert "Pizza tonight?" not in client.get("/page/").content.decode()


def test_a_held_out_visitor_is_counted_when_the_popup_would_have_opened():
    campaign, variant = scroll_popup(holdout=100)
    client = visitor()
    html = client.get("/page/").content.decode()
    control = re.search(r'<div class="pz-popup"[^>]*data-pz-control="1"[^>]*>', html).group(0)
    assert 'data-pz-trigger="scroll"' in control and 'data-pz-scroll="60"' in control
    assert "Pizza tonight?" not in html
    assert impressions(campaign) == []
    report_shown(client, html, campaign)
    [seen] = impressions(campaign)
    assert seen.control and seen.variant_id is None


def test_the_arm_is_the_visitors_own_whatever_the_page_claims():
    campaign, variant = scroll_popup(holdout=100)
    client = visitor()
    html = client.get("/page/").content.decode()
    # The page claims the variant; the visitor is held out, and that is what counts.
    assert report(client, html, "view", campaign.pk, variant.pk).status_code == 202
    [seen] = impressions(campaign)
    assert seen.control and seen.variant_id is None


def test_banners_are_still_counted_when_rendered_and_shown_refuses_them():
    slot = SlotFactory(key="hero", name="Hero", kind="banner")
    banner = CampaignFactory(name="Sale", slot=slot, status="live", variants=())
    BannerVariantFactory(campaign=banner, headline="Sale!")
    popup, _ = scroll_popup()
    client = visitor()
    html = client.get("/page/").content.decode()
    assert len(impressions(banner)) == 1 and impressions(popup) == []
    refused = report_shown(client, html, banner)
    assert refused.status_code == 400 and "not shown by the script" in str(refused.json())
    assert report(client, html, "view", 99999).status_code == 400
    assert len(impressions(banner)) == 1
