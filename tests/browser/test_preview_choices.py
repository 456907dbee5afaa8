"""A merchant previews the checkout on purpose in a real browser: as a segment (a sample
cart, the panel stays), as lisa on a freshly seeded demo (the cart her decisions read), and
with the control arm and a country chosen in the form."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from demo_shop.catalog.models import Product
from demo_shop.orders.models import SavedCart
from tests.browser.test_reports import log_in_as_admin

pytestmark = pytest.mark.browser


def make_link(page: Page, shop: str, **fields: str) -> str:
    page.goto(shop + "/admin/personalization/segment/preview/")
    if "segment" in fields:
        page.get_by_label("Segment").select_option(label=fields["segment"])
    if "customer" in fields:
        page.get_by_label("Customer").fill(fields["customer"])
    page.get_by_label("Page").fill(fields.get("path", "/checkout/"))
    if "arm" in fields:
        page.get_by_label("Variant").select_option(label=fields["arm"])
    if "country" in fields:
        page.get_by_label("Country").fill(fields["country"])
    page.get_by_role("button", name="Make the preview link").click()
    return page.get_by_label("Preview link").input_value()


def test_the_checkout_previewed_as_a_segment_keeps_its_panel(shop: str, page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in_as_admin(page, shop)
    page.goto(make_link(page, shop, segment="Lapsed customers", country="NL"))
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    expect(page.get_by_text("Your cart is empty")).to_have_count(0)
    panel = page.locator("#pz-preview")
    expect(panel).to_contain_text("Preview as segment 'Lapsed customers'")
    expect(panel).to_contain_text("Country: NL")
    expect(panel).to_contain_text("checkout_discount")


def test_lisas_checkout_with_her_saved_cart_and_the_control_arm(shop: str, page: Page) -> None:
    lisa = get_user_model().objects.get(username="lisa")
    pizza = Product.objects.get(slug="pizza-margherita")
    # Kept with her when she changed her cart logged in; her browser session is gone.
    SavedCart.objects.create(user=lisa, items={str(pizza.pk): 2})
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in_as_admin(page, shop)
    page.goto(make_link(page, shop, customer="lisa"))
    expect(page.get_by_text("2 × Pizza Margherita")).to_be_visible()
    expect(page.get_by_text("Preview: the customer gets a single-use code")).to_be_visible()

    page.goto(make_link(page, shop, customer="lisa", arm="Control: the default content"))
    expect(page.get_by_text("2 × Pizza Margherita")).to_be_visible()
    panel = page.locator("#pz-preview")
    expect(panel).to_contain_text("Variant: control (the default content)")
    expect(panel).to_contain_text("control (the default content) chosen for this preview")
    expect(page.get_by_text("Preview: the customer gets a single-use code")).to_have_count(0)
