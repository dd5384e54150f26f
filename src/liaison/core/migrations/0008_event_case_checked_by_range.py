"""A timeline event's case is checked by counting the range of cases named, when that range is whole (ADR 0016).

The statement-level check of core 0003 probed the cases' index once per distinct case an INSERT named: a bulk
file names 2,000 cases a chunk, all just written, their ids taken together from the sequence, and the probes
were the largest part of the checks' 2 s a 100,000-row file. Counting the cases between the least and greatest
id named answers the same question with one short range scan when every id of that range exists; when it does
not (a gap, or cases far apart), the exact check runs as before. The organisations and users (small tables,
a few distinct values a statement) are checked as before. PostgreSQL only: SQLite checks row by row.

The function is core 0003's with its case check replaced (`dbchecks.pg_check`); undoing this puts 0003's back.
"""

import importlib

from django.db import migrations

from liaison.core.dbchecks import RANGE_DECLARATIONS, pg_check

_EVENTS = importlib.import_module("liaison.core.migrations.0003_event_references_checked_per_statement")


def _functions() -> tuple[str, str]:
    """(0003's core_event_references() with the case checked by range, 0003's as it was)."""
    start = _EVENTS.PG_UP.index("CREATE OR REPLACE FUNCTION core_event_references()")
    end = _EVENTS.PG_UP.index("$$ LANGUAGE plpgsql;", start) + len("$$ LANGUAGE plpgsql;")
    exact = _EVENTS.PG_UP[start:end]
    case_start = exact.index("  SELECT n.case_id INTO bad")
    case_end = exact.index("  END IF;", case_start) + len("  END IF;")
    by_range = pg_check("core_event", "case_id", "core_case", "id", by_range=True,
                        message="timeline event names case %, which does not exist")
    changed = (exact[:case_start].replace("  bad record;\n", "  bad record;\n" + RANGE_DECLARATIONS)
               + by_range.lstrip("\n") + exact[case_end:])
    return changed, exact


def _run(by_range: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(_functions()[0 if by_range else 1], params=None)
    return run


class Migration(migrations.Migration):

    dependencies = [("core", "0007_keys_never_looked_up")]

    operations = [migrations.RunPython(_run(True), _run(False))]
