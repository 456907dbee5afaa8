"""Engagement that cannot be forged: displays, clicks and dismissals count only for a
campaign and arm this visitor was served (the exposure token of its slot), the same event
again within a short window counts once, and the dismiss form is throttled like the API."""

import json
import re
import time
from unittest import mock

import pytest
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import Client, override_settings
from django.urls import include, path

from personalization import cache as pz_cache
from personalization.measurement.events import discard_local_buffer, flush_events
from personalization.models import Event
from personalization.testing import give_consent
from tests.factories import CampaignFactory, SlotFactory
from tests.script import exposure_token

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.test_engagement")]
PAGE = """{% load personalization %}<html><body>
{% personalize "hero" %}<h1>Welcome</h1>{% endpersonalize %}
{% personalize_popup "popup" %}{% personalization_script %}</body></html>"""
EVENTS = "/pz/api/events/"


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(engines["django"].from_string(PAGE).render({}, request))


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<html><body>About us</body></html>")


urlpatterns = [path("page/", page), path("about/", plain),
               path("pz/api/", include("personalization.api.urls")),
               path("pz/", include("personalization.urls"))]


@pytest.fixture
def campaigns():
    """A banner and a popup that everybody is shown on /page/."""
    banner = CampaignFactory(slot=SlotFactory(key="hero"), name="Sale", variants=("A", "B"))
    popup = CampaignFactory(slot=SlotFactory(key="popup", kind="popup"), name="Cart")
    return banner, popup


def visitor() -> Client:
    return give_consent(Client())


def post(client: Client, *events: dict):
    return client.post(EVENTS, {"events": list(events)}, content_type="application/json")


def recorded(*types: str, campaign=None) -> list[tuple[str, int | None]]:
    """The events of these types (of this campaign) in the database."""
    flush_events()
    events = Event.objects.filter(type__in=types)
    if campaign is not None:
        events = events.filter(campaign=campaign)
    return list(events.order_by("pk").values_list("type", "campaign_id"))


def served_variant(html: str, campaign) -> int:
    return int(re.search(rf'data-pz-campaign="{campaign.pk}" data-pz-variant="(\d+)"',
                         html).group(1))


def test_a_consenting_visitor_shown_nothing_cannot_post_clicks_or_displays(campaigns):
    banner, popup = campaigns
    client = visitor()
    client.get("/about/")  # a page without slots: he was shown nothing
    variant = banner.variants.first().pk
    answers = []
    for _ in range(5):  # 250 clicks on the banner, 250 displays of the popup
        answers.append(post(client, *[{"type": "click", "campaign": banner.pk,
                                       "variant": variant}] * 50))
        answers.append(post(client, *[{"type": "view", "campaign": popup.pk}] * 50))
    assert {(a.status_code, json.dumps(a.json())) for a in answers} == {
        (202, json.dumps({"recorded": 0, "dropped": 50}))}
    assert all("pz_caps" not in a.cookies for a in answers)  # nothing toward the cap either
    # Made-up tokens fare no better.
    forged = post(client, {"type": "click", "campaign": banner.pk, "token": "x"},
                  {"type": "view", "campaign": popup.pk, "token": "1.c.popup:abc:def"})
    assert forged.json() == {"recorded": 0, "dropped": 2}
    assert recorded("click", "impression") == []


def test_a_served_banner_click_counts_once_with_its_token(campaigns):
    banner, _popup = campaigns
    client = visitor()
    html = client.get("/page/").content.decode()
    token = exposure_token(html, banner.pk)
    assert token
    variant = served_variant(html, banner)
    click = {"type": "click", "campaign": banner.pk, "variant": variant, "token": token}
    assert post(client, click).json() == {"recorded": 1, "dropped": 0}
    # Sent again (a double click, a replay) within the window: it counts once.
    assert post(client, click, click).json() == {"recorded": 0, "dropped": 2}
    assert post(client, {**click, "variant": None}).json() == {"recorded": 0, "dropped": 1}
    flush_events()
    assert list(Event.objects.filter(type="click").values_list("campaign_id", "variant_id")) \
        == [(banner.pk, variant)]


