"""The tour's headless page in a real browser: Lisa, switched to with the persona bar, sees
her cart popup on the home page and, on the headless page next, the win-back popup the tour
promises (a popup opens once a day, and the cart popup has had its turn)."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_personas import WIN_BACK_TITLE

pytestmark = pytest.mark.browser

CART_TITLE = "Your cart is waiting"


def test_lisa_switched_to_gets_her_win_back_popup_on_the_headless_page(
        shop: str, page: Page, settings) -> None:
    settings.DEMO_PERSONA_SWITCHER = True  # as in the demo the tour walks
    settings.DEBUG = True  # the switcher runs only with DEBUG on
    page.goto(shop + "/")
    with page.expect_response(lambda r: r.url.endswith("/pz/api/events/") and r.ok):
        page.get_by_role("region", name="Demo persona switcher").get_by_role(
            "button", name="Lisa").click()  # back on the home page: her cart popup shows
        expect(page.get_by_role("dialog", name=CART_TITLE)).to_be_visible()

    page.goto(shop + "/headless/")
    win_back = page.get_by_role("dialog", name=WIN_BACK_TITLE)
    expect(win_back).to_be_visible(timeout=5000)  # after its two seconds
    expect(page.get_by_role("dialog", name=CART_TITLE)).to_have_count(0)
