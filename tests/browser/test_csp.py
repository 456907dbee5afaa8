"""The shop under a strict Content-Security-Policy (no inline script or style, nothing from
another origin), as a shop turns one on with Django 6's CSP middleware or django-csp: a tour
of the storefront (consent banner, popups, the script's events), the staff preview panel and
the admin pages the app adds reports no violation, and the panel keeps its styling.

Django's own admin pages (lists, forms) are visited as the app extends them; a violation
there caused by Django itself would be Django's, which is why the tour names the pages."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from personalization.journeys.messages import unsubscribe_token
from personalization.models import Campaign, Journey, Segment
from personalization.touchpoints import preview
from tests.browser.test_reports import log_in_as_admin
from tests.csp import STRICT_POLICY

pytestmark = pytest.mark.browser

STOREFRONT = ("/", "/d/pets/", "/c/cat-litter/", "/search/?q=litter", "/search/?q=zzzz",
              "/cart/", "/pz/privacy/", "/login/")
APP_ADMIN = ("/admin/personalization/segment/", "/admin/personalization/segment/add/",
             "/admin/personalization/campaign/", "/admin/personalization/campaign/add/",
             "/admin/personalization/campaign/program/", "/admin/personalization/campaign/kpis/",
             "/admin/personalization/segment/preview/", "/admin/personalization/event/")
#: django-polymorphic's inline script (polymorphic_inlines.js) builds its "add" menu with
#: style="display: none;" through jQuery: a violation of Django admin's third-party code on
#: the segment and campaign forms, made harmless by the app's CSS (lists.css hides the menu).
POLYMORPHIC_MENU = ("style-src-attr", "jquery.min.js", "display: none;")


@pytest.fixture
def strict_csp(settings) -> Iterator[None]:
    settings.TEST_STRICT_CSP = True
    yield


def watch(page: Page) -> None:
    """Collect every CSP violation of each document in ``window.__pzViolations``."""
    page.add_init_script("""
        window.__pzViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => {
          window.__pzViolations.push([e.violatedDirective, e.blockedURI, e.sourceFile,
                                      e.lineNumber, e.sample]);
        });""")


def collect(page: Page, found: list[str]) -> None:
    for directive, blocked, source, line, sample in page.evaluate(
            "window.__pzViolations || []"):
        if (directive, (source or "").rsplit("/", 1)[-1], sample) == POLYMORPHIC_MENU:
            continue
        found.append(f"{page.url}: {directive} blocked {blocked or 'inline'} "
                     f"({sample!r}) at {source}:{line}")


def visit(page: Page, url: str, found: list[str], status: int = 200) -> None:
    response = page.goto(url)
    assert response is not None and response.status == status, url
    assert response.headers["content-security-policy"] == STRICT_POLICY
    page.wait_for_load_state("load")
    collect(page, found)


def test_a_tour_under_a_strict_policy_reports_no_violation(
        shop_with_history: str, page: Page, strict_csp: None) -> None:
    shop = shop_with_history
    found: list[str] = []
    watch(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    for path in STOREFRONT:
        visit(page, shop + path, found)
    # The consent banner works from the external script: accepting hides it.
    page.goto(shop + "/")
    banner = page.get_by_role("region", name="Your privacy choices")
    banner.get_by_role("button", name="Accept all").click()
    expect(banner).to_be_hidden()
    collect(page, found)
    for path in ("/c/cat-litter/", "/p/clumping-cat-litter-10-l/"):
        visit(page, shop + path, found)
    # The pages a journey's e-mail links open (the e-mails themselves need their inline
    # styles: mail clients ignore style sheets, and no page's policy applies to them).
    lisa = get_user_model().objects.get(username="lisa")
    visit(page, shop + f"/pz/journeys/unsubscribe/{unsubscribe_token(lisa.pk)}/", found)
    visit(page, shop + "/pz/journeys/unsubscribe/not-a-token/", found, status=404)

    log_in_as_admin(page, shop)
    for path in APP_ADMIN:
        visit(page, shop + path, found)
    campaign = Campaign.objects.order_by("pk").first()
    visit(page, shop + f"/admin/personalization/campaign/{campaign.pk}/change/", found)
    winner = Campaign.objects.get(name__icontains="clear winner")  # charts with legends
    visit(page, shop + f"/admin/personalization/campaign/{winner.pk}/report/", found)
    expect(page.locator("svg.pz-chart")).to_have_count(3)
    expect(page.locator(".pz-legend .pz-swatch-1").first).to_have_css(
        "background-color", "rgb(37, 99, 235)")
    segment = Segment.objects.order_by("pk").first()
    visit(page, shop + f"/admin/personalization/segment/{segment.pk}/change/", found)
    journey = Journey.objects.order_by("pk").first()
    visit(page, shop + f"/admin/personalization/journey/{journey.pk}/report/", found)
    # The KPI page's segment choice still submits itself, from the external script.
    visit(page, shop + "/admin/personalization/campaign/kpis/", found)
    page.locator("#pz-segment").select_option(index=1)
    expect(page).to_have_url(re.compile(r"[?&]segment=[\w-]+"))
    collect(page, found)

    # The preview panel, as a segment and as a customer: styled by the app's stylesheet.
    for target in (preview.Target(segment=segment.slug), preview.Target(user_id=lisa.pk)):
        visit(page, shop + preview.preview_url("/c/cat-litter/", target), found)
        panel = page.locator("#pz-preview")
        expect(panel).to_be_visible()
        expect(panel).to_have_css("position", "fixed")
        expect(panel).to_have_css("background-color", "rgb(31, 36, 48)")

    assert found == [], "\n".join(found)
