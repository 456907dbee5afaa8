"""Refreshing computed segments: the rules as one SQL statement, the membership swapped
atomically.

One refresh of one segment is one transaction:

1. the new members are computed once, in the database, into a temporary table
   (``INSERT INTO tmp SELECT ... FROM customers WHERE <rules as subqueries>``);
2. members no longer matching are deleted, new ones inserted, both set-based against it;
3. the segment's counts and ``last_refreshed_at`` are written.

Readers in other transactions see the old membership until the commit, then the new one.
No customer passes through Python, so memory does not grow with the number of customers
(except for the changed ids handed to ``segment_entered``/``segment_exited`` receivers, and
only when such receivers are connected: 8 bytes per changed customer).
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime

from django.core.exceptions import EmptyResultSet
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext

from personalization.engine import profiles
from personalization.engine.sets import CustomerSet
from personalization.models import Segment, SegmentMembership
from personalization.signals import segment_entered, segment_exited

logger = logging.getLogger(__name__)

#: Receivers of segment_entered / segment_exited get the user ids in chunks of this size.
SIGNAL_CHUNK = 10_000


@dataclass(frozen=True)
class RefreshResult:
    segment_id: int
    members: int
    entered: int
    exited: int
    seconds: float
    #: Something the merchant should know (the segment has no rules), or "".
    warning: str = ""

    def as_dict(self) -> dict[str, int | float | str]:
        return asdict(self)


def segment_ids_to_refresh() -> list[int]:
    """Enabled computed segments, the ones beat refreshes."""
    return list(Segment.objects.filter(kind=Segment.Kind.COMPUTED, enabled=True)
                .order_by("pk").values_list("pk", flat=True))


def refresh_segment(segment_id: int, now: datetime | None = None, *,
                    log: bool = True) -> RefreshResult:
    """Recompute a computed segment's membership from its rules and swap it in atomically.

    Sends ``segment_entered`` and ``segment_exited`` (``segment``, ``user_ids``: a frozenset
    of at most :data:`SIGNAL_CHUNK` ids, once per chunk) after the commit, and invalidates
    the cached profile snapshots so known visitors see their new memberships.
    """
    started = timezone.now()
    now = now or started
    db = router.db_for_write(SegmentMembership)
    connection = connections[db]
    qn = connection.ops.quote_name
    membership = qn(SegmentMembership._meta.db_table)
    tmp = qn(f"pz_refresh_{segment_id}")
    collect = segment_entered.has_listeners(Segment) or segment_exited.has_listeners(Segment)
    entered_ids, exited_ids = array("q"), array("q")
    with transaction.atomic(using=db):
        # Locks the segment row: two refreshes of one segment run one after the other.
        segment = Segment.objects.using(db).select_for_update().get(pk=segment_id)
        if segment.kind != Segment.Kind.COMPUTED:
            raise ValueError(f"Segment {segment.slug!r} is live; only computed segments "
                             "are refreshed.")
        members = CustomerSet(now=now).members(segment).order_by().distinct()
        try:
            select_sql, params = members.query.get_compiler(db).as_sql()
        except EmptyResultSet:  # the rules can match nobody (no rules): no members
            select_sql, params = "", ()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {tmp}")
            cursor.execute(f"CREATE TEMPORARY TABLE {tmp} (user_id bigint NOT NULL)")
            if select_sql:
                cursor.execute(f"INSERT INTO {tmp} (user_id) {select_sql}", params)
            postgres = connection.vendor == "postgresql"
            if postgres:
                cursor.execute(f"ANALYZE {tmp}")  # temporary tables get no autovacuum
                # The membership table's statistics are often stale (empty before the first
                # refresh): a nested-loop plan would rescan it once per customer. Hash joins
                # keep both statements linear whatever the statistics say.
                cursor.execute("SET LOCAL enable_nestloop = off")
            cursor.execute(f"SELECT COUNT(*) FROM {tmp}")
            member_count = cursor.fetchone()[0]
            returning = " RETURNING user_id" if collect else ""
            cursor.execute(
                f"DELETE FROM {membership} WHERE segment_id = %s AND NOT EXISTS "
                f"(SELECT 1 FROM {tmp} t WHERE t.user_id = {membership}.user_id){returning}",
                [segment_id])
            exited = _drain(cursor, exited_ids) if collect else cursor.rowcount
            cursor.execute(
                f"INSERT INTO {membership} (segment_id, user_id, since) "
                f"SELECT %s, t.user_id, %s FROM {tmp} t WHERE NOT EXISTS "
                f"(SELECT 1 FROM {membership} m WHERE m.segment_id = %s "
                f"AND m.user_id = t.user_id){returning}",
                [segment_id, now, segment_id])
            entered = _drain(cursor, entered_ids) if collect else cursor.rowcount
            cursor.execute(f"DROP TABLE {tmp}")
            if postgres:
                cursor.execute("SET LOCAL enable_nestloop TO DEFAULT")
        Segment.objects.using(db).filter(pk=segment_id).update(
            last_refreshed_at=now, member_count=member_count, entered_count=entered,
            exited_count=exited)
        transaction.on_commit(profiles.bump_memberships, using=db)
        if collect:
            transaction.on_commit(
                lambda: _announce(segment, entered_ids, exited_ids), using=db)
    seconds = (timezone.now() - started).total_seconds()
    warning = ""
    if not segment.rules.exists():
        warning = gettext("“%(name)s” has no rules, so it matches nobody: its membership is "
                          "now empty. Add a rule to define who is in it.") % {
                              "name": segment.name}
        logger.warning("Refreshed segment %s, which has no rules: it matches nobody",
                       segment.slug)
    if log:  # a caller with a report of its own (seed_demo) says it there
        logger.info("Refreshed segment %s: %s members (+%s −%s) in %.2fs", segment.slug,
                    member_count, entered, exited, seconds)
    return RefreshResult(segment_id, member_count, entered, exited, seconds, warning)


def _drain(cursor: object, into: array) -> int:
    while rows := cursor.fetchmany(SIGNAL_CHUNK):  # type: ignore[attr-defined]
        into.extend(row[0] for row in rows)
    return len(into)


def _chunks(ids: array) -> Iterator[frozenset[int]]:
    for start in range(0, len(ids), SIGNAL_CHUNK):
        yield frozenset(ids[start:start + SIGNAL_CHUNK])


def _announce(segment: Segment, entered: array, exited: array) -> None:
    for chunk in _chunks(exited):
        segment_exited.send(sender=Segment, segment=segment, user_ids=chunk)
    for chunk in _chunks(entered):
        segment_entered.send(sender=Segment, segment=segment, user_ids=chunk)
