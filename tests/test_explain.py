"""``manage.py explain``: what a customer or visitor would see in each slot, and why."""

from __future__ import annotations

import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from personalization.privacy.consent import record_choices
from personalization.rules import LoggedInRule, PathRule
from tests.factories import CampaignFactory, SegmentFactory, SlotFactory, UserFactory

pytestmark = pytest.mark.django_db


def explain(*args: str) -> str:
    out = StringIO()
    call_command("explain", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def shop():
    """A hero slot with a campaign for logged-in customers, and an empty sidebar slot."""
    hero = SlotFactory(key="home_hero")
    SlotFactory(key="sidebar")
    members = SegmentFactory(slug="members", rules=[LoggedInRule()])
    campaign = CampaignFactory(slot=hero, name="Members' welcome", segments=(members,),
                               variants=("Welcome back",), priority=5)
    return campaign


def test_customer_in_the_audience_gets_the_campaign_and_reasons(shop):
    UserFactory(username="mia")

    output = explain("--user", "mia", "--slot", "home_hero")

    variant = shop.variants.get()
    assert "Customer mia" in output
    assert "Slot home_hero (banner)" in output
    assert (f"Shows: campaign 'Members' welcome' (#{shop.pk}), variant 'Welcome back' "
            f"(#{variant.pk})") in output
    assert ("    - campaign 'Members' welcome' (priority 5): visitor is in segment 'Members' "
            "(all rules match)") in output
    assert "    - variant 'Welcome back'" in output
    assert "Slot sidebar" not in output


def test_every_slot_is_explained_without_slot_option(shop):
    UserFactory(username="mia")

    output = explain("--user", "mia")

    assert "Slot home_hero" in output
    assert "Slot sidebar" in output
    assert "- no live campaign on this slot" in output


def test_visitor_outside_the_audience_gets_the_default(shop):
    output = explain("--visitor", str(uuid.uuid4()), "--slot", "home_hero")

    assert "Anonymous visitor" in output
    assert "Shows: default content" in output
    assert "skipped, not in its audience" in output
    assert "- showing the default content" in output


def test_simulated_segment_membership_and_path(shop):
    hero = shop.slot
    SegmentFactory(slug="cat-pages", rules=[PathRule(pattern="^/c/cat-")])
    CampaignFactory(slot=hero, name="Cat lovers", segments=(), variants=("Cats",), priority=1)

    as_member = explain("--visitor", str(uuid.uuid4()), "--segment", "members")
    on_cat_page = explain("--path", "/c/cat-litter/", "--slot", "home_hero")

    assert "campaign 'Members' welcome'" in as_member.split("Shows:")[1].splitlines()[0]
    assert "Anonymous visitor" in on_cat_page and "on /c/cat-litter/" in on_cat_page
    assert "campaign 'Cat lovers'" in on_cat_page.split("Shows:")[1].splitlines()[0]


def test_holdout_is_shown_as_control(shop):
    shop.holdout_percent = 100
    shop.save()
    mia = UserFactory(username="mia")
    record_choices(choices={"personalization": True, "analytics": True}, source="signup",
                   user=mia)

    output = explain("--user", "mia", "--slot", "home_hero")

    assert f"Shows: default content: control (holdout) of campaign 'Members' welcome' " \
           f"(#{shop.pk})" in output
    assert "held out as control (100% holdout)" in output


def test_customer_without_consent_is_in_no_experiment(shop):
    shop.holdout_percent = 100
    shop.save()
    UserFactory(username="noor")  # never agreed to anything

    output = explain("--user", "noor", "--slot", "home_hero")

    assert "held out" not in output
    assert "the visitor is not remembered" in output


def test_unknown_user_is_a_clear_error(shop):
    with pytest.raises(CommandError, match="No customer with the username 'ghost'"):
        explain("--user", "ghost")


@pytest.mark.parametrize("args, message", [
    (("--slot", "nowhere"), "Unknown slot 'nowhere'. Known slots: home_hero, sidebar"),
    (("--segment", "nobody"), "Unknown segment: nobody"),
    (("--visitor", "not-a-uuid"), "is not a visitor id"),
])
def test_unknown_names_are_clear_errors(shop, args, message):
    with pytest.raises(CommandError, match=message):
        explain(*args)


def test_the_path_option_takes_the_query_string_and_utm_parameters(shop):
    from personalization.rules import QueryParameterRule, UTMRule

    promo = SegmentFactory(slug="promo", rules=[QueryParameterRule(name="promo", value="cats")])
    mail = SegmentFactory(slug="mail", rules=[UTMRule(parameter="source", values=["newsletter"])])
    CampaignFactory(slot=shop.slot, name="Promo", segments=(promo,), variants=("Promo",),
                    priority=90)
    CampaignFactory(slot=shop.slot, name="Mail", segments=(mail,), variants=("Mail",), priority=80)

    def shown(url):
        output = explain("--visitor", str(uuid.uuid4()), "--path", url, "--slot", "home_hero")
        return output.split("Shows:")[1].splitlines()[0]

    assert "campaign 'Promo'" in shown("/?promo=cats")
    assert "campaign 'Mail'" in shown("/c/cat-litter/?utm_source=newsletter&x=1")
    assert "campaign 'Promo'" not in shown("/") and "campaign 'Mail'" not in shown("/")
    assert "on /?promo=cats" in explain("--path", "/?promo=cats", "--slot", "home_hero")


def test_a_new_visitor_and_a_segments_members_are_explained_outside_the_global_holdout(
        shop, settings):
    """With nobody given, explain makes up a visitor, and with --segment it stands for the
    segment's members: neither is a real visitor of the holdout's share, so the merchant
    sees the campaigns (at 95 % held out, 19 runs in 20 said "global holdout" before)."""
    from personalization.engine.decide import held_out

    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "GLOBAL_HOLDOUT_PERCENT": 95}
    welcome = CampaignFactory(slot=shop.slot, name="Everybody's welcome", priority=1)

    for _run in range(5):
        assert f"Shows: campaign 'Everybody's welcome' (#{welcome.pk})" in explain(
            "--slot", "home_hero")
        assert f"Shows: campaign 'Members' welcome' (#{shop.pk})" in explain(
            "--slot", "home_hero", "--segment", "members")
    # A real visitor in the holdout is shown as he is.
    inside = next(vid for vid in (str(uuid.uuid4()) for _ in range(1000)) if held_out(vid))
    assert "in the global holdout" in explain("--slot", "home_hero", "--visitor", inside)


