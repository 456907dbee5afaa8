"""A slot a template uses that no slot row defines shows its default; it is logged once per
process (with DEBUG) and listed in the admin's slots, without a query on the page."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from personalization.testing import give_consent
from personalization.touchpoints import unknown_slots
from tests.factories import SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]

PAGE = "/_pz/slots/"  # hero, side, footer, popup, greeting
LOGGER = "personalization.touchpoints.unknown_slots"


@pytest.fixture(autouse=True)
def _fresh():
    unknown_slots.reset_local()
    yield
    unknown_slots.reset_local()


@pytest.fixture
def configured():
    """Every slot of the page but "side" and "footer" exists."""
    for key, kind in (("hero", "banner"), ("popup", "popup"), ("greeting", "text")):
        SlotFactory(key=key, kind=kind)


def test_an_unknown_slot_is_logged_once_per_process_in_debug(configured, settings, caplog):
    settings.DEBUG = True
    visitor = give_consent(Client())

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        first = visitor.get(PAGE)
        visitor.get(PAGE)

    assert first.status_code == 200 and "Default side" in first.content.decode()
    logged = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert logged == [
        "Slot 'side' is used in a template but is not configured: it shows its default "
        "content. Create it in the admin (Personalization > Slots) or correct the template.",
        "Slot 'footer' is used in a template but is not configured: it shows its default "
        "content. Create it in the admin (Personalization > Slots) or correct the template."]


def test_without_debug_nothing_is_logged(configured, caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        give_consent(Client()).get(PAGE)

    assert [r for r in caplog.records if r.name == LOGGER] == []


def test_a_warm_page_with_unknown_slots_makes_no_query(configured, django_assert_num_queries):
    visitor = give_consent(Client())
    visitor.get(PAGE)

    with django_assert_num_queries(0):
        assert visitor.get(PAGE).status_code == 200


def test_the_admin_lists_the_unknown_slots_with_a_link_to_create_them(configured,
                                                                      admin_client):
    give_consent(Client()).get(PAGE)

    page = admin_client.get("/admin/personalization/slot/").content.decode()

    assert "Templates use slots that are not configured" in page
    assert '<a href="/admin/personalization/slot/add/?key=side&amp;name=side">side</a>' in page
    assert "?key=footer" in page and "?key=hero" not in page
    add = admin_client.get("/admin/personalization/slot/add/?key=side&name=side")
    assert 'value="side"' in add.content.decode()


def test_a_slot_created_afterwards_leaves_the_list(configured, admin_client):
    give_consent(Client()).get(PAGE)
    SlotFactory(key="side")
    SlotFactory(key="footer")

    page = admin_client.get("/admin/personalization/slot/").content.decode()

    assert "not configured" not in page


def test_staff_who_may_only_view_slots_see_the_keys_without_links(configured, client):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_slot"))
    give_consent(Client()).get(PAGE)
    client.force_login(viewer)

    page = client.get("/admin/personalization/slot/").content.decode()

    assert "Templates use slots that are not configured" in page
    assert "side" in page and "slot/add/?key=side" not in page
