"""A merchant picks categories by name (the shop's catalogue, searched as he types), and
the segment names them back."""

import pytest
from playwright.sync_api import Page, expect

from personalization.models import Segment
from tests.browser.test_merchant_campaign import add_rule, log_in, merchant  # noqa: F401
from tests.factories import CategoryFactory

pytestmark = pytest.mark.browser


def test_a_category_rule_is_built_by_typing_the_categorys_name(live_server, merchant,  # noqa: F811
                                                                page: Page) -> None:
    cats = CategoryFactory(name="Cats")
    CategoryFactory(name="Dogs")
    base = live_server.url
    log_in(page, base)
    page.goto(base + "/admin/personalization/segment/add/")
    page.get_by_role("textbox", name="Name:", exact=True).fill("Cat browsers")
    add_rule(page, "Request: current category")
    picker = page.locator("#id_rules-0-category_ids + .select2")
    picker.click()
    page.keyboard.type("Cat")
    option = page.locator(".select2-results__option", has_text="Cats")
    expect(option).to_have_count(1)
    option.click()
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Cat browsers")
    rule = Segment.objects.get(slug="cat-browsers").rules.get()
    assert rule.category_ids == [str(cats.pk)]
    # Back on the form, the rule shows the category by name, not by id.
    expect(page.locator("#id_rules-0-category_ids + .select2")).to_contain_text("Cats")
