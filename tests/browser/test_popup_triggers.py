"""In a real browser: popups keep out of the checkout, a scroll popup waits for the
visitor to scroll, and exit intent works on a touch screen (a fast scroll back up)."""

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

pytestmark = pytest.mark.browser

PIZZA_NIGHT = "Pizza night?"  # the pizza lovers' popup: opens at 40 % scroll depth
KNITWEAR = "New in: knitwear"  # the fashion lovers' popup: opens on exit intent


@pytest.fixture(autouse=True)
def no_popup_holdout(shop: str) -> None:
    """The seeded popups hold some visitors out; these tests are about the popup opening, so
    every visitor sees it (a test that skipped for a held-out visitor proved nothing)."""
    from personalization.engine.rulebook import invalidate
    from personalization.models import Campaign

    Campaign.objects.filter(slot__kind="popup").update(holdout_percent=0, control_weight=None)
    invalidate()


def accept_cookies(page: Page) -> None:
    page.get_by_role("button", name="Accept all").first.click()


def test_no_popup_opens_on_the_checkout_of_a_visitor_who_viewed_a_pizza(
        shop: str, page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(shop + "/p/pizza-quattro-formaggi/")
    accept_cookies(page)
    # The view of a pizza counts once he allowed it (a new load, not a reload: the
    # consent form's own navigation may still be settling).
    page.goto(shop + "/p/pizza-quattro-formaggi/")
    page.get_by_role("button", name="Add to cart").first.click()  # the page's own
    page.goto(shop + "/checkout/")
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    page.wait_for_timeout(500)
    expect(page.locator(".pz-popup[data-pz-campaign]")).to_have_count(0)
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.goto(shop + "/cart/")
    expect(page.locator(".pz-popup[data-pz-campaign]")).to_have_count(0)
    page.goto(shop + "/c/pizzas/")  # elsewhere his popup is still there, on its trigger
    expect(page.locator(".pz-popup[data-pz-campaign]")).to_have_count(1)


def test_a_scroll_popup_waits_for_the_share_of_the_scrollable_distance(
        shop: str, page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(shop + "/c/pizzas/")
    accept_cookies(page)
    page.goto(shop + "/c/toppings/")  # what he viewed is pizza: the popup is his
    popup = page.locator(".pz-popup[data-pz-campaign]")
    expect(popup).to_have_count(1)
    assert popup.get_attribute("data-pz-control") is None  # nobody is held out here
    shown = page.evaluate("window.innerHeight / document.documentElement.scrollHeight")
    assert shown >= 0.4  # the page shows more than the depth without scrolling
    dialog = page.get_by_role("dialog", name=PIZZA_NIGHT)
    page.wait_for_timeout(500)
    expect(dialog).to_be_hidden()  # not yet: he has not scrolled at all
    scrollable = page.evaluate(
        "document.documentElement.scrollHeight - window.innerHeight")
    page.evaluate(f"window.scrollTo(0, {int(scrollable * 0.3)})")
    page.wait_for_timeout(300)
    expect(dialog).to_be_hidden()
    page.evaluate(f"window.scrollTo(0, {int(scrollable * 0.45) + 1})")
    expect(dialog).to_be_visible()


@pytest.fixture
def phone(new_context: Callable[..., BrowserContext]) -> Page:
    page = new_context(has_touch=True, is_mobile=True).new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    return page


def test_on_a_touch_screen_exit_intent_is_a_fast_scroll_back_up(shop: str,
                                                                 phone: Page) -> None:
    phone.goto(shop + "/c/cardigans/")
    accept_cookies(phone)
    phone.goto(shop + "/c/t-shirts/")  # a fashion lover: the exit popup is his
    phone.goto(shop + "/search/?q=a")  # a long page
    popup = phone.locator(".pz-popup[data-pz-campaign]")
    expect(popup).to_have_count(1)
    assert popup.get_attribute("data-pz-trigger") == "exit"
    assert popup.get_attribute("data-pz-control") is None  # nobody is held out here
    dialog = phone.get_by_role("dialog", name=KNITWEAR)
    phone.evaluate("window.scrollTo(0, 2000)")
    phone.wait_for_timeout(700)
    for y in range(1950, 1600, -50):  # reading back up slowly is no exit
        phone.evaluate(f"window.scrollTo(0, {y})")
        phone.wait_for_timeout(200)
    expect(dialog).to_be_hidden()
    phone.evaluate("window.scrollTo(0, 0)")  # a flick back to the top
    expect(dialog).to_be_visible()
