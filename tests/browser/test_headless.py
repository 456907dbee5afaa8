"""The demo's headless home page in a real browser: plain fetch() against the REST API shows
each visitor what the server-rendered page shows him, and reports what he sees and does."""

import re

import pytest
from playwright.sync_api import Page, expect

from personalization.measurement.events import flush_events
from personalization.models import Event
from tests.browser.test_personas import WIN_BACK_TITLE, log_in

pytestmark = pytest.mark.browser


def server_page(page: Page, shop: str) -> str:
    """The server-rendered home page for the same browser (its cookies), script not run."""
    return page.request.get(shop + "/").text()


def events_answered(page: Page):
    return page.expect_response(lambda r: r.url.endswith("/pz/api/events/")
                                and r.status == 202)


def new_events(before: set[int], username: str) -> list[str]:
    flush_events()
    return sorted(Event.objects.exclude(pk__in=before).filter(user__username=username)
                  .exclude(type="visit").values_list("type", "slot"))


def test_lisa_gets_her_greeting_and_win_back_popup_and_her_dismissal_counts(
        shop: str, page: Page) -> None:
    log_in(page, shop, "lisa")
    html = server_page(page, shop)
    slot = re.search(r'data-pz-slot="greeting"[^>]*>(.*?)</(div|span)>', html, re.S).group(1)
    greeting = " ".join(re.sub(r"<[^>]+>", " ", slot).split())
    assert greeting.startswith("Hallo") or "Lisa" in greeting
    assert WIN_BACK_TITLE in html
    flush_events()
    before = set(Event.objects.values_list("pk", flat=True))

    with page.expect_response(lambda r: "/pz/api/decisions/" in r.url and r.ok):
        page.goto(shop + "/headless/")
    expect(page.locator('[data-slot="greeting"]')).to_have_text(greeting)
    # Her win-back popup opens on its trigger (two seconds); display and dismissal reported.
    dialog = page.get_by_role("dialog", name=WIN_BACK_TITLE)
    expect(dialog).to_be_hidden()
    with events_answered(page):
        expect(dialog).to_be_visible(timeout=5000)
    with events_answered(page):
        page.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    assert new_events(before, "lisa") == [
        ("dismiss", "site_popup"), ("impression", "greeting"), ("impression", "site_popup")]

    # The dismissal keeps it away on the server-rendered page too.
    assert WIN_BACK_TITLE not in server_page(page, shop)


def test_anna_gets_her_product_list_and_her_click_is_reported(shop: str, page: Page) -> None:
    log_in(page, shop, "anna")
    html = server_page(page, shop)
    section = re.search(r'data-pz-slot="home_products".*?</section>', html, re.S).group(0)
    server_products = re.findall(r'href="(/p/[\w-]+/)"', section)
    assert server_products
    flush_events()
    before = set(Event.objects.values_list("pk", flat=True))

    page.goto(shop + "/headless/")
    links = page.locator('[data-slot="home_products"] a[href^="/p/"]')
    expect(links.first).to_be_visible()
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert list(dict.fromkeys(hrefs)) == list(dict.fromkeys(server_products))

    with events_answered(page):
        links.first.click()  # reported before the product page replaces this one
    expect(page).to_have_url(re.compile(r"/p/[\w-]+/$"))
    assert ("click", "home_products") in new_events(before, "anna")


def test_a_new_visitor_is_asked_for_consent_through_the_api_first(
        shop: str, page: Page) -> None:
    page.goto(shop + "/headless/")
    banner = page.get_by_role("region", name="Cookies and personal offers")
    expect(banner).to_be_visible()
    with page.expect_response(lambda r: "/pz/api/consent/" in r.url
                              and r.request.method == "PUT" and r.ok):
        page.get_by_role("button", name="Accept all").click()
    expect(banner).to_be_hidden()
    assert {"pz_consent", "pz_vid"} <= {c["name"] for c in page.context.cookies()}
    page.reload()
    expect(banner).to_be_hidden()


def test_a_popup_opens_at_its_scroll_depth_on_the_headless_page(shop: str, page: Page) -> None:
    """The headless page honours a popup's trigger like the bundled script: this one waits
    until the visitor has scrolled 90 % of the page."""
    from personalization.engine import rulebook
    from personalization.models import Slot
    from tests.factories import CampaignFactory, PopupVariantFactory

    campaign = CampaignFactory(name="Deep scroll", slot=Slot.objects.get(key="site_popup"),
                               priority=1000, variants=())
    PopupVariantFactory(campaign=campaign, title="You scrolled all the way",
                        body="<p>Thanks for reading.</p>", trigger="scroll", scroll_percent=90)
    rulebook.invalidate()
    log_in(page, shop, "anna")
    page.set_viewport_size({"width": 1000, "height": 300})
    with page.expect_response(lambda r: "/pz/api/decisions/" in r.url and r.ok):
        page.goto(shop + "/headless/")
    dialog = page.get_by_role("dialog", name="You scrolled all the way")
    expect(page.locator('[data-slot="site_popup"] .pz-popup')).to_have_count(1)
    page.wait_for_timeout(300)
    expect(dialog).to_be_hidden()
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    expect(dialog).to_be_visible()
