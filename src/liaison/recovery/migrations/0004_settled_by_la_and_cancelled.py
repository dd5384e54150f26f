"""A debt settled because the customer repaid the LA directly (a non-cash SETTLED_BY_LA entry), and a debt the LA
cancelled (status CANCELLED): changes of circumstances and appeal outcomes (SLA Appendix 7).

SQLite changes a check constraint by rebuilding the table, which drops the triggers that keep ledger entries
immutable (0003); they are put back at the end, so the database still refuses to change or delete an entry.
"""

import importlib

from django.db import migrations, models

_IMMUTABLE = importlib.import_module("liaison.recovery.migrations.0003_ledger_entries_are_immutable")


def restore_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in _IMMUTABLE.SQLITE_DOWN + _IMMUTABLE.SQLITE_UP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('benefits', '0002_benefit_minimum_remaining_pence'),
        ('partners', '0001_initial'),
        ('recovery', '0003_ledger_entries_are_immutable'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='ledgerentry',
            name='entry_non_cash_kinds',
        ),
        migrations.AlterField(
            model_name='debt',
            name='status',
            field=models.CharField(choices=[('IN_RECOVERY', 'In recovery'), ('PAID_IN_FULL', 'Paid in full'), ('RETURNED', 'Recovery stopped: returned to the LA'), ('CANCELLED', 'Cancelled by the LA')], default='IN_RECOVERY', max_length=16),
        ),
        migrations.AlterField(
            model_name='ledgerentry',
            name='kind',
            field=models.CharField(choices=[('DEDUCTION', 'Deduction from benefit'), ('REVERSAL', 'Reversal of a deduction'), ('RETURNED_TO_LA', 'Balance returned to the LA'), ('REDUCTION', 'Debt reduced or cancelled by the LA'), ('SETTLED_BY_LA', 'Customer repaid the LA directly')], max_length=16),
        ),
        migrations.AddConstraint(
            model_name='ledgerentry',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('amount_pence__gt', 0), ('is_cash', False), ('kind__in', ['RETURNED_TO_LA', 'REDUCTION', 'SETTLED_BY_LA'])), ('kind__in', ['DEDUCTION', 'REVERSAL']), _connector='OR'), name='entry_non_cash_kinds'),
        ),
        migrations.RunPython(restore_sqlite_triggers, restore_sqlite_triggers),
    ]
