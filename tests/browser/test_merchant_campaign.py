"""A merchant builds a segment and a banner campaign in the admin; visitors see the result."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import SlotFactory, UserFactory

pytestmark = pytest.mark.browser

HEADLINE = "Kattenweek: 20% op al het kattenvoer"


@pytest.fixture
def merchant(live_server):
    """A shop with its home-page hero slot declared, and a staff member to run it."""
    SlotFactory(key="home_hero", name="Home hero", kind="banner")
    return UserFactory(username="merchant", is_staff=True, is_superuser=True)


def log_in(page: Page, base: str) -> None:
    page.goto(base + "/admin/")
    page.get_by_label("Username").fill("merchant")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()


def add_rule(page: Page, menu_entry: str) -> None:
    page.get_by_role("link", name="Add a rule").click()
    page.locator(".polymorphic-type-menu").get_by_role("link", name=menu_entry).click()


def build_segment(page: Page, base: str) -> None:
    page.goto(base + "/admin/personalization/segment/add/")
    page.get_by_role("textbox", name="Name:", exact=True).fill("Dutch cat promo")
    add_rule(page, "Request: query parameter")
    page.locator("#id_rules-0-name").fill("promo")
    page.locator("#id_rules-0-value").fill("cats")
    add_rule(page, "Request: language")
    page.locator("#id_rules-1-languages").fill("nl")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist .success")).to_contain_text("Dutch cat promo")


def build_campaign(page: Page, base: str) -> None:
    page.goto(base + "/admin/personalization/campaign/add/")
    page.get_by_role("textbox", name="Name:", exact=True).fill("Cat week")
    page.get_by_role("combobox", name="Slot:").select_option(label="Home hero (home_hero)")
    page.get_by_role("combobox", name="Status:").select_option("live")
    page.get_by_role("spinbutton", name="Priority:").fill("100")
    page.locator("#id_segments_from").select_option(label="Dutch cat promo")
    page.locator("#id_segments_add").click()
    page.get_by_role("link", name="Add another Variant").click()
    page.locator(".polymorphic-type-menu").get_by_role("link", name="banner").click()
    page.locator("#id_variants-0-name").fill("Cat week banner")
    page.locator("#id_variants-0-headline").fill(HEADLINE)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist .success")).to_contain_text("Cat week")


def hero_of(browser_page: Page):
    return browser_page.locator('[data-pz-slot="home_hero"]')


def test_merchant_builds_a_campaign_and_only_matching_visitors_see_it(
        merchant, live_server, page: Page, new_context) -> None:
    base = live_server.url
    log_in(page, base)
    build_segment(page, base)
    build_campaign(page, base)

    # An incognito Dutch visitor arriving through the cat promotion sees the banner ...
    dutch = new_context(locale="nl-NL").new_page()
    dutch.goto(base + "/?promo=cats")
    expect(hero_of(dutch).get_by_role("heading", name=HEADLINE)).to_be_visible()

    # ... one without the promotion, or not Dutch, sees the shop's default hero.
    for locale, url in (("nl-NL", "/"), ("en-GB", "/?promo=cats")):
        visitor = new_context(locale=locale).new_page()
        visitor.goto(base + url)
        expect(hero_of(visitor).locator(".hero")).to_be_visible()
        expect(visitor.get_by_text(HEADLINE)).to_have_count(0)
        expect(hero_of(visitor)).not_to_have_attribute("data-pz-campaign", re.compile(".*"))


def test_merchant_runs_an_experiment_with_two_variants_and_a_holdout(
        merchant, live_server, page: Page) -> None:
    from personalization.models import Campaign, ExperimentRun
    from tests.browser.conftest import ARTIFACTS

    base = live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, base)
    build_segment(page, base)
    page.goto(base + "/admin/personalization/campaign/add/")
    page.get_by_role("textbox", name="Name:", exact=True).fill("Cat week test")
    page.get_by_role("combobox", name="Slot:").select_option(label="Home hero (home_hero)")
    page.get_by_role("combobox", name="Status:").select_option("live")
    page.locator("#id_segments_from").select_option(label="Dutch cat promo")
    page.locator("#id_segments_add").click()
    page.get_by_role("spinbutton", name="Holdout (%):").fill("10")
    for n, headline in enumerate(("Kattenweek: 20% korting", "Kattenweek: gratis speeltje")):
        page.get_by_role("link", name="Add another Variant").click()
        page.locator(".polymorphic-type-menu").get_by_role("link", name="banner").click()
        page.locator(f"#id_variants-{n}-name").fill(f"Variant {n + 1}")
        page.locator(f"#id_variants-{n}-headline").fill(headline)
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Cat week test")
    # The run started: its split is locked, and the audience's reach is shown.
    expect(page.locator(".fieldBox.field-holdout_percent .readonly")).to_contain_text("10")
    expect(page.locator(".field-audience_reach")).to_contain_text("Dutch cat promo")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "campaign-experiment-1280.png"), full_page=True)
    campaign = Campaign.objects.get(name="Cat week test")
    assert campaign.variants.count() == 2
    run = ExperimentRun.objects.get(campaign=campaign, ended_at=None)
    assert run.holdout_percent == 10 and len(run.weights) == 2
