"""The database refuses to change or delete a remittance item, or to delete a remittance: an entry once remitted
stays remitted, so it can never be taken (and paid) again, and every item keeps its remittance. A correction is a
reversing ledger entry, remitted the next month."""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION remittance_item_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'remittance items are immutable: a correction is a reversing ledger entry'
    USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER remittance_item_no_change BEFORE UPDATE OR DELETE ON remittance_remittanceitem
  FOR EACH ROW EXECUTE FUNCTION remittance_item_immutable();
CREATE OR REPLACE FUNCTION remittance_kept() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'remittances are kept: a payment once drawn up is never deleted'
    USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER remittance_no_delete BEFORE DELETE ON remittance_remittance
  FOR EACH ROW EXECUTE FUNCTION remittance_kept();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS remittance_item_no_change ON remittance_remittanceitem;
DROP FUNCTION IF EXISTS remittance_item_immutable();
DROP TRIGGER IF EXISTS remittance_no_delete ON remittance_remittance;
DROP FUNCTION IF EXISTS remittance_kept();
"""
SQLITE_UP = [
    """CREATE TRIGGER remittance_item_no_update BEFORE UPDATE ON remittance_remittanceitem
       BEGIN SELECT RAISE(ABORT, 'remittance items are immutable: a correction is a reversing ledger entry'); END;""",
    """CREATE TRIGGER remittance_item_no_delete BEFORE DELETE ON remittance_remittanceitem
       BEGIN SELECT RAISE(ABORT, 'remittance items are immutable: a correction is a reversing ledger entry'); END;""",
    """CREATE TRIGGER remittance_no_delete BEFORE DELETE ON remittance_remittance
       BEGIN SELECT RAISE(ABORT, 'remittances are kept: a payment once drawn up is never deleted'); END;""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS remittance_item_no_update;",
               "DROP TRIGGER IF EXISTS remittance_item_no_delete;",
               "DROP TRIGGER IF EXISTS remittance_no_delete;"]


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
    dependencies = [("remittance", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
