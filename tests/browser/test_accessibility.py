"""axe-core, run in the browser on the demo's pages: no serious or critical violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


def violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => `${v.impact} ${v.id}: ${v.help} — ` +
                 v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
    }""")
    return found


def test_the_demo_pages_have_no_serious_accessibility_violation(shop: str, page: Page) -> None:
    page.goto(shop + "/")
    report = {"/ (consent banner)": violations(page)}
    page.get_by_role("button", name="Accept all").first.click()
    for path in ("/", "/c/cats/", "/p/pizza-margherita/", "/search/?q=litter",
                 "/pz/privacy/"):
        page.goto(shop + path)
        report[path] = violations(page)
    page.goto(shop + "/p/pizza-margherita/")
    page.get_by_role("button", name="Add to cart").first.click()
    for path in ("/cart/", "/checkout/"):
        page.goto(shop + path)
        report[path] = violations(page)
    bad = {path: found for path, found in report.items() if found}
    assert not bad, "\n".join(f"{p}:\n  " + "\n  ".join(v) for p, v in bad.items())


def test_a_popup_is_accessible_and_gives_focus_back_when_it_closes(shop: str,
                                                                   page: Page) -> None:
    from tests.browser.test_personas import WIN_BACK_TITLE, log_in

    log_in(page, shop, "lisa")  # lapsed: the win-back popup opens two seconds after load
    page.goto(shop + "/")
    search = page.get_by_role("searchbox").first
    search.focus()
    dialog = page.get_by_role("dialog", name=WIN_BACK_TITLE)
    expect(dialog).to_be_visible(timeout=5000)
    assert violations(page) == []
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(search).to_be_focused()


def test_every_department_fits_a_375_px_phone(shop: str, page: Page) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(shop + "/")
    nav = page.get_by_role("navigation", name="Departments")
    for link in nav.get_by_role("link").all():
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, \
            link.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_my_orders_fits_a_375_px_phone(shop: str, page: Page) -> None:
    from tests.browser.test_personas import log_in

    log_in(page, shop, "jan")  # the farmer: many orders of many products
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(shop + "/orders/")
    expect(page.get_by_role("heading", name="My orders")).to_be_visible()
    assert page.locator(".order-history tr").count() > 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
        page.evaluate("document.documentElement.scrollWidth")
