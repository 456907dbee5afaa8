"""Campaign admin: variants inline, checked against the slot chosen in the same form."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone, translation

from personalization.admin import schedule_text
from personalization.models import (
    BannerVariant,
    Campaign,
    ContentVariant,
    PopupVariant,
)
from tests.admin.conftest import campaign_data
from tests.factories import BannerVariantFactory, CampaignFactory, SegmentFactory, SlotFactory

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/personalization/campaign/add/"
BANNER = (BannerVariant, {"name": "A", "weight": "1", "headline": "Warm paws, cold days",
                          "link": "/c/winter/", "cta_label": "Shop now"})


def test_add_page_renders_with_every_variant_kind(admin_client):
    response = admin_client.get(ADD_URL)

    assert response.status_code == 200
    page = response.content.decode()
    for kind in ("banner", "popup", "discount code", "product list", "text"):
        assert f"&quot;name&quot;: &quot;{kind}&quot;" in page


def test_valid_campaign_with_a_banner_is_saved(admin_client, banner_slot):
    segment = SegmentFactory(name="Cat owners", slug="cat-owners")
    data = campaign_data(banner_slot, [BANNER], status="live", segments=[str(segment.pk)],
                         weekdays=["0", "1", "2", "3", "4"], hour_start="9", hour_end="17")

    response = admin_client.post(ADD_URL, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    campaign = Campaign.objects.get()
    assert list(campaign.segments.all()) == [segment]
    variant = campaign.variants.get()
    assert isinstance(variant, BannerVariant)
    assert variant.headline == "Warm paws, cold days"
    change = admin_client.get(f"/admin/personalization/campaign/{campaign.pk}/change/")
    assert change.status_code == 200


def test_popup_variant_on_a_banner_slot_is_rejected(admin_client, banner_slot):
    popup = (PopupVariant, {"name": "P", "weight": "1", "title": "Hello", "trigger": "load",
                            "delay_seconds": "5", "scroll_percent": "50", "dismissible": "on"})

    response = admin_client.post(ADD_URL, campaign_data(banner_slot, [BANNER, popup]))

    assert response.status_code == 200
    assert ("A Popup cannot be shown in a banner slot; choose a Banner variant or another "
            "slot.") in response.content.decode()
    assert not Campaign.objects.exists()
    assert not ContentVariant.objects.exists()


def test_changing_the_slot_is_checked_against_existing_variants(admin_client, banner_slot):
    popup_slot = SlotFactory(key="exit_popup", name="Exit popup", kind="popup")
    campaign = CampaignFactory(name="Winter sale", slot=banner_slot, variants=(), status="draft")
    banner = BannerVariantFactory(campaign=campaign, headline="Hi")
    data = campaign_data(popup_slot, [(BannerVariant, {"id": str(banner.pk), "weight": "1",
                                                       "headline": "Hi"})])
    data["variants-INITIAL_FORMS"] = "1"

    response = admin_client.post(f"/admin/personalization/campaign/{campaign.pk}/change/", data)

    assert response.status_code == 200
    assert "A Banner cannot be shown in a popup slot" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.slot == banner_slot


def test_weights_adding_up_to_zero_are_rejected(admin_client, banner_slot):
    zero = (BannerVariant, {**BANNER[1], "weight": "0"})
    other = (BannerVariant, {**BANNER[1], "name": "B", "weight": "0"})

    response = admin_client.post(ADD_URL, campaign_data(banner_slot, [zero, other]))

    assert response.status_code == 200
    assert ("The variant weights add up to 0: give at least one variant a weight above 0."
            in response.content.decode())
    assert not Campaign.objects.exists()


def test_end_before_start_is_rejected(admin_client, banner_slot):
    data = campaign_data(banner_slot, [BANNER], starts_at_0="2026-12-24", starts_at_1="00:00",
                         ends_at_0="2026-12-01", ends_at_1="00:00")

    response = admin_client.post(ADD_URL, data)

    assert response.status_code == 200
    assert "The campaign ends before it starts." in response.content.decode()
    assert not Campaign.objects.exists()
    assert not ContentVariant.objects.exists()


def test_variant_errors_show_in_the_variant_form(admin_client, banner_slot):
    no_link = (BannerVariant, {**BANNER[1], "link": ""})

    response = admin_client.post(ADD_URL, campaign_data(banner_slot, [no_link]))

    assert response.status_code == 200
    assert "A button needs a link." in response.content.decode()
    assert not Campaign.objects.exists()


def test_live_campaign_without_variants_is_saved_with_a_warning(admin_client, banner_slot):
    response = admin_client.post(ADD_URL, campaign_data(banner_slot, [], status="live"))

    assert response.status_code == 302
    assert Campaign.objects.get().status == "live"
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("is live but has no variants" in t for t in texts)


def test_list_shows_schedule_audience_and_variants(admin_client, banner_slot):
    tz = timezone.get_current_timezone()
    segment = SegmentFactory(name="Cat owners", slug="cat-owners")
    targeted = CampaignFactory(
        name="Advent", slot=banner_slot, status="live", priority=5, holdout_percent=10,
        starts_at=datetime(2031, 12, 1, tzinfo=tz), ends_at=datetime(2031, 12, 24, tzinfo=tz),
        weekdays=["0", "1", "2", "3", "4"], hour_start=9, hour_end=17, variants=())
    targeted.segments.add(segment)
    BannerVariantFactory(campaign=targeted, headline="A")
    BannerVariantFactory(campaign=targeted, headline="B")
    CampaignFactory(name="Evergreen", slot=banner_slot, variants=(), status="draft")

    response = admin_client.get("/admin/personalization/campaign/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Dec. 1, 2031 – Dec. 24, 2031, Mon–Fri 9–17h" in page
    assert "Cat owners" in page
    assert "everybody" in page
    assert "always" in page
    assert '<td class="field-variant_count">2 + 10% holdout<br><a href=' in page
    assert '<td class="field-variant_count">0<br><a href=' in page


def test_schedule_text_short_forms(banner_slot):
    now = timezone.now()
    this_year = now.replace(month=3, day=2, hour=12)
    campaign = Campaign(slot=banner_slot, starts_at=this_year, weekdays=["5", "6"])

    assert schedule_text(campaign, now) == "from March 2, Sat, Sun"
    assert schedule_text(Campaign(slot=banner_slot), now) == "always"


def test_schedule_text_writes_dutch_months_in_lower_case(banner_slot):
    now = timezone.now()
    may_first = now.replace(month=5, day=1, hour=12)
    campaign = Campaign(slot=banner_slot, starts_at=may_first,
                        ends_at=may_first.replace(year=now.year + 1))

    with translation.override("nl"):
        assert schedule_text(campaign, now) == f"1 mei – 1 mei {now.year + 1}"


def test_actions_change_status(admin_client, banner_slot):
    campaign = CampaignFactory(name="Winter", slot=banner_slot, variants=(), status="draft")

    response = admin_client.post("/admin/personalization/campaign/", {
        "action": "make_live", "_selected_action": [str(campaign.pk)]}, follow=True)

    campaign.refresh_from_db()
    assert campaign.status == "live"
    assert "have no variants" in response.content.decode()

    admin_client.post("/admin/personalization/campaign/", {
        "action": "pause", "_selected_action": [str(campaign.pk)]})
    campaign.refresh_from_db()
    assert campaign.status == "paused"

    admin_client.post("/admin/personalization/campaign/", {
        "action": "archive", "_selected_action": [str(campaign.pk)]})
    campaign.refresh_from_db()
    assert campaign.status == "archived"


def test_slot_list_counts_live_campaigns(admin_client, banner_slot):
    CampaignFactory(name="On", slot=banner_slot, status="live", variants=())
    CampaignFactory(name="Off", slot=banner_slot, status="paused", variants=())

    response = admin_client.get("/admin/personalization/slot/?q=home")

    assert response.status_code == 200
    assert '<td class="field-live_campaigns">1</td>' in response.content.decode()
    assert admin_client.get("/admin/personalization/slot/add/").status_code == 200


def test_slot_kind_cannot_change_under_its_campaigns(admin_client, banner_slot):
    campaign = CampaignFactory(name="Winter", slot=banner_slot, variants=(), status="draft")
    BannerVariantFactory(campaign=campaign, headline="Hi")

    response = admin_client.post(f"/admin/personalization/slot/{banner_slot.pk}/change/", {
        "key": "home_hero", "name": "Home hero", "kind": "popup", "description": ""})

    assert response.status_code == 200
    assert "before changing the slot&#x27;s kind" in response.content.decode()
    banner_slot.refresh_from_db()
    assert banner_slot.kind == "banner"


def test_status_and_priority_are_editable_in_the_list(admin_client, banner_slot):
    campaign = CampaignFactory(name="Winter", slot=banner_slot, variants=(), status="draft")

    response = admin_client.post("/admin/personalization/campaign/", {
        "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000", "form-0-id": str(campaign.pk), "form-0-status": "live",
        "form-0-priority": "7", "_save": "Save"})

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.status, campaign.priority) == ("live", 7)


def test_money_is_never_negative_and_names_the_currency(admin_client, banner_slot):
    from django.core.exceptions import ValidationError

    from personalization.rules import CartValueRule, TotalSpentRule

    page = admin_client.get(ADD_URL).content.decode()
    assert "Amount in EUR. What the campaign costs" in page
    response = admin_client.post(ADD_URL, campaign_data(banner_slot, [BANNER], cost="-100"))
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 0." in response.content.decode()
    assert not Campaign.objects.exists()
    for rule in (CartValueRule(minimum=-1), TotalSpentRule(minimum=-10)):
        with pytest.raises(ValidationError, match="greater than or equal to 0"):
            rule.full_clean(exclude=["segment"])
    with pytest.raises(ValidationError, match="no more than 2 decimal places"):
        CartValueRule(minimum="1.005").full_clean(exclude=["segment"])


def test_a_variant_has_its_texts_in_dutch_for_dutch_visitors(admin_client, banner_slot):
    from django.test import Client

    from personalization.models import TextVariant
    from personalization.testing import give_consent

    add = admin_client.get(ADD_URL).content.decode()
    assert "Headline (Nederlands)" in add and "Button text (Nederlands)" in add
    dutch = {"headline__nl": "Warme poten, koude dagen",
             "body__nl": "<p>Nu <strong>20%</strong> korting</p><script>x()</script>"}
    response = admin_client.post(ADD_URL, campaign_data(
        banner_slot, [(BannerVariant, {**BANNER[1], **dutch})], status="live"))
    assert response.status_code == 302, response.content.decode()[:3000]
    variant = BannerVariant.objects.get()
    assert variant.translations == {"nl": {
        "headline": "Warme poten, koude dagen",
        "body": "<p>Nu <strong>20%</strong> korting</p>"}}  # sanitised like the body
    change = admin_client.get(f"/admin/personalization/campaign/{variant.campaign_id}/change/")
    assert 'value="Warme poten, koude dagen"' in change.content.decode()

    def hero(language: str) -> str:
        return give_consent(Client()).get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert "Warme poten, koude dagen" in hero("nl-NL") and "20%</strong> korting" in hero("nl")
    english = hero("en")
    assert "Warm paws, cold days" in english and "Warme poten" not in english
    # The API speaks the language of the app asking (Accept-Language), as a page does.
    [decision] = give_consent(Client()).get(
        "/pz/api/decisions/?slot=home_hero", HTTP_ACCEPT_LANGUAGE="nl").json()["decisions"]
    assert decision["content"]["fields"]["headline"] == "Warme poten, koude dagen"

    # A text's fields are checked in every language.
    text = TextVariant(campaign=variant.campaign, text="Hi {{ first_name }}",
                       translations={"nl": {"text": "Hoi {{ voornaam }}"}})
    with pytest.raises(Exception, match="voornaam"):
        text.full_clean()


def test_with_djangos_default_languages_the_form_asks_only_for_languages_in_use(
        admin_client, banner_slot, settings):
    """A shop that never narrowed LANGUAGES (Django's ~99) gets no field per language, until
    a variant has texts in one; its texts then stay editable, and others are kept."""
    from django.conf import global_settings

    settings.LANGUAGES = global_settings.LANGUAGES
    page = admin_client.get(ADD_URL).content.decode()
    assert "Headline (" not in page and "(Dutch)" not in page
    assert page.count("<input") < 200

    campaign = CampaignFactory(name="Winter sale", slot=banner_slot, variants=(), status="draft")
    BannerVariantFactory(campaign=campaign, headline="Hi",
                         translations={"nl": {"headline": "Hoi"},
                                       "fy": {"headline": "Hoi!"}})
    change = admin_client.get(f"/admin/personalization/campaign/{campaign.pk}/change/")
    page = change.content.decode()
    assert "Headline (Dutch)" in page and "Headline (Frisian)" in page
    assert 'value="Hoi"' in page
    assert "(German)" not in page


def staff_with(client, *codenames):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="personalization",
                                                        codename__in=codenames))
    client.force_login(user)
    return client


def test_staff_who_may_view_a_campaign_see_its_variants_read_only(client):
    """The variants are the campaign's content: "view campaign" shows them (before, only the
    variant model's own permissions did, which no role grants)."""
    campaign = CampaignFactory(variants=("Warm paws, cold days",))
    variant = campaign.variants.get()
    variant.translations = {"nl": {"headline": "Warme poten, koude dagen"}}
    variant.save()
    viewer = staff_with(client, "view_campaign")

    page = viewer.get(f"/admin/personalization/campaign/{campaign.pk}/change/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "Warm paws, cold days" in html
    assert "<strong>Headline (Nederlands)</strong>: Warme poten, koude dagen" in html
    assert 'name="variants-0-headline"' not in html  # shown, not editable
    assert 'name="variants-0-headline__nl"' not in html


def test_staff_who_may_change_a_campaign_edit_its_variants(client):
    campaign = CampaignFactory(slot=SlotFactory(kind="banner"), variants=("Warm paws",),
                               status="draft")
    variant = campaign.variants.get()
    editor = staff_with(client, "view_campaign", "change_campaign")
    url = f"/admin/personalization/campaign/{campaign.pk}/change/"
    assert 'name="variants-0-headline"' in editor.get(url).content.decode()

    data = campaign_data(campaign.slot, [(BannerVariant, {
        "id": str(variant.pk), "campaign": str(campaign.pk), "name": variant.name,
        "weight": "1", "headline": "Cold paws, warm boots", "link": "/c/winter/",
        "cta_label": "Shop now"})], name=campaign.name)
    data["variants-INITIAL_FORMS"] = "1"
    response = editor.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert BannerVariant.objects.get(pk=variant.pk).headline == "Cold paws, warm boots"


def test_staff_who_may_add_a_campaign_give_it_variants(client, banner_slot):
    editor = staff_with(client, "view_campaign", "add_campaign")

    response = editor.post(ADD_URL, campaign_data(banner_slot, [BANNER]))

    assert response.status_code == 302, response.content.decode()[:3000]
    assert Campaign.objects.get().variants.get().headline == "Warm paws, cold days"
