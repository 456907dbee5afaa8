"""In a real browser: a campaign, variant and segment named
``</title><script>alert(1)</script>`` open no dialog on any admin page that shows them, and
read as their names (the charts' legend included)."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Dialog, Page, expect

from personalization.touchpoints import preview
from tests.test_admin_markup import EVIL, evil_experiment, pages

pytestmark = pytest.mark.browser


def test_no_dialog_fires_on_any_admin_page_showing_a_name_like_markup(
        live_server: Any, page: Page) -> None:
    get_user_model().objects.create_superuser("admin", "admin@example.com", "admin")
    campaign, _run, segment = evil_experiment()
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("admin")
    page.get_by_role("button", name="Log in").click()
    for name, (url, shows_name) in pages(campaign).items():
        page.goto(live_server.url + url)
        page.wait_for_load_state("load")
        if shows_name:
            expect(page.get_by_text(EVIL).first, name).to_be_attached()
    report = live_server.url + pages(campaign)["report"][0]
    page.goto(report)
    expect(page.locator("svg.pz-chart")).to_have_count(3)
    expect(page.locator(".pz-legend", has_text=EVIL).first).to_be_visible()
    page.goto(live_server.url + preview.preview_url("/", preview.Target(segment=segment.slug)))
    expect(page.locator("#pz-preview")).to_contain_text(EVIL)
    # No script element holds the payload on the last page either (the markup is text).
    assert not page.evaluate("[...document.scripts].some(s => s.text.includes('alert(1)'))")
    assert dialogs == []  # the charts' string formatting fired alert(1) four times here