def test_the_visitors_language_picks_a_campaign_for_readers_of_it(shop):
    from personalization.rules import LanguageRule

    dutch = SegmentFactory(slug="dutch", rules=[LanguageRule(languages=["nl"])])
    hallo = CampaignFactory(slot=shop.slot, name="Hallo", segments=(dutch,), priority=9)

    assert f"Shows: campaign 'Hallo' (#{hallo.pk})" in explain(
        "--slot", "home_hero", "--language", "nl-BE")
    assert "Shows: campaign 'Hallo'" not in explain("--slot", "home_hero", "--language", "en")


def test_a_category_or_product_path_is_explained_with_its_category(shop):
    """No view runs for ``--path``: the demo's adapter finds the category in the URL, as
    the storefront's category and product pages note it."""
    from personalization.rules import CurrentCategoryRule
    from tests.factories import CategoryFactory, ProductFactory

    litter = CategoryFactory(name="Cat litter", slug="cat-litter")
    scoop = ProductFactory(name="Litter scoop", slug="litter-scoop", category=litter)
    viewers = SegmentFactory(slug="litter-viewers",
                             rules=[CurrentCategoryRule(category_ids=[str(litter.pk)])])
    CampaignFactory(slot=shop.slot, name="Scoop", segments=(viewers,), priority=9)

    for path in ("/c/cat-litter/", f"/p/{scoop.slug}/"):
        assert "Shows: campaign 'Scoop'" in explain("--slot", "home_hero", "--path", path)
    assert "Shows: campaign 'Scoop'" not in explain("--slot", "home_hero", "--path", "/")


def test_the_campaigns_below_the_winner_are_named_too(shop):
    """A merchant asking why a customer does not get a campaign finds it, below the one
    that won."""
    UserFactory(username="mia")
    CampaignFactory(slot=shop.slot, name="Spring sale", priority=1)

    output = explain("--user", "mia", "--slot", "home_hero")

    assert "Shows: campaign 'Members' welcome'" in output
    assert ("    - campaign 'Spring sale' (priority 1): not reached, a campaign above it won"
            in output)
    assert output.index("Members' welcome' (priority 5)") < output.index("'Spring sale'")
