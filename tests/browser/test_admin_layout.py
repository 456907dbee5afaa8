"""The admin's lists fit a 1280 px window with the navigation sidebar open."""

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_reports import fits_the_window, log_in_as_admin
from tests.factories import RepNotificationFactory

pytestmark = pytest.mark.browser

WIDE = ("/admin/personalization/campaign/", "/admin/personalization/repnotification/",
        "/admin/personalization/segment/", "/admin/personalization/event/",
        "/admin/personalization/visitorprofile/")


def test_the_lists_fit_1280_px_with_the_sidebar_open(shop: str, page: Page) -> None:
    RepNotificationFactory(
        order_reference="DS-000123", customer_name="Hoeve De Vries", status="failed",
        attempts=3, body="New order DS-000123",
        last_error="HTTP 503 from the provider: Service Unavailable, try again later")
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in_as_admin(page, shop)
    ARTIFACTS.mkdir(exist_ok=True)
    for path in WIDE:
        page.goto(shop + path)
        assert page.locator("#nav-sidebar").is_visible()
        name = path.strip("/").replace("/", "-")
        page.screenshot(path=str(ARTIFACTS / f"{name}-1280.png"), full_page=True)
        headers = page.locator("#result_list thead th").all_inner_texts()
        assert fits_the_window(page), (path, headers)
        # Django wraps the list in a box that scrolls sideways: nothing may hide in it.
        hidden = page.evaluate("""() => { const r = document.querySelector('.results');
            return r ? r.scrollWidth - r.clientWidth : 0; }""")
        assert hidden <= 1, (path, hidden, headers)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_campaign_lists_status_choices_are_readable(shop: str, page: Page,
                                                        language: str) -> None:
    """The status select of each row shows its whole word ("Paused", not "Pausec" with its
    last letter under the arrow), in English and in Dutch."""
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in_as_admin(page, shop)
    page.set_extra_http_headers({"Accept-Language": language})
    page.goto(shop + "/admin/personalization/campaign/")
    select = page.locator("#result_list td.field-status select").first
    clipped = select.evaluate("""(select) => {
        const style = getComputedStyle(select);
        const ctx = document.createElement("canvas").getContext("2d");
        ctx.font = style.font;
        // room for the text: the box less its padding and the arrow (about 1.5em)
        const room = select.clientWidth - parseFloat(style.paddingLeft)
            - parseFloat(style.paddingRight) - 1.5 * parseFloat(style.fontSize);
        return [...select.options].map(o => [o.text, ctx.measureText(o.text).width, room])
            .filter(([, width, room]) => width > room);
    }""")
    assert clipped == []
