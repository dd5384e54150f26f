"""A referral's references are checked by counting the range of keys named, when that range is whole (ADR 0016;
`liaison.core.dbchecks.pg_check(by_range=True)`); otherwise exactly, as before. The references are referrals
0002's; undoing this puts its exact checks back."""

import importlib

from django.db import migrations

from liaison.core import dbchecks

_CHECKED = importlib.import_module("liaison.referrals.migrations.0002_references_checked_per_statement")


class Migration(migrations.Migration):

    dependencies = [("referrals", "0006_file_stopped_or_stalled")]

    operations = [dbchecks.checks_by_range(("referrals_referral", _CHECKED.REFERENCES))]
