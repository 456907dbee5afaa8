"""The event table's monthly partitions on PostgreSQL: made ahead, dropped when expired.

PostgreSQL's declarative partitioning (``PARTITION BY RANGE (created_at)``): one partition a
calendar month in UTC, named ``<table>_yYYYYmMM``, and a default partition that catches
what no month holds (an event dated before the oldest partition, or after the newest when
beat did not run). On SQLite, or on a table that was never converted, every function here
does nothing and the same callers work on the plain table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import connections, transaction

from personalization.models.events import Event

#: Months made ahead of the current one, by beat (``create_event_partitions``) and by the
#: migration that converts the table.
AHEAD = 3

_NAME = re.compile(r"_y(\d{4})m(\d{2})$")


@dataclass(frozen=True)
class Partition:
    """One month's partition: rows with ``start <= created_at < end``."""

    name: str
    start: datetime
    end: datetime


def table() -> str:
    return Event._meta.db_table


def default_partition() -> str:
    return f"{table()}_default"


def month_start(moment: datetime | date) -> date:
    return date(moment.year, moment.month, 1)


def next_month(month: date, months: int = 1) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def partition_for(month: date) -> Partition:
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    following = next_month(month)
    end = datetime(following.year, following.month, 1, tzinfo=UTC)
    return Partition(f"{table()}_y{month.year:04d}m{month.month:02d}", start, end)


def is_partitioned(using: str = "default") -> bool:
    """Whether the event table is a partitioned table (never on SQLite)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)",
                       [table()])
        return cursor.fetchone() is not None


def partitions(using: str = "default") -> list[Partition]:
    """The monthly partitions, oldest first (the default partition is not among them)."""
    if not is_partitioned(using):
        return []
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                       " WHERE i.inhparent = to_regclass(%s)", [table()])
        names = [name for (name,) in cursor.fetchall()]
    found = []
    for name in names:
        if match := _NAME.search(name):
            found.append(partition_for(date(int(match[1]), int(match[2]), 1)))
    return sorted(found, key=lambda p: p.start)


def create_partition(month: date, using: str = "default") -> bool:
    """Make the partition of ``month`` unless it exists; returns whether it was made.

    Rows of that month already in the default partition are moved into it, in the same
    transaction (PostgreSQL refuses a partition whose rows sit in the default one).
    """
    if not is_partitioned(using):
        return False
    part = partition_for(month)
    columns = ", ".join(f'"{f.column}"' for f in Event._meta.concrete_fields)
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [part.name])
        if cursor.fetchone()[0]:
            return False
        bounds = [part.start, part.end]
        cursor.execute(f'SELECT 1 FROM "{default_partition()}" WHERE created_at >= %s'
                       " AND created_at < %s LIMIT 1", bounds)
        stray = cursor.fetchone() is not None
        if stray:
            cursor.execute(
                f"CREATE TEMPORARY TABLE pz_moving AS WITH moved AS ("
                f'DELETE FROM "{default_partition()}" WHERE created_at >= %s AND '
                f"created_at < %s RETURNING {columns}) SELECT * FROM moved", bounds)
        cursor.execute(f'CREATE TABLE "{part.name}" PARTITION OF "{table()}" '
                       "FOR VALUES FROM (%s) TO (%s)", bounds)
        if stray:
            cursor.execute(f'INSERT INTO "{table()}" ({columns}) SELECT {columns} '
                           "FROM pz_moving")
            cursor.execute("DROP TABLE pz_moving")
    return True


def ensure_partitions(now: datetime | None = None, ahead: int = AHEAD,
                      using: str = "default") -> list[str]:
    """Make this month's partition and the next ``ahead`` months' (idempotent); returns
    the names of those made."""
    from django.utils import timezone

    month = month_start((now or timezone.now()).astimezone(UTC))
    made = []
    for step in range(ahead + 1):
        if create_partition(next_month(month, step), using=using):
            made.append(partition_for(next_month(month, step)).name)
    return made


def drop_partitions_before(cutoff: datetime, using: str = "default") -> list[Partition]:
    """Drop the monthly partitions whose every row is older than ``cutoff``."""
    dropped = [p for p in partitions(using) if p.end <= cutoff]
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        for part in dropped:
            cursor.execute(f'DROP TABLE "{part.name}"')
    return dropped


def analyze_partitioned(using: str = "default") -> bool:
    """Fresh statistics of the partitioned event table as a whole (PostgreSQL). Autovacuum
    analyzes each partition but never the partitioned table itself, whose statistics the
    planner reads for queries across months; PostgreSQL's documentation asks for a
    periodic manual ANALYZE. Returns whether it ran."""
    if not is_partitioned(using):
        return False
    with connections[using].cursor() as cursor:
        cursor.execute(f'ANALYZE "{table()}"')
    return True
