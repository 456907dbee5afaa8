"""The event table's monthly partitions on PostgreSQL: the conversion of a populated table,
months made ahead, and retention dropping whole months."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from personalization.models import Event, RecordedOrder
from personalization.models.partitions import (
    create_partition,
    ensure_partitions,
    partition_for,
    partitions,
)
from personalization.privacy.retention import purge_expired_data
from tests.factories import EventFactory

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif("connection.vendor != 'postgresql'",
                                 reason="partitions are PostgreSQL's")]

BEFORE = [("personalization", "0027_lead_popup_image_alt")]
AFTER = [("personalization", "0028_partitions_event_by_month")]


def partition_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                       " WHERE i.inhparent = 'personalization_event'::regclass")
        return {name for (name,) in cursor.fetchall()}


def partition_of(event: Event) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM personalization_event WHERE id = %s",
                       [event.pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_the_migration_converts_a_populated_table_without_losing_a_row():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        OldEvent = old.get_model("personalization", "Event")
        now = datetime.now(UTC)
        OldEvent.objects.bulk_create(
            [OldEvent(visitor_id=uuid.uuid4(), type="impression",
                      created_at=now - timedelta(days=40 * n)) for n in range(5)]
            + [OldEvent(visitor_id=uuid.uuid4(), type="conversion", value=10,
                        reference="ORDER-1", created_at=now - timedelta(days=3))])
        ids = sorted(OldEvent.objects.values_list("id", flat=True))
        with connection.cursor() as cursor:
            cursor.execute("SELECT relkind FROM pg_class WHERE relname = 'personalization_event'")
            assert cursor.fetchone()[0] == "r"  # a plain table before
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
    finally:
        MigrationExecutor(connection).migrate(
            MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert sorted(Event.objects.values_list("id", flat=True)) == ids
    names = partition_names()
    oldest = now - timedelta(days=160)
    assert partition_for(date(oldest.year, oldest.month, 1)).name in names
    assert "personalization_event_default" in names
    assert len(partitions()) >= 6 + 3  # the rows' months, then three ahead
    with connection.cursor() as cursor:  # the primary key holds the partition key
        cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = 'personalization_event'::regclass AND contype = 'p'")
        assert cursor.fetchone()[0] == "PRIMARY KEY (id, created_at)"
    # New events go on numbering after the copied ones; the order is known as recorded.
    new = EventFactory(type="click")
    assert new.pk > ids[-1]
    assert partition_of(new) == partition_for(date(now.year, now.month, 1)).name
    assert list(RecordedOrder.objects.values_list("reference", flat=True)) == ["ORDER-1"]


def test_partitions_are_made_ahead_once():
    now = datetime(2031, 5, 10, tzinfo=UTC)
    made = ensure_partitions(now)
    assert made == [f"personalization_event_y2031m{m:02d}" for m in (5, 6, 7, 8)]
    assert ensure_partitions(now) == []
    event = EventFactory(created_at=datetime(2031, 6, 30, 23, 59, tzinfo=UTC))
    assert partition_of(event) == "personalization_event_y2031m06"


def test_the_nightly_task_takes_the_partitioned_tables_statistics():
    """Autovacuum analyzes the partitions, never their parent: without the task's ANALYZE
    the planner has no statistics for queries across months."""
    from personalization.jobs.tasks import create_event_partitions

    EventFactory.create_batch(20)

    def parent_statistics() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_statistic WHERE starelid = "
                           "'personalization_event'::regclass AND stainherit")
            return cursor.fetchone()[0]

    assert parent_statistics() == 0
    create_event_partitions()
    assert parent_statistics() > 0


def test_a_month_made_late_takes_its_rows_from_the_default_partition():
    event = EventFactory(created_at=datetime(2033, 2, 3, tzinfo=UTC))
    assert partition_of(event) == "personalization_event_default"
    assert create_partition(date(2033, 2, 1)) is True
    assert partition_of(event) == "personalization_event_y2033m02"
    assert Event.objects.count() == 1


def test_retention_drops_the_months_past_it_and_deletes_rows_only_on_the_boundary(settings):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "EVENT_RETENTION_DAYS": 30}
    now = datetime(2030, 3, 10, tzinfo=UTC)  # cut-off: 8 February 2030
    for month in (date(2029, 12, 1), date(2030, 1, 1), date(2030, 2, 1)):
        create_partition(month)
    for day in (datetime(2029, 12, 5), datetime(2030, 1, 20), datetime(2030, 2, 1),
                datetime(2030, 2, 20), datetime(2030, 3, 9)):
        EventFactory(created_at=day.replace(tzinfo=UTC))
    with connection.cursor() as cursor:  # as at the commit of the inserts' transaction
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    expired = {p.name for p in partitions() if p.end <= datetime(2030, 2, 8, tzinfo=UTC)}
    assert {"personalization_event_y2029m12", "personalization_event_y2030m01"} <= expired
    deleted = purge_expired_data(now=now)
    # The months before January's end go whole; February's row of the 1st is deleted.
    assert deleted["event_months"] == len(expired) and deleted["events"] == 1
    assert not expired & partition_names()
    names = partition_names()
    assert "personalization_event_y2029m12" not in names
    assert "personalization_event_y2030m01" not in names
    assert "personalization_event_y2030m02" in names
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('personalization_event_y2030m01')")
        assert cursor.fetchone()[0] is None  # dropped, not only detached
    assert sorted(Event.objects.values_list("created_at__day", flat=True)) == [9, 20]


def test_every_partition_has_the_day_roll_ups_covering_index():
    # Migration 0029: on the partitioned table, so a month made later has it as well.
    create_partition(date(2034, 3, 1))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_indexdef(%s::regclass)",
                       ["personalization_event_campaign_visitor"])
        assert cursor.fetchone()[0].endswith(
            "(campaign_id, visitor_id, created_at) INCLUDE (type, value, reference, control, "
            "variant_id)")
        cursor.execute("SELECT i.indrelid::regclass::text FROM pg_inherits h "
                       "JOIN pg_index i ON i.indexrelid = h.inhrelid "
                       "WHERE h.inhparent = 'personalization_event_campaign_visitor'::regclass")
        assert {name for (name,) in cursor.fetchall()} == partition_names()
