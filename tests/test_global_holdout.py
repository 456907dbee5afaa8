"""The global holdout: a sticky share of visitors sees no personalization anywhere, and the
program's figures compare them with everybody else."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from personalization.engine.decide import choose, in_global_holdout
from personalization.measurement.events import flush_events
from personalization.measurement.orders import record_conversion
from personalization.measurement.rollups import roll_up
from personalization.models import DailyRollup, Event
from personalization.testing import give_consent, make_context
from tests.factories import BannerVariantFactory, CampaignFactory, SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]


@pytest.fixture
def hero():
    campaign = CampaignFactory(name="Hero", status="live", slot=SlotFactory(
        key="hero", name="Hero", kind="banner"), variants=())
    BannerVariantFactory(campaign=campaign, headline="Welcome back")
    return campaign


def holdout(settings, percent):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "GLOBAL_HOLDOUT_PERCENT": percent}


def visitor(n):
    return make_context(visitor_id=f"00000000-0000-0000-0000-{n:012d}")


def test_a_share_of_visitors_sees_every_slot_default_and_always_the_same_ones(settings, hero):
    holdout(settings, 20)
    held = [n for n in range(1000) if choose("hero", visitor(n)).variant is None]
    assert 150 < len(held) < 250  # about a fifth
    assert held == [n for n in range(1000) if in_global_holdout(visitor(n))]
    decision = choose("hero", visitor(held[0]))
    assert decision.campaign is None
    assert "in the global holdout (20% of visitors see no personalization)" in \
        decision.reasons[0]
    holdout(settings, 0)
    assert choose("hero", visitor(held[0])).variant is not None


def test_a_visit_is_recorded_once_with_the_visitors_side(settings, hero):
    holdout(settings, 100)
    client = give_consent(Client())
    for _ in range(3):
        assert "Welcome back" not in client.get("/_pz/slots/").content.decode()
    flush_events()
    [visit] = Event.objects.filter(type="visit")
    assert visit.control and visit.campaign is None


def test_the_program_rollup_compares_held_out_and_personalized_visitors(settings, hero):
    holdout(settings, 50)
    buyers = {}
    for _ in range(40):
        client = give_consent(Client())
        response = client.get("/_pz/slots/")
        vid = response.wsgi_request.visitor.visitor_id
        buyers[vid] = in_global_holdout(response.wsgi_request.visitor)
    flush_events()
    anna = get_user_model().objects.create_user("anna")
    spent = {True: Decimal(0), False: Decimal(0)}
    for i, (vid, held) in enumerate(list(buyers.items())[:10]):
        record_conversion(user=anna if i == 0 else None, visitor_id=vid,
                          value=Decimal("20.00") + i, reference=f"ORDER-{i}")
        spent[held] += Decimal("20.00") + i
    record_conversion(user=None, visitor_id=list(buyers)[0], value=Decimal("20.00"),
                      reference="ORDER-0")  # the same order again: counted once
    roll_up(None)
    rows = DailyRollup.objects.filter(run=None, segment=None)
    for held in (True, False):
        mine = [r for r in rows if r.control == held]
        assert sum(r.visitors for r in mine) == sum(1 for h in buyers.values() if h == held)
        assert sum(r.revenue for r in mine) == spent[held]


@pytest.mark.parametrize("percent", [-1, 101, "5", True])
def test_a_share_outside_zero_to_a_hundred_is_refused(settings, percent):
    holdout(settings, percent)
    with pytest.raises(SystemCheckError, match="personalization.E010"):
        call_command("check")
