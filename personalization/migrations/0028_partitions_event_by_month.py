"""The event table becomes partitioned by month on PostgreSQL (issue 30).

On PostgreSQL the existing table is renamed, a partitioned table with the same columns is
made (LIKE the old one), with monthly partitions covering the rows' months (at most
MONTHS_BACK before now) up to AHEAD months after now and a default partition for the rest;
the rows are copied (INSERT ... SELECT), counted on both sides (the migration fails, and
rolls back, if the counts differ), the old table is dropped, then its indexes and foreign
keys are made again on the new table under their old names. The primary key becomes
(id, created_at): PostgreSQL requires the partition key in it; Django's model state keeps
``id`` as the primary key. On SQLite nothing changes.

The unique constraint on (reference, campaign) of conversions cannot hold across
partitions: an order's conversions are recorded once through ``RecordedOrder`` instead,
filled here from the conversions already recorded.
"""

from datetime import UTC, datetime

import django.db.models.functions.datetime
import django.utils.timezone
from django.db import migrations, models

TABLE = "personalization_event"
AHEAD = 3
MONTHS_BACK = 24


def _months(first, last):
    index = first.year * 12 + first.month - 1
    while index <= last.year * 12 + last.month - 1:
        yield index // 12, index % 12 + 1
        index += 1


def _month(index):
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def rebuild(schema_editor, partitioned):
    """Copy the event table into a new one, partitioned by month or plain."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                       "JOIN pg_class i ON i.oid = x.indexrelid "
                       "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary", [TABLE])
        indexes = cursor.fetchall()
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = %s::regclass AND contype = 'f'", [TABLE])
        foreign_keys = cursor.fetchall()
        cursor.execute("SELECT conname FROM pg_constraint "
                       "WHERE conrelid = %s::regclass AND contype = 'p'", [TABLE])
        (primary_key,) = cursor.fetchone()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute(f'ALTER TABLE "{TABLE}" DROP CONSTRAINT "{primary_key}"')
        cursor.execute(f'ALTER TABLE "{TABLE}" RENAME TO "{TABLE}_old"')
        cursor.execute(f'CREATE TABLE "{TABLE}" (LIKE "{TABLE}_old" INCLUDING DEFAULTS '
                       "INCLUDING IDENTITY)" + (" PARTITION BY RANGE (created_at)"
                                                if partitioned else ""))
        key = "id, created_at" if partitioned else "id"
        cursor.execute(f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{primary_key}" '
                       f"PRIMARY KEY ({key})")
        if partitioned:
            cursor.execute(f'SELECT MIN(created_at) FROM "{TABLE}_old"')
            now = datetime.now(UTC)
            oldest = (cursor.fetchone()[0] or now).astimezone(UTC)
            back = now.year * 12 + now.month - 1 - MONTHS_BACK
            if oldest.year * 12 + oldest.month - 1 < back:
                oldest = _month(back)
            newest = _month(now.year * 12 + now.month - 1 + AHEAD)
            for year, month in _months(oldest, newest):
                start = datetime(year, month, 1, tzinfo=UTC)
                end = _month(year * 12 + month)
                cursor.execute(f'CREATE TABLE "{TABLE}_y{year:04d}m{month:02d}" PARTITION OF '
                               f'"{TABLE}" FOR VALUES FROM (%s) TO (%s)', [start, end])
            cursor.execute(f'CREATE TABLE "{TABLE}_default" PARTITION OF "{TABLE}" DEFAULT')
        cursor.execute(f'INSERT INTO "{TABLE}" SELECT * FROM "{TABLE}_old"')
        copied = cursor.rowcount
        cursor.execute(f'SELECT COUNT(*) FROM "{TABLE}_old"')
        (before,) = cursor.fetchone()
        cursor.execute(f'SELECT COUNT(*) FROM "{TABLE}"')
        (after,) = cursor.fetchone()
        if not before == after == copied:
            raise RuntimeError(f"{TABLE}: {before} rows before, {after} after the copy; "
                               "nothing was changed")
        cursor.execute(f'DROP TABLE "{TABLE}_old"')
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE])
        (sequence,) = cursor.fetchone()
        cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO \"{TABLE}_id_seq\"")
        cursor.execute(f"SELECT setval('\"{TABLE}_id_seq\"', COALESCE(MAX(id), 0) + 1, false) "
                       f'FROM "{TABLE}"')
        for name, definition in indexes:
            if partitioned or not name.endswith("_brin"):
                cursor.execute(definition.replace(" ON ONLY ", " ON "))
        if partitioned:
            cursor.execute(f'CREATE INDEX IF NOT EXISTS "{TABLE}_ingested_brin" ON "{TABLE}" '
                           "USING brin (ingested_at)")
        for name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{name}" {definition}')
        cursor.execute(f'ANALYZE "{TABLE}"')


def partition(apps, schema_editor):
    rebuild(schema_editor, partitioned=True)


def unpartition(apps, schema_editor):
    rebuild(schema_editor, partitioned=False)


def record_orders(apps, schema_editor):
    """The orders whose conversions are recorded already."""
    Event = apps.get_model("personalization", "Event")
    RecordedOrder = apps.get_model("personalization", "RecordedOrder")
    firsts = (Event.objects.filter(type="conversion").exclude(reference="")
              .values("reference").annotate(first=models.Min("created_at")))
    RecordedOrder.objects.bulk_create(
        [RecordedOrder(reference=r["reference"], recorded_at=r["first"]) for r in firsts],
        batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ('personalization', '0027_lead_popup_image_alt'),
    ]

    operations = [
        migrations.CreateModel(
            name='RecordedOrder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reference', models.CharField(max_length=64, unique=True, verbose_name='order')),
                ('recorded_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='recorded')),
            ],
            options={
                'verbose_name': 'recorded order',
                'verbose_name_plural': 'recorded orders',
            },
        ),
        migrations.RunPython(record_orders, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name='event',
            name='pz_event_conversion_once',
        ),
        migrations.AddField(
            model_name='event',
            name='ingested_at',
            field=models.DateTimeField(db_default=django.db.models.functions.datetime.Now(), editable=False, verbose_name='recorded'),
        ),
        migrations.AddField(
            model_name='experimentrun',
            name='rolled_up_to',
            field=models.DateTimeField(blank=True, editable=False, help_text="Events recorded before this time are in the run's daily figures.", null=True, verbose_name='rolled up to'),
        ),
        migrations.RunPython(partition, unpartition, elidable=False),
    ]
