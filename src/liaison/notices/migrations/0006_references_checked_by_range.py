"""A notice's case and an outbox e-mail's notice are checked by counting the range of keys named, when that range
is whole (ADR 0016; `liaison.core.dbchecks.pg_check(by_range=True)`); otherwise exactly, as before."""

from django.db import migrations

from liaison.core import dbchecks


class Migration(migrations.Migration):

    dependencies = [("notices", "0005_fk_indexes_covered")]

    operations = [
        dbchecks.checks_by_range(
            ("notices_notice", [("case_id", "core_case", "id"), ("la_id", "partners_organisation", "id"),
                                ("issued_by_id", "partners_organisation", "id")]),
            ("notices_outboxmessage", [("notice_id", "notices_notice", "id")])),
    ]
