"""Reports and dashboards read from a replica when REPORTS_DATABASE names one; decisions,
events, orders and the jobs keep to the primary. The replica is a test mirror of the
default database (tests/settings.py), so it sees what the test committed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection, connections, router
from django.test import Client
from django.test.utils import CaptureQueriesContext

from personalization.measurement.events import flush_events
from personalization.measurement.experiments import sync_run
from personalization.measurement.kpis import take_snapshots
from personalization.measurement.rollups import roll_up
from personalization.models import Campaign, DailyRollup
from personalization.testing import give_consent
from tests.factories import CampaignFactory, ProductFactory, SlotFactory

pytestmark = pytest.mark.urls("tests.urls")
BOTH = ["default", "replica"]


@pytest.fixture
def replica(settings):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "REPORTS_DATABASE": "replica"}


def tables(captured: CaptureQueriesContext) -> set[str]:
    """The app's tables the captured queries name."""
    found = set()
    for query in captured.captured_queries:
        for table in ("personalization_dailyrollup", "personalization_event",
                      "personalization_kpisnapshot", "personalization_campaign"):
            if f'"{table}"' in query["sql"]:
                found.add(table)
    return found


def campaign(key: str, holdout: int, *variants: str) -> Campaign:
    return CampaignFactory(name=f"{key} test", slot=SlotFactory(key=key, name=key.title()),
                           holdout_percent=holdout, cost=Decimal("50"), variants=variants)


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_reports_read_the_replica_and_the_shop_the_primary(replica, admin_client,
                                                          django_capture_on_commit_callbacks):
    experiment = campaign("hero", 34, "Cats", "Dogs")
    run = sync_run(experiment)
    plain = campaign("side", 0, "Only")  # no experiment: its figures come from raw events
    product = ProductFactory(price=Decimal("12.50"), stock=100)

    with CaptureQueriesContext(connections["replica"]) as on_replica:
        for n in range(12):  # decisions, exposures, an order's conversion
            visitor = give_consent(Client())
            assert visitor.get("/_pz/slots/").status_code == 200
            if n % 4 == 0:
                visitor.post("/cart/add/", {"product_id": product.pk, "quantity": 1})
                with django_capture_on_commit_callbacks(execute=True):
                    visitor.post("/checkout/", {"action": "place", "name": "A",
                                                "email": "a@x.nl", "address": "Straat 1",
                                                "discount_code": ""})
        flush_events()
        roll_up(run)
        take_snapshots()
    assert on_replica.captured_queries == []

    report = f"/admin/personalization/campaign/{experiment.pk}/report/"
    with (CaptureQueriesContext(connections["replica"]) as on_replica,
          CaptureQueriesContext(connection) as on_primary):
        rows = admin_client.get(report + "?format=csv").content.decode().splitlines()
        figures = admin_client.get(f"/admin/personalization/campaign/{plain.pk}/report/")
    assert sum(int(r.split(",")[2]) for r in rows[1:]) == 12  # every visitor, from the replica
    assert "Variant &#x27;Only&#x27;" in figures.content.decode()
    assert tables(on_replica) == {"personalization_dailyrollup", "personalization_event"}
    assert "personalization_dailyrollup" not in tables(on_primary)
    assert "personalization_event" not in tables(on_primary)

    with (CaptureQueriesContext(connections["replica"]) as on_replica,
          CaptureQueriesContext(connection) as on_primary):
        assert admin_client.get("/admin/personalization/campaign/kpis/").status_code == 200
    # Whole weeks from the snapshots on the replica; the week under way live on the primary.
    assert tables(on_replica) == {"personalization_kpisnapshot"}
    assert "personalization_event" in tables(on_primary)

    # A row read from the replica is written to the primary, never to the replica.
    rollup = DailyRollup.objects.filter(run=run).first()
    with (CaptureQueriesContext(connections["replica"]) as on_replica,
          CaptureQueriesContext(connection) as on_primary):
        rollup.clicks = 99
        rollup.save()
    assert on_replica.captured_queries == []
    assert on_primary.captured_queries[-1]["sql"].startswith("UPDATE")


@pytest.mark.django_db(databases=BOTH)
def test_without_a_reports_database_the_reports_read_the_primary(admin_client):
    experiment = campaign("hero", 34, "Cats", "Dogs")
    sync_run(experiment)
    with (CaptureQueriesContext(connections["replica"]) as on_replica,
          CaptureQueriesContext(connection) as on_primary):
        assert admin_client.get(
            f"/admin/personalization/campaign/{experiment.pk}/report/").status_code == 200
        assert admin_client.get("/admin/personalization/campaign/kpis/").status_code == 200
    assert on_replica.captured_queries == []
    assert {"personalization_dailyrollup", "personalization_kpisnapshot"} <= tables(on_primary)


def test_no_migration_runs_on_the_replica(replica):
    assert router.allow_migrate("replica", "personalization", model_name="event") is False
    assert router.allow_migrate("default", "personalization", model_name="event") is True


def test_a_reports_database_that_is_not_configured_stops_start_up(settings):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "REPORTS_DATABASE": "replcia"}
    with pytest.raises(SystemCheckError, match="personalization.E055") as error:
        call_command("check")
    assert "'replcia' is not in settings.DATABASES" in str(error.value)


def test_a_reports_database_without_the_router_stops_start_up(settings, replica):
    settings.DATABASE_ROUTERS = []
    with pytest.raises(SystemCheckError, match="personalization.E056") as error:
        call_command("check")
    assert "personalization.routers.ReportsRouter" in str(error.value)


def test_a_configured_replica_with_the_router_passes(replica):
    call_command("check")
