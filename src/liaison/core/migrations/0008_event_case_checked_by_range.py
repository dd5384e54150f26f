"""A timeline event's case is checked by counting the range of cases named, when that range is whole (ADR 0016).

The statement-level check of core 0003 probed the cases' index once per distinct case an INSERT named: a bulk
file names 2,000 cases a chunk, all just written, their ids taken together from the sequence, and the probes
were the largest part of the checks' 2 s a 100,000-row file. Counting the cases between the least and greatest
id named answers the same question with one short range scan when every id of that range exists; when it does
not (a gap, or cases far apart), the exact check runs as before. The organisations and users (small tables,
a few distinct values a statement) are checked as before. PostgreSQL only: SQLite checks row by row.
"""

from django.db import migrations

from liaison.core.dbchecks import pg_check

_ORGANISATIONS_AND_USERS = """
  SELECT n.id INTO bad FROM (SELECT la_id AS id FROM added WHERE la_id IS NOT NULL
                             UNION SELECT actor_organisation_id FROM added WHERE actor_organisation_id IS NOT NULL) n
   WHERE NOT EXISTS (SELECT 1 FROM partners_organisation o WHERE o.id = n.id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'timeline event names organisation %, which does not exist', bad.id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  SELECT n.actor_id INTO bad FROM (SELECT DISTINCT actor_id FROM added WHERE actor_id IS NOT NULL) n
   WHERE NOT EXISTS (SELECT 1 FROM partners_user u WHERE u.id = n.actor_id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'timeline event names user %, which does not exist', bad.actor_id
      USING ERRCODE = 'foreign_key_violation';
  END IF;"""


def _function(by_range: bool) -> str:
    case = pg_check("core_event", "case_id", "core_case", "id", by_range=by_range,
                    message="timeline event names case %, which does not exist")
    return f"""
CREATE OR REPLACE FUNCTION core_event_references() RETURNS trigger AS $$
DECLARE
  bad record;
  ref_lo bigint;
  ref_hi bigint;
  ref_named bigint;
BEGIN{case}{_ORGANISATIONS_AND_USERS}
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;"""


# Fixed here, as the SQL of a migration is: what this migration installs does not change with the module.
PG_UP, PG_DOWN = _function(True), _function(False)


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)
    return run


class Migration(migrations.Migration):

    dependencies = [("core", "0007_keys_never_looked_up")]

    operations = [migrations.RunPython(_run(PG_UP), _run(PG_DOWN))]
