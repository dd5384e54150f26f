"""A notice's case and an outbox e-mail's notice are checked by counting the range of keys named, when that range
is whole (ADR 0016; `liaison.core.dbchecks.pg_check(by_range=True)`); otherwise exactly, as before. The
references are notices 0004's; undoing this puts its exact checks back."""

import importlib

from django.db import migrations

from liaison.core import dbchecks

_CHECKED = importlib.import_module("liaison.notices.migrations.0004_references_checked_per_statement")


class Migration(migrations.Migration):

    dependencies = [("notices", "0005_fk_indexes_covered")]

    operations = [dbchecks.checks_by_range(*_CHECKED.TABLES)]
