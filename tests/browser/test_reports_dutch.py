"""A Dutch merchant reads the seeded reports in a Dutch browser: verdicts, warnings and arm
labels in Dutch, and every amount, percentage and date on the page written the Dutch way
("€ 13.147,93", "4,6 %", "12 oktober 2026"), the charts' axes included."""

import re

import pytest
from playwright.sync_api import Page, expect

from personalization.models import Campaign
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_accessibility import AXE

pytestmark = pytest.mark.browser
MONTHS = ("januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|"
          "december")
ENGLISH_MONTHS = r"\b(January|February|March|April|May|June|July|August|September|October|" \
                 r"November|December)\b"


def figures_of(page: Page) -> str:
    """The report's text (tables, verdict, warnings and the charts' labels), without the
    names a merchant typed in quotes (a variant called "Free delivery over €50")."""
    text = page.locator(".pz-report").inner_text()
    return re.sub(r"‘[^’]*’|“[^”]*”", "‘…’", text)


def assert_written_in_dutch(text: str) -> None:
    amounts = re.findall(r"€\s?[\d.,]+", text)
    assert amounts, "no amounts on the page"
    for amount in amounts:  # "€ 13.147,93": a no-break space, dots between thousands, a comma
        assert re.fullmatch(r"€\xa0\d{1,3}(\.\d{3})*,\d{2}", amount), amount
    assert re.findall(r"\d,\d %", text), "no percentages on the page"
    assert not re.search(r"\d\.\d{1,2}(?!\d)", text), "an English decimal point"
    assert not re.search(r"\d,\d{3}(?!\d)", text), "an English thousands separator"
    assert re.search(rf"\b\d{{1,2}} ({MONTHS}) \d{{4}}\b", text), "no Dutch date"
    assert not re.search(ENGLISH_MONTHS, text)
    for english in ("Control (holdout)", "Variant '", "earns more", "Not enough data",
                    "Sample ratio", " days", "Since"):
        assert english not in text, english


def report_violations(page: Page) -> list[str]:
    """axe-core's serious or critical findings in the report's own part of the page."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
        const result = await axe.run(document.querySelector(".pz-report"),
                                     {resultTypes: ["violations"]});
        return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => `${v.impact} ${v.id}: ${v.help}`);
    }""")


def test_a_dutch_report(shop_with_history: str, new_context) -> None:
    shop = shop_with_history
    page: Page = new_context(locale="nl-NL").new_page()
    page.goto(shop + "/admin/")
    page.locator("#id_username").fill("admin")
    page.locator("#id_password").fill("admin")
    page.locator("input[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    winner = Campaign.objects.get(name__contains="clear winner")
    page.goto(f"{shop}/admin/personalization/campaign/{winner.pk}/report/")

    expect(page.locator(".pz-verdict")).to_contain_text(
        "Variant ‘Free delivery over €50’ wint op conversieratio: +")
    expect(page.locator(".pz-verdict")).to_contain_text("ten opzichte van Controlegroep")
    expect(page.get_by_text("altijd geldige 95 % betrouwbaarheidsreeksen")).to_be_visible()
    expect(page.locator(".pz-report table").first).to_contain_text("Controlegroep (holdout)")
    expect(page.locator(".pz-report table").first).to_contain_text("Variant ‘Free delivery")
    expect(page.locator("svg.pz-chart")).to_have_count(3)
    expect(page.locator("svg.pz-chart text").first).to_have_text(re.compile(r"\d,\d %$"))
    text = figures_of(page)
    assert_written_in_dutch(text)
    # Dutch is longer ("%-punt", "€ "): the intervals break after "…" to fit the window.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert report_violations(page) == []
    assert "Rendement op de kosten van de campagne (€\xa0400,00)" in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-campaign-nl.png"), full_page=True)

    broken = Campaign.objects.get(name__contains="broken split")
    page.goto(f"{shop}/admin/personalization/campaign/{broken.pk}/report/")
    expect(page.locator(".pz-verdict")).to_contain_text(
        "Vertrouw deze vergelijking niet totdat dit verklaard is: Afwijkende verdeling")
    assert_written_in_dutch(figures_of(page))

    page.goto(shop + "/admin/personalization/campaign/program/")
    expect(page.locator(".pz-report table").first).to_contain_text("Globale holdout")
    expect(page.locator(".pz-report table").first).to_contain_text("Gepersonaliseerd")
    assert_written_in_dutch(figures_of(page))

    page.goto(shop + "/admin/personalization/campaign/kpis/")
    expect(page.locator("tr.pz-unfinished")).to_contain_text(
        "tot nu toe: de week is nog niet afgelopen")
    expect(page.get_by_role("heading", name="Hoe deze cijfers zich verhouden tot de "
                                            "rapporten van de campagnes")).to_be_visible()
    expect(page.get_by_text("De grafieken eindigen bij de laatste hele week")).to_be_visible()
    assert_written_in_dutch(figures_of(page))
    assert report_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "report-kpis-nl.png"), full_page=True)
