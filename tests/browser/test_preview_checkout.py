"""A merchant previews the checkout as a customer with a cart: her lines, her win-back
code and the panel of decisions, at 1280 px; her cart is not touched."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect

from demo_shop.catalog.models import Product
from demo_shop.sessions import SessionStore
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_reports import log_in_as_admin

pytestmark = pytest.mark.browser


def test_the_checkout_previewed_as_lisa_shows_her_cart(shop: str, page: Page) -> None:
    lisa = get_user_model().objects.get(username="lisa")
    pizza = Product.objects.get(slug="pizza-margherita")
    session = SessionStore()
    session.update({"_auth_user_id": str(lisa.pk), "cart": {str(pizza.pk): 2},
                    "cart_updated_at": (timezone.now() - timedelta(hours=3)).isoformat()})
    session.save()
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in_as_admin(page, shop)
    page.goto(shop + "/admin/personalization/segment/preview/")
    page.get_by_label("Customer").fill("lisa")
    page.get_by_label("Page").fill("/checkout/")
    page.get_by_role("button", name="Make the preview link").click()
    link = page.get_by_label("Preview link").input_value()  # "Open" uses a new tab
    page.goto(link)
    expect(page.get_by_text("2 × Pizza Margherita")).to_be_visible()
    panel = page.locator("#pz-preview")
    expect(panel).to_contain_text("Preview as customer lisa")
    expect(panel).to_contain_text("checkout_discount")
    # Her win-back code is not made in a preview, and not refused as unknown either.
    expect(page.get_by_text("Preview: the customer gets a single-use code")).to_be_visible()
    expect(page.get_by_text("Unknown discount code")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "preview-checkout-as-lisa.png"), full_page=True)
    page.locator("#pz-preview summary").click()  # the panel folds away
    expect(panel.locator("ol")).to_be_hidden()
    assert SessionStore(session_key=session.session_key).load()["cart"] == {str(pizza.pk): 2}
