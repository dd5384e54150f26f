"""A referral's references are checked by counting the range of keys named, when that range is whole (ADR 0016;
`liaison.core.dbchecks.pg_check(by_range=True)`); otherwise exactly, as before."""

from django.db import migrations

from liaison.core import dbchecks


class Migration(migrations.Migration):

    dependencies = [("referrals", "0006_file_stopped_or_stalled")]

    operations = [
        dbchecks.checks_by_range(("referrals_referral", [
            ("case_id", "core_case", "id"), ("la_id", "partners_organisation", "id"),
            ("submitted_by_id", "partners_user", "id"), ("assigned_to_id", "partners_user", "id"),
            ("decided_by_id", "partners_user", "id"), ("import_batch_id", "referrals_importbatch", "id"),
            ("reason_id", "referrals_reason", "code"), ("penalty_overpayment_id", "referrals_referral", "id"),
            ("debt_id", "recovery_debt", "id")])),
    ]
