"""Journeys as a merchant meets them in the admin, in a real browser (issue 28): the list
fits 1280 px, a new journey saved disabled says so, the audience picker offers only the
segments a journey can use, a test message to oneself, run now, and a message's occurrence
in words."""

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from personalization.models import Journey, JourneyMessage, Segment
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_reports import fits_the_window, log_in_as_admin

pytestmark = pytest.mark.browser


def test_the_journey_list_fits_1280_px_with_the_sidebar_open(shop: str, page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in_as_admin(page, shop)
    page.goto(shop + "/admin/personalization/journey/")
    assert page.locator("#nav-sidebar").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "journeys-1280.png"), full_page=True)
    headers = page.locator("#result_list thead th").all_inner_texts()
    assert fits_the_window(page), headers
    hidden = page.evaluate("""() => { const r = document.querySelector('.results');
        return r ? r.scrollWidth - r.clientWidth : 0; }""")
    assert hidden <= 1, (hidden, headers)
    expect(page.locator("#result_list")).to_contain_text("No order for a while")


def test_a_merchant_makes_a_journey_tests_it_and_runs_it(shop: str, page: Page) -> None:
    log_in_as_admin(page, shop)
    page.goto(shop + "/admin/personalization/journey/add/")
    # Only computed segments: a message goes out with no visit to judge a live one on.
    offered = page.locator("#id_audience_from option").all_inner_texts()
    computed = set(Segment.objects.filter(kind="computed").values_list("name", flat=True))
    assert offered and set(offered) <= computed, offered
    page.get_by_label("Name:").fill("Come back")
    page.get_by_label("Trigger:").select_option("lapsed")
    page.locator("#id_subject").fill("We miss you, {{ first_name }}")
    page.locator("#id_body").fill("<p>Hello {{ first_name }}, come back!</p>")
    page.locator("#id_subject__nl").fill("We missen je, {{ first_name }}")
    page.locator("#id_body__nl").fill("<p>Hallo {{ first_name }}, kom terug!</p>")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist .warning")).to_contain_text(
        "“Come back” is disabled: it sends nothing until you tick “enabled”")
    journey = Journey.objects.get(name="Come back")
    assert journey.translations == {"nl": {"subject": "We missen je, {{ first_name }}",
                                           "body": "<p>Hallo {{ first_name }}, kom terug!</p>"}}

    # A test to oneself, in Dutch.
    page.get_by_role("link", name="Send a test to me").click()
    page.get_by_label("Language:").select_option("nl")
    page.get_by_role("button", name="Send the test").click()
    expect(page.locator(".messagelist .success")).to_contain_text(
        "A test message went to admin@example.com")
    [test] = [m for m in mail.outbox if m.to == ["admin@example.com"]]
    assert test.subject == "[Test] We missen je, admin"  # no first name: his username

    # Run now: the seeded cart journey writes to Anna.
    cart = Journey.objects.get(name="Your cart is waiting")
    page.goto(shop + f"/admin/personalization/journey/{cart.pk}/change/")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "journey-change.png"))
    page.get_by_role("button", name="Run now").click()
    expect(page.locator(".messagelist .success")).to_contain_text(
        "Your cart is waiting: 1 message due, handed over for sending")
    assert [m.subject for m in mail.outbox if m.to == ["anna@example.com"]] == [
        "Anna, je winkelwagen wacht"]

    # The message log says what the message was about in words.
    message = JourneyMessage.objects.get(user__username="anna")
    page.goto(shop + f"/admin/personalization/journeymessage/{message.pk}/change/")
    expect(page.locator(".field-occurrence_text")).to_contain_text("cart left on")
    expect(page.locator("#content")).not_to_contain_text("cart:")
