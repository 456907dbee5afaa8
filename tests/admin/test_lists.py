"""List and detail pages: segment sizes, read-only profiles, events and memberships."""

from __future__ import annotations

import uuid

import pytest

from personalization.models import (
    Segment,
)
from tests.factories import (
    BannerVariantFactory,
    CampaignFactory,
    CountryRuleFactory,
    DeviceRuleFactory,
    EventFactory,
    SegmentFactory,
    SegmentMembershipFactory,
    SlotFactory,
    UserFactory,
    VisitorAliasFactory,
    VisitorProfileFactory,
)

pytestmark = pytest.mark.django_db


def test_segment_list_shows_rules_size_and_campaigns(admin_client):
    live = SegmentFactory(name="Dutch mobile", slug="dutch-mobile")
    CountryRuleFactory(segment=live, countries=["NL"])
    DeviceRuleFactory(segment=live, devices=["mobile"])
    computed = SegmentFactory(name="Big spenders", slug="big-spenders",
                              kind="computed", member_count=42)
    SegmentFactory(name="Lapsed", slug="lapsed", kind="computed")
    slot = SlotFactory(key="home_hero", name="Home hero", kind="banner")
    CampaignFactory(name="VIP banner", slot=slot, variants=(), status="draft",
                    segments=[computed])

    response = admin_client.get("/admin/personalization/segment/")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<td class="field-rule_count">2</td>' in page
    assert '<td class="field-size">live<br><span class="pz-quiet">not estimated yet</span>' in page
    assert '<td class="field-size">42 <span class="pz-quiet">(+' in page  # entered, left
    assert '<td class="field-size">–</td>' in page
    assert '<td class="field-campaign_names">VIP banner</td>' in page


def test_segment_list_search_and_filters(admin_client):
    SegmentFactory(name="Dutch mobile", slug="dutch-mobile",
                   description="Phones in the Netherlands")
    SegmentFactory(name="Big spenders", slug="big-spenders", kind="computed")

    found = admin_client.get("/admin/personalization/segment/?q=netherlands").content.decode()
    computed = admin_client.get("/admin/personalization/segment/?kind__exact=computed")

    assert "Dutch mobile" in found and "Big spenders" not in found
    assert "Big spenders" in computed.content.decode()
    assert "Dutch mobile" not in computed.content.decode()


def test_profile_pages_are_read_only(admin_client):
    user = UserFactory(username="mia")
    profile = VisitorProfileFactory(
        user=user, visit_count=7, aggregates={"order_count": 3, "total_spent": "89.50"})
    alias = VisitorAliasFactory(profile=profile, alias=uuid.uuid4())

    listing = admin_client.get("/admin/personalization/visitorprofile/")
    detail = admin_client.get(f"/admin/personalization/visitorprofile/{profile.pk}/change/")

    assert listing.status_code == 200
    assert str(profile.visitor_id) in listing.content.decode()
    assert detail.status_code == 200
    page = detail.content.decode()
    assert str(alias.alias) in page
    assert "&quot;total_spent&quot;: &quot;89.50&quot;" in page
    assert 'name="_save"' not in page
    assert admin_client.get("/admin/personalization/visitorprofile/add/").status_code == 403


def test_event_list_filters(admin_client):
    slot = SlotFactory(key="home_hero", name="Home hero", kind="banner")
    campaign = CampaignFactory(name="Winter sale", slot=slot, variants=(), status="draft")
    variant = BannerVariantFactory(campaign=campaign, name="A", headline="Hi")
    EventFactory(visitor_id=uuid.uuid4(), type="click", slot="home_hero",
                 campaign=campaign, variant=variant)
    EventFactory(visitor_id=uuid.uuid4(), type="impression", slot="home_hero",
                 campaign=campaign, control=True)

    clicks = admin_client.get("/admin/personalization/event/?type__exact=click")
    control = admin_client.get("/admin/personalization/event/?control__exact=1")

    assert clicks.status_code == 200
    assert '<td class="field-type">Click</td>' in clicks.content.decode()
    assert '<td class="field-type">Impression</td>' not in clicks.content.decode()
    assert '<td class="field-type">Impression</td>' in control.content.decode()
    assert '<td class="field-type">Click</td>' not in control.content.decode()
    assert admin_client.get(f"/admin/personalization/event/?campaign__id__exact={campaign.pk}"
                            ).status_code == 200


def test_membership_list(admin_client):
    segment = SegmentFactory(name="Big spenders", slug="big-spenders", kind="computed")
    SegmentMembershipFactory(segment=segment, user=UserFactory(username="noor"))

    response = admin_client.get("/admin/personalization/segmentmembership/")

    assert response.status_code == 200
    assert "noor" in response.content.decode()


def test_a_segment_without_rules_is_flagged_when_saved_and_in_the_list(admin_client):

    data = {"name": "Empty", "slug": "empty", "description": "", "kind": "live",
            "match": "all", "enabled": "on"}
    page = admin_client.get("/admin/personalization/segment/add/").content.decode()
    import re
    for prefix in set(re.findall(r'name="([\w-]+)-TOTAL_FORMS"', page)):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = admin_client.post("/admin/personalization/segment/add/", data, follow=True)
    assert Segment.objects.filter(slug="empty").exists()
    assert "has no rules, so it matches nobody" in response.content.decode()
    listing = admin_client.get("/admin/personalization/segment/").content.decode()
    assert '0 <strong class="pz-warning">matches nobody</strong>' in listing


def test_the_audience_picker_has_no_stale_control_key_help(admin_client):
    page = admin_client.get("/admin/personalization/campaign/add/").content.decode()
    assert "Hold down" not in page
    assert "Visitors in any of these segments see the campaign." in page
