"""The weekly deduction run's write path (docs/benchmarks.md, "Recovery"): a million ledger entries and a million
debt updates a week.

- Indexes no query needs, because another index serves it, are dropped: on ledger entries, debt (served by
  entry_debt_date), posting (the same as entry_posting), la (cash entries: entry_la_date) and benefit (nothing looks
  entries up by benefit); on debts, la (debt_la_status leads with it). Every index is written by every entry.
- PostgreSQL: debts are stored with half of each page free (fillfactor 50). The run updates every debt in recovery
  once a week (`cleared_pence`, which no index holds), and with room on the page PostgreSQL updates a row in place
  (a HOT update) instead of writing a new row version into every one of the table's indexes. The free room is
  taken by the week's new versions and given back when the old ones are vacuumed. It applies to pages written from
  now on; an existing table takes it when rewritten (VACUUM FULL recovery_debt, or pg_repack, in a quiet hour).

SQLite rebuilds a table to change a column, which drops the triggers that keep ledger entries immutable (0003):
they are put back at the end.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

_IMMUTABLE = importlib.import_module("liaison.recovery.migrations.0003_ledger_entries_are_immutable")


def restore_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in _IMMUTABLE.SQLITE_DOWN + _IMMUTABLE.SQLITE_UP:
            schema_editor.execute(statement)


def debt_fillfactor(value):
    def set_fillfactor(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE recovery_debt SET (fillfactor = {int(value)})")
    return set_fillfactor


class Migration(migrations.Migration):

    dependencies = [
        ('benefits', '0002_benefit_minimum_remaining_pence'),
        ('partners', '0001_initial'),
        ('recovery', '0004_settled_by_la_and_cancelled'),
    ]

    operations = [
        migrations.AlterField(
            model_name='debt',
            name='la',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='debts', to='partners.organisation'),
        ),
        migrations.AlterField(
            model_name='ledgerentry',
            name='benefit',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='benefits.benefit'),
        ),
        migrations.AlterField(
            model_name='ledgerentry',
            name='debt',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='recovery.debt'),
        ),
        migrations.AlterField(
            model_name='ledgerentry',
            name='la',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.organisation'),
        ),
        migrations.AlterField(
            model_name='ledgerentry',
            name='posting',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='recovery.posting'),
        ),
        migrations.RunPython(restore_sqlite_triggers, restore_sqlite_triggers),
        migrations.RunPython(debt_fillfactor(50), debt_fillfactor(100)),
    ]
