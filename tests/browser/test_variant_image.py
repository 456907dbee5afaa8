"""A merchant uploads a banner image in the admin; visitors see it, sized, on the storefront."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_merchant_campaign import hero_of, log_in, merchant  # noqa: F401
from tests.demo_shop.test_variant_images import png

pytestmark = pytest.mark.browser


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MEDIA_URL = "/media/"
    settings.ROOT_URLCONF = "tests.browser.media_urls"


def test_merchant_uploads_a_banner_image_and_visitors_see_it(
        media, merchant, live_server, page: Page, new_context) -> None:  # noqa: F811
    base = live_server.url
    log_in(page, base)
    page.goto(base + "/admin/personalization/campaign/add/")
    page.get_by_role("textbox", name="Name:", exact=True).fill("Cat week")
    page.get_by_role("combobox", name="Slot:").select_option(label="Home hero (home_hero)")
    page.get_by_role("combobox", name="Status:").select_option("live")
    page.get_by_role("link", name="Add another Variant").click()
    page.locator(".polymorphic-type-menu").get_by_role("link", name="banner").click()
    page.locator("#id_variants-0-headline").fill("Cat week")
    page.locator("#id_variants-0-image_alt").fill("A red blanket")
    # First an SVG: refused, with the reason, and nothing is saved.
    page.locator("#id_variants-0-image").set_input_files(files=[{
        "name": "logo.svg", "mimeType": "image/svg+xml",
        "buffer": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'}])
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errorlist")).to_contain_text("SVG images are not accepted")
    # A wide photo instead: stored, shrunk to 1600 pixels wide.
    page.locator("#id_variants-0-image").set_input_files(files=[{
        "name": "Red blanket.png", "mimeType": "image/png", "buffer": png(1800, 300)}])
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist .success")).to_contain_text("Cat week")

    visitor = new_context().new_page()
    visitor.goto(base + "/")
    image = hero_of(visitor).get_by_role("img", name="A red blanket")
    expect(image).to_have_attribute("src", re.compile(
        r"^/media/personalization/variants/\d{4}/\d\d/red-blanket\.png$"))
    expect(image).to_have_attribute("width", "1600")
    expect(image).to_have_attribute("height", "267")
    assert image.evaluate("img => img.decode().then(() => img.naturalWidth)") == 1600
