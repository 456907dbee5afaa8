"""A merchant reads the seeded experiments' reports in the admin, at 1280 px."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def log_in_as_admin(page: Page, shop: str) -> None:
    page.goto(shop + "/admin/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("admin")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()


def fits_the_window(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_report_of_a_winning_experiment_and_of_the_program(shop_with_history: str,
                                                                page: Page) -> None:
    shop = shop_with_history
    log_in_as_admin(page, shop)
    page.goto(shop + "/admin/personalization/campaign/?q=clear+winner")
    page.get_by_role("link", name="report", exact=True).first.click()

    expect(page.locator(".pz-verdict")).to_contain_text("wins on conversion rate")
    expect(page.get_by_text("always-valid 95 % confidence sequences")).to_be_visible()
    expect(page.locator(".pz-report table").first).to_contain_text("Control (holdout)")
    charts = page.locator("svg.pz-chart")
    expect(charts).to_have_count(3)
    for i in range(3):  # drawn: each has its lines, with a size on the page
        expect(charts.nth(i).locator("polyline").first).to_be_attached()
        assert charts.nth(i).bounding_box()["width"] > 300
    # a third of the visitors had orders before the run: CUPED narrows the RPV interval
    expect(page.get_by_text("adjusted for what each visitor spent")).to_be_visible()
    assert fits_the_window(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-campaign.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Daily figures as CSV").click()
    assert download.value.suggested_filename.endswith(".csv")

    page.get_by_role("link", name="Personalization as a whole, against the global "
                                   "holdout").click()
    expect(page.locator(".pz-report table").first).to_contain_text("Global holdout")
    expect(page.locator("svg.pz-chart")).to_have_count(3)
    assert fits_the_window(page)
    page.screenshot(path=str(ARTIFACTS / "report-program.png"), full_page=True)

    page.get_by_role("link", name="Key figures week by week").click()
    expect(page.locator(".pz-report table").first).to_contain_text("Transactions")
    expect(page.locator("svg.pz-chart")).to_have_count(3)
    assert fits_the_window(page)
    page.screenshot(path=str(ARTIFACTS / "report-kpis.png"), full_page=True)

    # On a phone the page does not scroll sideways: a wide table scrolls in its own box.
    page.set_viewport_size({"width": 375, "height": 800})
    for report in (page.url, shop + "/admin/personalization/campaign/program/",
                   shop + "/admin/personalization/campaign/?q=clear+winner"):
        page.goto(report)
        if "?q=" in report:
            page.get_by_role("link", name="report", exact=True).first.click()
            expect(page.locator(".pz-verdict")).to_be_visible()
        assert fits_the_window(page), page.url
    page.screenshot(path=str(ARTIFACTS / "report-campaign-375.png"), full_page=True)


def test_promoting_asks_for_confirmation_and_a_reason_without_a_winner(
        shop_with_history: str, page: Page) -> None:
    """The seeded flat test names no winner: its promote page shows the evidence and will
    not promote without the explicit choice and a reason, which the run's history keeps."""
    from personalization.models import ExperimentRun

    shop = shop_with_history
    # The seeded runs are concluded; this one goes on, as a merchant would find it.
    ExperimentRun.objects.filter(campaign__name__contains="no difference").update(
        ended_at=None)
    log_in_as_admin(page, shop)
    page.goto(shop + "/admin/personalization/campaign/?q=no+difference")
    page.get_by_role("link", name="report", exact=True).first.click()
    verdict = page.locator(".pz-verdict").inner_text()
    page.get_by_role("link", name="Promote Variant 'Orange banner' to everybody…").click()
    expect(page.get_by_role("heading", name="Promote “Orange banner” to everybody?")
           ).to_be_visible()
    expect(page.locator(".pz-verdict")).to_have_text(verdict)  # the evidence, as reported
    expect(page.get_by_text("does not name “Orange banner” the winner")).to_be_visible()
    page.get_by_role("button", name="Yes, promote “Orange banner”").click()
    expect(page.get_by_text("Say why you promote it without a winner verdict.")
           ).to_be_visible()
    page.get_by_label("Promote although the report names no winner").check()
    page.get_by_label("Why").fill("Orange matches the winter campaign.")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-promote.png"), full_page=True)
    page.get_by_role("button", name="Yes, promote “Orange banner”").click()
    expect(page.get_by_text("“Orange banner” now shows to everybody")).to_be_visible()
    history = page.locator("table.pz-history")
    expect(history).to_contain_text("“Orange banner” promoted on")
    expect(history).to_contain_text("without a winner verdict: “Orange matches the winter "
                                    "campaign.”")