def test_a_token_proves_its_own_visitor_campaign_and_arm_only(campaigns):
    banner, popup = campaigns
    anna, bob = visitor(), visitor()
    html = anna.get("/page/").content.decode()
    bob.get("/page/")
    banner_token = exposure_token(html, banner.pk)
    popup_token = exposure_token(html, popup.pk)
    other = banner.variants.exclude(pk=served_variant(html, banner)).get().pk
    refused = [
        (bob, {"type": "click", "campaign": banner.pk, "token": banner_token}),  # anna's
        (anna, {"type": "view", "campaign": popup.pk, "token": banner_token}),  # banner's
        (anna, {"type": "click", "campaign": banner.pk, "variant": other,
                "token": banner_token}),  # the other arm
        (anna, {"type": "click", "campaign": banner.pk, "token": banner_token[:-1]}),
    ]
    for client, event in refused:
        assert post(client, event).json() == {"recorded": 0, "dropped": 1}, event
    with mock.patch("django.core.signing.time.time", return_value=2e9):  # 2033: expired
        assert post(anna, {"type": "view", "campaign": popup.pk, "token": popup_token}
                    ).json() == {"recorded": 0, "dropped": 1}
    assert recorded("click") == recorded("impression", campaign=popup) == []
    assert post(anna, {"type": "view", "campaign": popup.pk, "token": popup_token}).json() \
        == {"recorded": 1, "dropped": 0}
    assert recorded("impression", campaign=popup) == [("impression", popup.pk)]


def test_a_repeated_display_still_counts_toward_the_cap_but_is_recorded_once(campaigns):
    _banner, popup = campaigns
    popup.cap_impressions = 2
    popup.save()
    client = visitor()
    html = client.get("/page/").content.decode()
    view = {"type": "view", "campaign": popup.pk, "token": exposure_token(html, popup.pk)}
    assert post(client, view).json() == {"recorded": 1, "dropped": 0}
    assert post(client, view).json() == {"recorded": 0, "dropped": 1}  # the same beacon
    # Sent twice: the cap of two is reached all the same.
    assert f'data-pz-campaign="{popup.pk}"' not in client.get("/page/").content.decode()
    assert recorded("impression", campaign=popup) == [("impression", popup.pk)]


def test_the_popup_opening_again_on_the_next_page_is_another_display(campaigns):
    _banner, popup = campaigns
    client = visitor()
    first = exposure_token(client.get("/page/").content.decode(), popup.pk)
    with mock.patch("django.core.signing.time.time", return_value=time.time() + 5):
        second = exposure_token(client.get("/page/").content.decode(), popup.pk)
    for token in (first, second, first):
        post(client, {"type": "view", "campaign": popup.pk, "token": token})
    assert recorded("impression", campaign=popup) == [("impression", popup.pk)] * 2


def test_without_a_repeat_window_every_event_counts(campaigns, settings):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "EVENT_REPEAT_WINDOW": 0}
    banner, _popup = campaigns
    client = visitor()
    html = client.get("/page/").content.decode()
    click = {"type": "click", "campaign": banner.pk, "token": exposure_token(html, banner.pk)}
    assert post(client, click, click).json() == {"recorded": 2, "dropped": 0}


def dismiss(client: Client, campaign, token: str | None, **extra):
    data = {"campaign": campaign.pk, **extra}
    if token is not None:
        data["token"] = token
    return client.post("/pz/dismiss/", data)


def test_300_dismissals_in_seven_seconds_are_recorded_once_and_throttled(campaigns):
    _banner, popup = campaigns
    client = visitor()
    html = client.get("/page/").content.decode()
    token = exposure_token(html, popup.pk)
    answers = [dismiss(client, popup, token) for _ in range(300)]
    statuses = [a.status_code for a in answers]
    assert statuses == [204] * 120 + [429] * 180  # the API's 120 writes a minute
    assert answers[-1]["Retry-After"] == "60"
    assert recorded("dismiss") == [("dismiss", popup.pk)]
    assert f'data-pz-campaign="{popup.pk}"' not in client.get("/page/").content.decode()


