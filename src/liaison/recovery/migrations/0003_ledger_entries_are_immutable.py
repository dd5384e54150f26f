"""The database itself refuses to change or delete a ledger entry: a correction is a reversing entry."""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION recovery_ledgerentry_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'ledger entries are immutable: post a reversing entry instead' USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER recovery_ledgerentry_no_update BEFORE UPDATE OR DELETE ON recovery_ledgerentry
  FOR EACH ROW EXECUTE FUNCTION recovery_ledgerentry_immutable();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS recovery_ledgerentry_no_update ON recovery_ledgerentry;
DROP FUNCTION IF EXISTS recovery_ledgerentry_immutable();
"""
SQLITE_UP = [
    """CREATE TRIGGER recovery_ledgerentry_no_update BEFORE UPDATE ON recovery_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable: post a reversing entry instead'); END;""",
    """CREATE TRIGGER recovery_ledgerentry_no_delete BEFORE DELETE ON recovery_ledgerentry
       BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable: post a reversing entry instead'); END;""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS recovery_ledgerentry_no_update;",
               "DROP TRIGGER IF EXISTS recovery_ledgerentry_no_delete;"]


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UP)
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("recovery", "0002_debtrate_deductionrun_hardshipapplication_and_more")]
    operations = [migrations.RunPython(up, down)]
