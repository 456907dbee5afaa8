"""The database router that lets the reports read from a replica (``REPORTS_DATABASE``)."""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model

from personalization.conf import app_settings

#: The report tables: written only by the beat's jobs (rollups, KPI snapshots, bandit
#: updates), read by the reports, the dashboards and the bandits' weights. A replica a few
#: seconds behind shows them a few seconds late, and nothing is decided on them.
REPORT_MODELS = frozenset({
    "personalization.dailyrollup",
    "personalization.kpisnapshot",
    "personalization.banditupdate",
})


class ReportsRouter:
    """Reads of the report tables go to ``PERSONALIZATION["REPORTS_DATABASE"]``, a read
    replica of the primary; with the setting ``None`` the router has no opinion.

    The events table is not routed: the app reads it on its write paths too (an order's
    conversion looks up the exposures flushed a moment ago, retention and erasure delete
    from it), where a replica that lags would give a wrong answer or refuse the write. The
    reports that read raw events ask for the replica themselves (``reports_database()``).
    Nothing is written to the replica: a row read from it is saved to the primary, and no
    migration runs on it (it receives the tables by replication).
    """

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if model._meta.label_lower in REPORT_MODELS:
            return reports_database()
        return None

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        instance = hints.get("instance")
        replica = reports_database()
        if replica and instance is not None and instance._state.db == replica:
            return DEFAULT_DB_ALIAS
        return None

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        replica = reports_database()
        if replica and {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, replica}:
            return True  # the same rows on both sides of the replication
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None,
                      **hints: Any) -> bool | None:
        if db == reports_database():
            return False
        return None


def reports_database() -> str | None:
    """The alias reports read from, or None for the router's default (the primary)."""
    return app_settings.REPORTS_DATABASE
