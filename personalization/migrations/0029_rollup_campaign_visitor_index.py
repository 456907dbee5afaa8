"""A covering index for the day's roll-up on PostgreSQL (issue 30).

``roll_up_day`` looks each of the day's visitors up among the run's campaign events of every
month the run spans. Through the ``visitor_id`` index that lookup walks a month's whole
index and fetches each row from the heap, so its cost grew with the rows per month (other
campaigns' and other visitors' events). This index, on (campaign, visitor, time) with the
columns the roll-up reads included, answers it with an index-only scan in the run's own
part of the index: the same few pages whatever else the month holds.

Made on the partitioned table, so every partition (and every partition made later) has it.
Index-only scans need the partitions' visibility map, which autovacuum keeps (it vacuums a
table after inserts too, PostgreSQL 13 and later); without it the rows are fetched from the
heap, with the same results. Writers wait while it is built (10 to 15 s for 10 million
rows), as for 0028: run it when the shop is quiet. Not in Django's model state (as 0028's
BRIN index): its INCLUDE columns exist on PostgreSQL only. On SQLite nothing changes.
"""

from django.db import migrations

TABLE = "personalization_event"
INDEX = "personalization_event_campaign_visitor"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "{TABLE}" (campaign_id, visitor_id, '
        "created_at) INCLUDE (type, value, reference, control, variant_id)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):

    dependencies = [
        ("personalization", "0028_partitions_event_by_month"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