def test_a_dismissal_needs_the_token_of_this_visitor(campaigns):
    _banner, popup = campaigns
    anna, bob = visitor(), visitor()
    token = exposure_token(anna.get("/page/").content.decode(), popup.pk)
    bob.get("/page/")
    for client, sent in ((anna, None), (anna, "forged"), (bob, token)):
        answer = dismiss(client, popup, sent)
        assert answer.status_code == 400 and b"not shown to you" in answer.content
    assert recorded("dismiss") == []
    # Still there for him, and for her.
    assert all(f'data-pz-campaign="{popup.pk}"' in c.get("/page/").content.decode()
               for c in (anna, bob))
    assert dismiss(anna, popup, token, next="/about/").status_code == 302
    assert recorded("dismiss") == [("dismiss", popup.pk)]


def test_without_the_cache_repeats_are_counted_rather_than_lost(campaigns):
    _banner, popup = campaigns
    client = visitor()
    token = exposure_token(client.get("/page/").content.decode(), popup.pk)
    discard_local_buffer()  # the page's own impressions
    dead = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
                        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
    pz_cache.reset()
    try:
        with override_settings(CACHES=dead):
            assert [dismiss(client, popup, token).status_code for _ in range(2)] == [204] * 2
    finally:
        pz_cache.reset()
    # Both recorded (in the database, before the answer): without the cache a repeat
    # cannot be told apart.
    assert Event.objects.filter(type="dismiss", campaign=popup.pk).count() == 2




def test_the_decisions_api_gives_the_pages_token(campaigns):
    banner, _popup = campaigns
    client = visitor()
    answer = client.get("/pz/api/decisions/", {"slot": "hero"}).json()["decisions"][0]
    html = client.get("/page/").content.decode()
    assert answer["campaign"] == banner.pk
    # The same proof (campaign, arm, slot) as the page's, signed at its own time.
    assert answer["token"].rsplit(":", 2)[0] == \
        exposure_token(html, banner.pk).rsplit(":", 2)[0]
    assert post(client, {"type": "click", "campaign": banner.pk, "token": answer["token"]}
                ).json() == {"recorded": 1, "dropped": 0}


def test_a_visitor_without_consent_can_still_close_a_popup_for_good(campaigns):
    """Nothing of his is recorded, but closing the popup is what he asked for: his token
    (bound to no visitor, since he is not remembered) does that."""
    _banner, popup = campaigns
    client = Client()
    html = client.get("/page/").content.decode()
    token = exposure_token(html, popup.pk)
    answer = post(client, {"type": "dismiss", "campaign": popup.pk, "token": token})
    assert answer.json() == {"recorded": 0, "dropped": 0} and "pz_caps" in answer.cookies
    assert f'data-pz-campaign="{popup.pk}"' not in client.get("/page/").content.decode()
    assert recorded("dismiss") == []


def test_a_pages_tokens_are_djangos_timestamp_signatures(settings):
    """Signed once per page with the key derived once: the very tokens Django's
    TimestampSigner makes (so verify_token and a rotated key treat them alike)."""
    from django.core import signing

    from personalization.touchpoints.exposure import SALT, PageSigner

    settings.SECRET_KEY = "another secret, rotated"
    with mock.patch("django.core.signing.time.time", return_value=1_765_000_000):
        signer = PageSigner()
        token = signer.token("0b5c1a52-visitor", "12.34.hero")
        expected = signing.TimestampSigner(salt=SALT).sign("0b5c1a52-visitor/12.34.hero")
    assert token == expected.removeprefix("0b5c1a52-visitor/")
    assert signer.token("", "12.34.hero") != token  # bound to the holder
