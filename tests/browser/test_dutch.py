"""The shop in Dutch, in a real browser: a Dutch browser gets the home page and the consent
banner in Dutch under <html lang="nl">, and the footer switches the language; the catalogue
is Dutch and its search finds Dutch words; a Dutch merchant's preview panel is Dutch."""

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from personalization.models import Segment
from personalization.touchpoints import preview

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


def test_a_dutch_shopper_finds_the_cat_litter_by_its_dutch_name(shop: str, new_context) -> None:
    page: Page = new_context(locale="nl-NL").new_page()
    page.goto(shop + "/search/?q=zzzz")
    # The empty search's hint names Dutch words, and they find something.
    expect(page.get_by_text("kattenbakvulling", exact=False).first).to_be_visible()
    search = page.get_by_role("searchbox").first
    search.fill("kattenbakvulling")
    search.press("Enter")
    expect(page.get_by_role("link", name="Klonterende kattenbakvulling 10 L").first) \
        .to_be_visible()
    expect(page.get_by_text("Clumping cat litter 10 L")).to_have_count(0)
    search = page.get_by_role("searchbox").first
    search.fill("kat")
    search.press("Enter")
    expect(page.get_by_role("link", name="Kattensnoepjes tonijn 60 g").first).to_be_visible()
    expect(page.get_by_role("link", name="Kattenbakschep met standaard").first).to_be_visible()
    # The catalogue's own pages in Dutch: the department and the category.
    page.goto(shop + "/c/cat-litter/")
    expect(page.get_by_role("heading", name="Kattenbakvulling", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Dieren").first).to_be_visible()


def test_a_dutch_merchant_reads_the_preview_panel_in_dutch(shop: str, new_context) -> None:
    page: Page = new_context(locale="nl-NL").new_page()
    page.goto(shop + "/admin/")
    page.get_by_label(dutch("Username")).fill("admin")
    page.get_by_label(dutch("Password")).fill("admin")
    page.get_by_role("button", name=dutch("Log in")).click()
    expect(page.get_by_role("heading", name=dutch("Site administration"))).to_be_visible()
    segment = Segment.objects.get(slug="likes-pizza")

    page.goto(shop + preview.preview_url("/c/cat-litter/", preview.Target(segment=segment.slug)))

    panel = page.locator("#pz-preview")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("prioriteit")
    expect(panel).to_contain_text("overgeslagen, niet in de doelgroep")
    for english in ("skipped", "showing the default", "default content", "priority",
                    "audience"):
        expect(panel).not_to_contain_text(english)
