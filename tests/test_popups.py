"""Popups as visitors meet them: an accessible dialog, a plain block without JavaScript,
and a dismissal that keeps the popup away on the next page."""

import re

import pytest
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import Client, override_settings
from django.urls import include, path

from personalization.engine import rulebook
from personalization.engine.decide import page_of
from personalization.measurement.events import flush_events
from personalization.models import Event, PopupVariant
from tests.factories import CampaignFactory, PopupVariantFactory, SlotFactory
from tests.script import report, script_token

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.test_popups")]
PAGE = "/page/"
POPUP_PAGE = """{% load personalization %}<html><body><p>Content</p>
{% personalize_popup "popup" %}{% personalization_script %}</body></html>"""


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(engines["django"].from_string(POPUP_PAGE).render({}, request))


urlpatterns = [path("page/", page), path("pz/api/", include("personalization.api.urls")),
               path("pz/", include("personalization.urls"))]


@pytest.fixture(autouse=True)
def _analytics_allowed(settings):
    """Events are recorded only with analytics consent; these visitors allow everything."""
    from personalization.conf import DEFAULTS

    if "CONSENT_MODE" in DEFAULTS:
        settings.PERSONALIZATION = {**settings.PERSONALIZATION, "CONSENT_MODE": "implied"}


def popup_campaign(name="Your cart is waiting", **fields):
    c = CampaignFactory(slot=SlotFactory(key="popup", kind="popup"), name=name, variants=(),
                        **fields)
    variant = PopupVariantFactory(
        campaign=c, title=name, body="<p>Three pizzas are <strong>still</strong> there.</p>",
        cta_label="Back to my cart", link="/cart/", trigger="delay", delay_seconds=3)
    rulebook.invalidate()
    return c, variant


def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def dismiss(client, c, variant):
    html = client.get(PAGE).content.decode()
    return report(client, html, "dismiss", c.pk, variant.pk)


def test_popup_is_a_labelled_modal_dialog_with_a_close_button(client):
    c, variant = popup_campaign()
    html = client.get(PAGE).content.decode()
    root = re.search(r'<div class="pz-popup[^>]*>', html).group(0)
    assert 'data-pz-slot="popup"' in root and f'data-pz-variant="{variant.pk}"' in root
    assert 'data-pz-trigger="delay"' in root and 'data-pz-delay="3"' in root
    assert " hidden" in root  # the script opens it on its trigger
    assert 'role="dialog" aria-modal="true" aria-labelledby="pz-popup-popup-title"' in html
    assert '<h2 class="pz-popup__title" id="pz-popup-popup-title">Your cart is waiting</h2>' \
        in html
    assert 'data-pz-dismiss aria-label="Close"' in html
    assert "pz.js" in html


def test_without_javascript_the_popup_is_a_plain_block(client):
    popup_campaign()
    html = client.get(PAGE).content.decode()
    noscript = re.search(r"<noscript>(.*?)</noscript>", html, re.S).group(1)
    assert 'class="pz-popup-inline"' in noscript and "role=\"dialog\"" not in noscript
    assert "Your cart is waiting" in noscript and 'href="/cart/"' in noscript


def test_a_popup_that_cannot_be_closed_is_not_modal(client):
    c, variant = popup_campaign()
    PopupVariant.objects.filter(pk=variant.pk).update(dismissible=False)
    rulebook.invalidate()
    html = client.get(PAGE).content.decode()
    assert 'aria-modal="true"' not in html and "data-pz-dismiss " not in html
    assert "data-pz-dismissible" not in html and 'role="dialog"' in html


def test_dismissed_popup_does_not_come_back_on_the_next_page():
    c, variant = popup_campaign()
    client = csrf_client()
    assert dismiss(client, c, variant).status_code == 202
    html = client.get(PAGE).content.decode()
    assert "Your cart is waiting" not in html
    assert 'data-pz-slot="popup" hidden' in html  # the empty slot stays findable
    decision = page_of(client.get(PAGE).wsgi_request.visitor).decisions["popup"]
    assert any("dismissed by the visitor" in r for r in decision.reasons)
    assert flush_events() >= 1
    assert Event.objects.filter(type="dismiss", campaign=c, variant=variant).count() == 1


def test_dismissal_lasts_the_cap_period_and_other_visitors_still_see_it(client):
    c, variant = popup_campaign(cap_period_hours=1)
    visitor = csrf_client()
    dismiss(visitor, c, variant)
    assert "Your cart is waiting" in client.get(PAGE).content.decode()
    caps = visitor.get(PAGE).wsgi_request.visitor.caps
    assert caps.is_dismissed(c.pk, caps.dismissed[str(c.pk)] - 1)
    assert not caps.is_dismissed(c.pk, caps.dismissed[str(c.pk)])


def test_dismissal_needs_a_csrf_token():
    c, variant = popup_campaign()
    client = csrf_client()
    client.get(PAGE)
    response = client.post("/pz/dismiss/", {"campaign": c.pk, "variant": variant.pk})
    assert response.status_code == 403
    assert "Your cart is waiting" in client.get(PAGE).content.decode()


def test_a_browser_with_the_csrf_cookie_gets_the_script_to_read_it():
    # The first page writes a token (and sets Django's CSRF cookie); later pages let the
    # script read the cookie instead of minting a token per page, and it is accepted.
    c, variant = popup_campaign()
    client = csrf_client()
    first = client.get(PAGE).content.decode()
    assert 'data-pz-csrf="' in first and "data-pz-csrf-cookie" not in first
    html = client.get(PAGE).content.decode()
    assert 'data-pz-csrf-cookie="csrftoken"' in html and 'data-pz-csrf="' not in html
    assert script_token(client, html) == client.cookies["csrftoken"].value
    assert report(client, html, "dismiss", c.pk, variant.pk).status_code == 202
    assert "Your cart is waiting" not in client.get(PAGE).content.decode()


@override_settings(CSRF_COOKIE_HTTPONLY=True)
def test_with_an_httponly_csrf_cookie_every_page_carries_the_token():
    popup_campaign()
    client = csrf_client()
    client.get(PAGE)
    html = client.get(PAGE).content.decode()
    assert 'data-pz-csrf="' in html and "data-pz-csrf-cookie" not in html


def test_dismissing_an_unknown_campaign_is_refused(client):
    popup_campaign()
    assert client.post("/pz/dismiss/", {"campaign": "999"}).status_code == 400
    assert client.post("/pz/dismiss/", {"campaign": "x"}).status_code == 400
    assert client.get("/pz/dismiss/").status_code == 405


def test_clicks_are_recorded():
    c, variant = popup_campaign()
    client = csrf_client()
    html = client.get(PAGE).content.decode()
    assert report(client, html, "click", c.pk, variant.pk).status_code == 202
    flush_events()
    assert Event.objects.filter(type="click", campaign=c, variant=variant).count() == 1


def test_pages_without_a_campaign_carry_no_token(client):
    html = client.get(PAGE).content.decode()
    assert "pz.js" in html and "data-pz-csrf" not in html
