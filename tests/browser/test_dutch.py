"""The shop in Dutch, in a real browser: a Dutch browser gets the home page and the consent
banner in Dutch under <html lang="nl">, and the footer switches the language."""

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def dutch(text: str) -> str:
    with translation.override("nl"):
        found = translation.gettext(text)
    assert found != text, f"no Dutch for {text!r}"
    return found


def test_a_dutch_browser_gets_the_shop_and_the_consent_banner_in_dutch(
        shop: str, new_context) -> None:
    page: Page = new_context(locale="nl-NL").new_page()
    page.goto(shop + "/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    banner = page.get_by_role("region", name=dutch("Your privacy choices"))
    expect(banner).to_be_visible()
    expect(banner.get_by_role("button", name=dutch("Accept all"))).to_be_visible()
    expect(banner.get_by_role("button", name=dutch("Reject all"))).to_be_visible()
    expect(page.get_by_text(dutch("Everything for pets, farm, wardrobe and dinner"))) \
        .to_be_visible()
    expect(page.get_by_role("button", name=dutch("Search"), exact=True)).to_be_visible()

    banner.get_by_role("button", name=dutch("Accept all")).click()
    expect(banner).to_be_hidden()
    # The footer's language switch: the same page in English.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("Everything for pets, farm, wardrobe and dinner")).to_be_visible()
