"""A staff member who may edit campaigns names a campaign, its variant and a segment like
markup: every admin page that shows the names (the campaign list and change page, the report
with its charts, the program report, the preview) shows them as text, never as live markup.
The browser half (no dialog fires) is tests/browser/test_admin_markup.py."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from personalization.measurement.experiments import sync_run
from personalization.measurement.rollups import roll_up
from personalization.models import (
    Campaign,
    Event,
    ExperimentRun,
    Segment,
    Slot,
)
from personalization.touchpoints import preview
from tests.factories import BannerVariantFactory, CampaignFactory, SegmentFactory, SlotFactory

pytestmark = pytest.mark.django_db
EVIL = "</title><script>alert(1)</script>"
ESCAPED = "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;"


def evil_experiment() -> tuple[Campaign, ExperimentRun, Segment]:
    """A live experiment on the home page's hero whose campaign, variant and audience are
    named EVIL, with ten days of exposures and orders rolled up (so the report draws its
    charts and the legend names the variant), and program visits for the program report."""
    slot = Slot.objects.filter(key="home_hero").first() or SlotFactory(
        key="home_hero", name="Home hero", kind="banner")
    segment = SegmentFactory(name=EVIL, slug="evil")
    campaign = CampaignFactory(name=EVIL, slot=slot, status="live", holdout_percent=30,
                               cost=Decimal("50"), variants=())
    campaign.segments.set([segment])
    variants = [BannerVariantFactory(campaign=campaign, name=name, headline="Hello")
                for name in (EVIL, "Plain")]
    run = sync_run(campaign)
    now = timezone.now()
    ExperimentRun.objects.filter(pk=run.pk).update(started_at=now - timedelta(days=10))
    run.refresh_from_db()
    rows = []
    for n in range(90):
        vid, seen = uuid.uuid4(), now - timedelta(days=9, hours=-2 * n)
        arm = n % 3
        rows += [Event(visitor_id=vid, type="impression", campaign=campaign, slot=slot.key,
                       control=arm == 0, variant=None if arm == 0 else variants[arm - 1],
                       created_at=seen),
                 Event(visitor_id=vid, type="visit", control=n % 5 == 0, created_at=seen)]
        if n % 4 == 0:
            for owner in (campaign, None):  # the campaign's conversion, and the program's
                rows.append(Event(visitor_id=vid, type="conversion", campaign=owner,
                                  control=arm == 0 if owner else n % 5 == 0,
                                  variant=variants[arm - 1] if owner and arm else None,
                                  value=Decimal("25.00") + n, reference=f"O{n}",
                                  created_at=seen + timedelta(hours=1)))
    Event.objects.bulk_create(rows)
    roll_up(run)
    roll_up(None)
    return campaign, run, segment


def pages(campaign: Campaign) -> dict[str, tuple[str, bool]]:
    """Each admin page, and whether it shows the names (the program report does not)."""
    base = "/admin/personalization/campaign/"
    return {"list": (base, True), "change": (f"{base}{campaign.pk}/change/", True),
            "report": (f"{base}{campaign.pk}/report/", True),
            "program": (f"{base}program/", False), "kpis": (f"{base}kpis/", False)}


def assert_inert(html: str) -> None:
    assert EVIL not in html
    assert "<script>alert(1)" not in html.lower()


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_name_like_markup_is_text_on_every_admin_page(admin_client, language):
    campaign, _run, _segment = evil_experiment()
    for name, (url, shows_name) in pages(campaign).items():
        response = admin_client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, name
        html = response.content.decode()
        assert_inert(html)
        if shows_name:
            assert ESCAPED in html, name
    report = admin_client.get(pages(campaign)["report"][0]).content.decode()
    assert report.count('<svg class="pz-chart"') == 3
    # In the charts too: the uplift chart's title, each line's title and the legend.
    charts = report[report.index('<figure class="pz-figure">'):]
    assert charts.count(ESCAPED) >= 4


def test_a_name_like_markup_is_text_in_the_preview(admin_client):
    _campaign, _run, segment = evil_experiment()
    url = preview.preview_url("/", preview.Target(segment=segment.slug))
    html = admin_client.get(url).content.decode()
    assert 'id="pz-preview"' in html
    assert_inert(html)
    assert "&#x27;&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#x27;" in html
