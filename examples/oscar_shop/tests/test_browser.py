"""The Oscar example in headless Chromium (Debian's, at /usr/bin/chromium): a shopper answers
the consent banner, fills Oscar's basket, sees the hero change and applies the voucher the
basket offers him, in English and in Dutch. Nothing is downloaded; Oscar's jQuery comes from
its static files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

CHROMIUM = os.environ.get("PZ_CHROMIUM", "/usr/bin/chromium")
# Skipped without Chromium, unless PZ_REQUIRE_BROWSER is set (CI): then it fails.
pytestmark = [pytest.mark.browser, pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK) and not os.environ.get("PZ_REQUIRE_BROWSER"),
    reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")]


@pytest.fixture(scope="session", autouse=True)
def _async_unsafe() -> Iterator[None]:
    """Playwright's sync API runs an event loop in the main thread; the tests' ORM calls
    happen there too (see the main suite's tests/browser/conftest.py)."""
    expect.set_options(timeout=5000)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]}


@pytest.fixture
def shop_url(live_server: Any) -> str:
    from oscar_shop.seed import seed

    seed()  # the live server's tables are flushed: consent purposes come back with it
    return live_server.url


def test_a_shopper_fills_oscars_basket_and_applies_the_offered_voucher(page: Page,
                                                                       shop_url: str):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{shop_url}/catalogue/")
    page.get_by_role("button", name="Accept all").click()
    expect(page.locator("[data-pz-consent]")).to_be_hidden()
    expect(page.locator("#hero")).to_have_text("Welcome to the Oscar example shop.")

    page.locator(".product_pod", has_text="Cat food 2 kg").get_by_role(
        "button", name="Add to cart").click()
    page.goto(f"{shop_url}/catalogue/")
    expect(page.locator("[data-pz-slot=home_hero]")).to_contain_text(
        "Your cat will love our scratching posts")

    page.goto(f"{shop_url}/basket/")
    code = page.locator("#id_code").input_value()
    assert code.startswith("PZ")
    page.locator("#voucher_form button[type=submit]").click()
    expect(page.locator(".alert-info").first).to_contain_text(f"Coupon '{code}' added")
    expect(page.locator("#basket_totals")).to_contain_text("11.66")
    assert not errors, errors


def test_a_dutch_shopper_walks_the_shop_in_dutch(browser: Any, shop_url: str):
    """The same walk with a Dutch browser: the hero, Oscar's facets and the voucher line."""
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    page.goto(f"{shop_url}/catalogue/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    page.get_by_role("button", name="Alles accepteren").click()
    expect(page.locator("#hero")).to_have_text("Welkom in de Oscar-voorbeeldwinkel.")
    expect(page.get_by_text("suppli")).to_have_count(0)  # no stemmed "Type" facet

    page.locator(".product_pod", has_text="Cat food 2 kg").locator(
        "button[type=submit]").click()
    page.goto(f"{shop_url}/catalogue/")
    expect(page.locator("[data-pz-slot=home_hero]")).to_contain_text(
        "Je kat is dol op onze krabpalen")

    page.goto(f"{shop_url}/basket/")
    code = page.locator("#id_code").input_value()
    page.locator("#voucher_form button[type=submit]").click()
    expect(page.locator("#basket_totals")).to_contain_text("10% korting, bon")
    expect(page.locator("#basket_totals")).to_contain_text(code)
    expect(page.locator("#basket_totals")).not_to_contain_text("off, voucher")
    context.close()
