"""In a real browser: a scroll-triggered popup counts as seen only once it is on screen."""

import pytest
from playwright.sync_api import Page, expect

from personalization.measurement.events import flush_events
from personalization.models import Event

pytestmark = pytest.mark.browser

TITLE = "Pizza night?"


def shown_requests(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if r.url.endswith("/pz/api/events/") else None)
    return seen


def test_a_scroll_popup_is_counted_when_it_opens_not_when_the_page_renders(
        shop: str, page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 500})
    page.goto(shop + "/c/pizzas/")
    page.get_by_role("button", name="Accept all").first.click()
    page.goto(shop + "/c/toppings/")  # most of what he viewed is pizza: the popup is his
    sent = shown_requests(page)
    page.goto(shop + "/search/?q=a")  # a long page: 40 % of it is below the fold
    popup = page.locator(".pz-popup[data-pz-campaign]")
    expect(popup).to_have_count(1)
    dialog = page.get_by_role("dialog", name=TITLE)
    expect(dialog).to_be_hidden()
    page.wait_for_timeout(500)
    flush_events()
    campaign_id = int(popup.get_attribute("data-pz-campaign"))
    assert sent == []  # rendered, not shown: nothing reported
    before = Event.objects.filter(type="impression", campaign_id=campaign_id).count()

    with page.expect_response(lambda r: r.url.endswith("/pz/api/events/") and r.status == 202):
        page.mouse.wheel(0, 20000)
    if popup.get_attribute("data-pz-control") is None:  # a visitor in the holdout sees none
        expect(dialog).to_be_visible()
    flush_events()
    assert Event.objects.filter(type="impression", campaign_id=campaign_id).count() == before + 1
