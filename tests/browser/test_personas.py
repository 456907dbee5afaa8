"""The seeded demo in a real browser: lisa's win-back popup and code, jan's usual order."""

import re
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import unquote_plus

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

WIN_BACK_TITLE = "We miss you! 15% off your next order"


def log_in(page: Page, shop: str, username: str) -> None:
    page.goto(shop + "/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def euros(text: str) -> Decimal:
    return Decimal(re.sub(r"[^0-9.]", "", text))


def test_popup_opens_on_its_trigger_closes_with_escape_and_stays_closed(
        shop: str, page: Page) -> None:
    log_in(page, shop, "lisa")  # lapsed: the win-back popup opens two seconds after load
    page.goto(shop + "/")
    dialog = page.get_by_role("dialog", name=WIN_BACK_TITLE)
    expect(dialog).to_be_hidden()

    expect(dialog).to_be_visible(timeout=5000)
    expect(dialog).to_be_focused()
    # The script tells the shop, whose answer remembers the dismissal in a cookie.
    with page.expect_response(lambda r: r.url.endswith("/pz/api/events/") and r.ok) as sent:
        page.keyboard.press("Escape")
    # Sent as a beacon (it outlives the page): a form carrying its CSRF token, no header.
    beacon = sent.value.request
    assert beacon.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert "x-csrftoken" not in beacon.headers and "csrfmiddlewaretoken=" in beacon.post_data
    assert '"type":"dismiss"' in unquote_plus(beacon.post_data)
    expect(dialog).to_be_hidden()

    page.goto(shop + "/c/pizzas/")
    page.wait_for_timeout(2500)  # longer than the popup's delay
    expect(page.get_by_text(WIN_BACK_TITLE)).to_have_count(0)


def test_jan_reorders_his_usual_order_in_one_click_and_checks_out(shop: str, page: Page) -> None:
    log_in(page, shop, "jan")
    page.goto(shop + "/")
    usual = page.locator("section.pz-usual-order")
    expect(usual.get_by_role("heading", name="Your usual order")).to_be_visible()
    rows = usual.locator("tr.usual-order-line")
    expected = {}
    for i in range(rows.count()):
        row = rows.nth(i)
        expected[row.get_by_role("link").inner_text()] = int(
            row.get_by_role("spinbutton").input_value())
    assert len(expected) >= 2

    usual.get_by_role("button", name="Add all to cart").click()

    expect(page).to_have_url(re.compile(r"/cart/$"))
    for name, quantity in expected.items():
        line = page.locator("tr, li").filter(has=page.get_by_role("link", name=name, exact=True))
        expect(line.first).to_be_visible()
        expect(line.first.get_by_role("spinbutton")).to_have_value(str(quantity))
    page.get_by_role("link", name="Go to checkout").click()
    page.get_by_role("button", name="Place order").click()

    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible()
    ordered = {}
    for row in page.locator("table tbody tr").all():
        ordered[row.get_by_role("link").inner_text()] = int(row.locator("td").nth(1).inner_text())
    assert ordered == expected


def test_lisas_checkout_shows_her_win_back_code_and_the_discounted_total(
        shop: str, page: Page) -> None:
    log_in(page, shop, "lisa")
    page.goto(shop + "/p/pizza-margherita/")
    page.locator(".product-info").get_by_role("button", name="Add to cart").click()
    page.goto(shop + "/checkout/")

    field = page.locator("#id_discount_code")
    expect(field).to_have_value(re.compile(r"^PZ[\w-]+$"))  # her own single-use code
    code = field.input_value()
    expect(page.get_by_text(f"Code {code} applied: 15% off.")).to_be_visible()
    subtotal = euros(page.locator(".summary dd.subtotal").inner_text())
    discount = euros(page.locator(".summary dd.discount").inner_text())
    total = euros(page.locator(".summary dd.total").inner_text())
    assert subtotal > 0
    assert discount == (subtotal * Decimal("0.15")).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert total == subtotal - discount
