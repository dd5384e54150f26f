"""Generate the working-day calendar table from GOV.UK's feed (core.calendar), so a new database can measure at
once. `liaison load-standards` (and every refresh) regenerates it when the feed has changed."""

from django.db import migrations


def generate(apps, schema_editor):
    from liaison.sla.reference import working_days_load

    working_days_load()


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(generate, migrations.RunPython.noop)]
