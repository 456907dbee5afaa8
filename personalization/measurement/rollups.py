"""Daily rollups of experiment runs: one set-based statement per run, idempotent.

For each run the statement finds every visitor's first exposure in the run (his canonical
id: a device's id that was linked to a customer's profile counts as the customer), his arm
then, whether he was ever exposed to another arm, his orders and revenue attributed to the
campaign within the attribution window after that first exposure, and his clicks; it sums
them per day of first exposure and arm, once for everybody and once per computed segment
the visitor's customer is in now (segment membership as of its last refresh), with each
visitor's revenue in the PRE_PERIOD_DAYS before the run (CUPED's covariate). Reports read
these rows, never the raw events.

A run is rolled up whole once (``roll_up``); after that, by day (``roll_up_day``): the
day's exposures give its visitors, and only those visitors' events are read (by their ids,
so on PostgreSQL only the partitions holding them), so a day costs the same however long
the history. ``roll_up_all`` rolls up again the days whose visitors have events recorded
(``Event.ingested_at``) since the run's ``rolled_up_to``: late events, and conversions
coming in within the window, are picked up. Either way a day's rows are replaced in one
transaction, so rolling up again gives the same rows.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.utils import timezone

from personalization.conf import app_settings
from personalization.engine.request_facts import store_timezone
from personalization.models import (
    Campaign,
    DailyRollup,
    Event,
    ExperimentRun,
    SegmentMembership,
    VisitorAlias,
    VisitorProfile,
)

_SQL = """
WITH {scope} ev AS (
    SELECT COALESCE(p.visitor_id, e.visitor_id) AS unit, e.type, e.created_at, e.value,
           e.reference, CASE WHEN e.control THEN 1 ELSE 0 END AS control, e.variant_id,
           CASE WHEN {exposed} AND e.created_at < %(end)s THEN 1 ELSE 0 END AS exposure
    FROM {event} e
    LEFT JOIN {alias} a ON a.alias = e.visitor_id
    LEFT JOIN {profile} p ON p.id = a.profile_id
    WHERE ({campaign}{goal}) AND e.created_at >= %(start)s AND e.created_at < %(until)s
          {only_units}
), marked AS (
    SELECT unit, type, created_at, value, reference, exposure,
           MIN(CASE WHEN exposure = 1 THEN created_at END) OVER w AS first_at,
           FIRST_VALUE(control) OVER ordered AS first_control,
           FIRST_VALUE(variant_id) OVER ordered AS first_variant,
           MIN(CASE WHEN exposure = 1 THEN
               CASE WHEN control = 1 THEN -1 ELSE COALESCE(variant_id, 0) END END) OVER w
               AS low_arm,
           MAX(CASE WHEN exposure = 1 THEN
               CASE WHEN control = 1 THEN -1 ELSE COALESCE(variant_id, 0) END END) OVER w
               AS high_arm
    FROM ev
    WINDOW w AS (PARTITION BY unit),
           ordered AS (PARTITION BY unit ORDER BY exposure DESC, created_at, control,
                       variant_id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
), per_unit AS (
    SELECT unit, MIN(first_at) AS first_at, MIN(first_control) AS control,
           MIN(first_variant) AS variant_id, MAX(high_arm) - MIN(low_arm) AS spread,
           COUNT(DISTINCT CASE WHEN type = 'conversion' AND created_at >= first_at
                 AND created_at <= {window_end} THEN reference END) AS orders,
           COALESCE(SUM(CASE WHEN type = 'conversion' AND created_at >= first_at
                        AND created_at <= {window_end} THEN value END), 0) AS revenue,
           COUNT(CASE WHEN type = 'click' AND created_at >= first_at
                 AND created_at <= {window_end} THEN 1 END) AS clicks,
           MAX(CASE WHEN type = 'custom' AND created_at >= first_at
               AND created_at <= {window_end} THEN 1 ELSE 0 END) AS goals,
           COALESCE(SUM(CASE WHEN type = 'custom' AND created_at >= first_at
                        AND created_at <= {window_end} THEN value END), 0) AS goal_value
    FROM marked
    WHERE first_at IS NOT NULL
    GROUP BY unit
), pre AS (
    SELECT COALESCE(p.visitor_id, e.visitor_id) AS unit, SUM(e.value) AS before
    FROM {event} e
    LEFT JOIN {alias} a ON a.alias = e.visitor_id
    LEFT JOIN {profile} p ON p.id = a.profile_id
    WHERE e.type = 'conversion' AND e.campaign_id IS NULL
          AND e.created_at >= %(pre_start)s AND e.created_at < %(start)s {only_units}
    GROUP BY COALESCE(p.visitor_id, e.visitor_id)
), units AS (
    SELECT u.unit, u.first_at, u.control, u.variant_id, u.spread, u.orders, u.revenue,
           u.clicks, u.goals, u.goal_value, COALESCE(pre.before, 0) AS before
    FROM per_unit u LEFT JOIN pre ON pre.unit = u.unit
), segmented AS (
    SELECT units.*, NULL AS segment_id FROM units
    UNION ALL
    SELECT units.*, m.segment_id FROM units
    JOIN {profile} pu ON pu.visitor_id = units.unit
    JOIN {membership} m ON m.user_id = pu.user_id
)
SELECT {day} AS day, segment_id, control, variant_id, COUNT(*),
       SUM(CASE WHEN orders > 0 THEN 1 ELSE 0 END), SUM(orders), SUM(revenue),
       SUM(revenue * revenue), SUM(clicks), SUM(CASE WHEN spread > 0 THEN 1 ELSE 0 END),
       SUM(orders * orders), SUM(revenue * orders), SUM(before), SUM(before * before),
       SUM(before * revenue), SUM(goals), SUM(goal_value), SUM(goal_value * goal_value)
FROM segmented
{only_day}
GROUP BY {day}, segment_id, control, variant_id
ORDER BY 1, 2, 3, 4
"""


def _dialect() -> dict[str, str]:
    """The two expressions that differ between PostgreSQL and SQLite."""
    if connection.vendor == "postgresql":
        return {"day": "CAST(first_at AT TIME ZONE %(tz)s AS DATE)",
                "window_end": "first_at + %(window)s * INTERVAL '1 second'"}
    # SQLite (the demo): the store's current UTC offset, and text timestamps.
    return {"day": "DATE(first_at, %(offset)s)",
            "window_end": "DATETIME(first_at, %(window_text)s)"}


#: The program-impact report looks this far back.
PROGRAM_DAYS = 90
#: CUPED's covariate: a visitor's revenue (all orders) in this many days before the run.
PRE_PERIOD_DAYS = 90


#: The visitors (canonical ids) of some events, and every id each of them used: ``{events}``
#: is a condition on the events ``e``.
_UNITS = """
units_of AS (
    SELECT DISTINCT COALESCE(p.visitor_id, e.visitor_id) AS unit
    FROM {event} e
    LEFT JOIN {alias} a ON a.alias = e.visitor_id
    LEFT JOIN {profile} p ON p.id = a.profile_id
    WHERE {events}
), ids AS (
    SELECT unit, unit AS id FROM units_of
    UNION
    SELECT units_of.unit, a.alias FROM units_of
    JOIN {profile} p ON p.visitor_id = units_of.unit
    JOIN {alias} a ON a.profile_id = p.id
),"""

#: The days of first exposure of the visitors with events recorded since ``since``.
_TOUCHED_DAYS = """
WITH {units}
by_id AS (
    SELECT e.visitor_id AS id, MIN(e.created_at) AS first_at
    FROM {event} e
    WHERE e.visitor_id IN (SELECT id FROM ids) AND {exposed} AND {campaign}
          AND e.created_at >= %(start)s AND e.created_at < %(end)s
    GROUP BY e.visitor_id
), firsts AS (
    SELECT ids.unit, MIN(by_id.first_at) AS first_at
    FROM ids JOIN by_id ON by_id.id = ids.id
    GROUP BY ids.unit
)
SELECT DISTINCT {day} FROM firsts
"""


def _tables() -> dict[str, str]:
    return {"event": Event._meta.db_table, "alias": VisitorAlias._meta.db_table,
            "profile": VisitorProfile._meta.db_table,
            "membership": SegmentMembership._meta.db_table}


def _filters(program: bool) -> tuple[str, str]:
    if program:  # visits to personalized pages, in the global holdout or not
        return "e.type = 'visit'", "e.campaign_id IS NULL"
    return "e.type = 'impression'", "e.campaign_id = %(campaign)s"


def _sql(program: bool, goal: bool = False, one_day: bool = False) -> str:
    exposed, campaign = _filters(program)
    # A goal is one of the shop's custom events (any campaign's or none): a visitor
    # reached it when he recorded it within the window after his first exposure.
    goal_filter = " OR (e.type = 'custom' AND e.reference = %(goal)s)" if goal else ""
    scope = only_units = only_day = ""
    if one_day:  # the visitors exposed that day, and only their events
        scope = _UNITS.format(events=f"{exposed} AND {campaign} AND e.created_at >= "
                              "%(day_start)s AND e.created_at < %(day_end)s", **_tables())
        only_units = "AND e.visitor_id IN (SELECT id FROM ids)"
        only_day = "WHERE first_at >= %(day_start)s AND first_at < %(day_end)s"
    return _SQL.format(exposed=exposed, campaign=campaign, goal=goal_filter, scope=scope,
                       only_units=only_units, only_day=only_day, **_tables(), **_dialect())


def _params(run: ExperimentRun | None, now: datetime) -> dict[str, object]:
    window = app_settings.CONVERSION_WINDOW_DAYS * 86400
    tz = store_timezone()
    offset_minutes = int((now.astimezone(tz).utcoffset() or timedelta()).total_seconds() // 60)
    if run is None:
        start, end, campaign = now - timedelta(days=PROGRAM_DAYS), now, None
    else:
        start, end, campaign = run.started_at, run.ended_at or now, run.campaign_id
    return {
        "campaign": campaign, "goal": run.goal_event if run is not None else "",
        "start": start, "end": end,
        # No event after this counts (the window after the last exposure): on PostgreSQL
        # the partitions after it are not read.
        "until": end + timedelta(seconds=window + 1),
        "pre_start": start - timedelta(days=PRE_PERIOD_DAYS),
        "tz": str(tz), "window": window, "window_text": f"+{window} seconds",
        "offset": f"{offset_minutes:+d} minutes",
    }


def _replace(run: ExperimentRun | None, rows: list[tuple], days: list[date] | None) -> None:
    """Store the rows; ``days`` None: instead of all the run's rows, else of those days."""
    with transaction.atomic():
        old = DailyRollup.objects.filter(run=run)
        if days is not None:
            old = old.filter(day__in=[*days, *(_date(row[0]) for row in rows)])
        old.delete()
        DailyRollup.objects.bulk_create([
            DailyRollup(run=run, day=_date(day), segment_id=segment, control=bool(control),
                        variant_id=variant_id, visitors=visitors, converters=converters,
                        orders=orders, revenue=revenue or 0, revenue_sq=float(revenue_sq or 0),
                        clicks=clicks or 0, multi_arm=multi or 0,
                        orders_sq=float(orders_sq or 0),
                        revenue_orders=float(revenue_orders or 0),
                        pre_revenue=float(pre or 0), pre_revenue_sq=float(pre_sq or 0),
                        pre_revenue_revenue=float(pre_revenue or 0), goals=goals or 0,
                        goal_value=float(goal_value or 0),
                        goal_value_sq=float(goal_value_sq or 0))
            for day, segment, control, variant_id, visitors, converters, orders, revenue,
            revenue_sq, clicks, multi, orders_sq, revenue_orders, pre, pre_sq, pre_revenue,
            goals, goal_value, goal_value_sq in rows])


def _fetch(sql: str, params: dict[str, object]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def roll_up(run: ExperimentRun | None, *, now: datetime | None = None) -> int:
    """Recompute all the run's daily rows from its events (``run`` None: the program
    against the global holdout, over the last PROGRAM_DAYS); returns how many rows it has."""
    began = timezone.now()  # the events recorded before it are read
    params = _params(run, now or began)
    rows = _fetch(_sql(run is None, bool(params["goal"])), params)
    _replace(run, rows, None)
    if run is not None:
        _mark(run, began)
    return len(rows)


def roll_up_day(run: ExperimentRun, day: date, *, now: datetime | None = None) -> int:
    """Recompute the run's rows of one day (visitors first exposed that day, store time);
    reads that day's exposures and those visitors' own events only. Returns the rows."""
    now = now or timezone.now()
    params = _params(run, now)
    tz = store_timezone()
    day_start = max(datetime.combine(day, time.min, tzinfo=tz), params["start"])
    day_end = min(datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz),
                  params["end"])
    rows = _fetch(_sql(False, bool(params["goal"]), one_day=True),
                  {**params, "day_start": day_start, "day_end": day_end})
    _replace(run, rows, [day])
    return len(rows)


#: Events recorded this long before a roll-up began are looked at again by the next one: a
#: transaction that was inserting them may have committed after the roll-up read.
LATE_MARGIN = timedelta(minutes=10)


def touched_days(run: ExperimentRun, since: datetime, *,
                 now: datetime | None = None) -> list[date]:
    """The days of first exposure of the run's visitors who have events recorded since
    ``since`` (their rows may have changed)."""
    params = _params(run, now or timezone.now())
    exposed, campaign = _filters(False)
    goal = " OR (e.type = 'custom' AND e.reference = %(goal)s)" if params["goal"] else ""
    units = _UNITS.format(events=f"({campaign}{goal}) AND e.ingested_at >= %(since)s AND "
                          "e.created_at >= %(start)s AND e.created_at < %(until)s",
                          **_tables())
    sql = _TOUCHED_DAYS.format(units=units, exposed=exposed, campaign=campaign,
                               day=_dialect()["day"], **_tables())
    return sorted(_date(day) for (day,) in _fetch(sql, {**params, "since": since}))


def roll_up_late(run: ExperimentRun, *, now: datetime | None = None) -> list[date]:
    """Roll up again the days of ``run`` that events recorded since its last roll-up
    touch (the whole run the first time); returns the days rolled up."""
    if run.rolled_up_to is None:
        roll_up(run, now=now)
        return []
    began = timezone.now()
    days = touched_days(run, run.rolled_up_to - LATE_MARGIN, now=now)
    for day in days:
        roll_up_day(run, day, now=now)
    _mark(run, began)
    return days


def _mark(run: ExperimentRun, began: datetime) -> None:
    """Events recorded before ``began`` are in the run's rows."""
    run.rolled_up_to = began
    ExperimentRun.objects.filter(pk=run.pk).update(rolled_up_to=began)


def _date(value: object) -> object:
    return datetime.strptime(value, "%Y-%m-%d").date() if isinstance(value, str) else value


def runs_to_roll_up(now: datetime | None = None) -> list[int]:
    """Runs still open, and runs that ended within the attribution window (their last
    visitors' conversions may still come in)."""
    now = now or timezone.now()
    since = now - timedelta(days=app_settings.CONVERSION_WINDOW_DAYS + 1)
    return list(ExperimentRun.objects.filter(campaign__in=Campaign.objects.all())
                .exclude(ended_at__lt=since).values_list("pk", flat=True))


def roll_up_all() -> int:
    """Roll up every run that may still change, and the program against the global
    holdout; returns the number of runs."""
    ids = runs_to_roll_up()
    for run in ExperimentRun.objects.filter(pk__in=ids):
        roll_up_late(run)
    roll_up(None)
    return len(ids)
