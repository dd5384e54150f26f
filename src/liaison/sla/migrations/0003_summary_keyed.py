"""The summary of stopped measurements gets a unique key (standard, LA, responsible unit, month, stop month, days)
with NULLs replaced by 0 / -1, so that an incremental refresh can add and take away counts (ON CONFLICT), plus
totals for every LA (la_id 0) for the DM dashboard; two indexes for the drill-down and the statement.

The summary is derived data: it is dropped and made again empty, and the refresh history is cleared so that the
next refresh (every 10 minutes from the scheduler, or `liaison refresh-measurements`) is a full one and fills it.
"""

from django.db import migrations, models
from django.db.models import Q


def forget_refreshes(apps, schema_editor):
    apps.get_model("sla", "RefreshRun").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0002_working_days")]

    operations = [
        migrations.RunPython(forget_refreshes, migrations.RunPython.noop),
        migrations.DeleteModel(name="Summary"),
        migrations.CreateModel(
            name="Summary",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("la_id", models.BigIntegerField()),
                ("site_key", models.BigIntegerField()),
                ("month", models.DateField()),
                ("stop_month", models.DateField()),
                ("days", models.IntegerField()),
                ("items", models.IntegerField()),
                ("met", models.IntegerField()),
                ("standard", models.ForeignKey(db_constraint=False, on_delete=models.deletion.DO_NOTHING,
                                               related_name="+", to="sla.standard")),
            ],
            options={
                "indexes": [
                    models.Index(fields=["month"], include=("standard", "site_key", "stop_month", "days", "items",
                                                            "met"), name="sla_s_month"),
                    models.Index(fields=["la_id", "month"], name="sla_s_la_month"),
                    models.Index(condition=Q(items=0), fields=["standard"], name="sla_s_empty"),
                ],
                "constraints": [models.UniqueConstraint(
                    fields=("standard", "la_id", "site_key", "month", "stop_month", "days"),
                    name="sla_summary_key")],
            },
        ),
        migrations.RemoveIndex(model_name="measurement", name="sla_m_stop"),
        migrations.AddIndex(model_name="measurement",
                            index=models.Index(fields=["stop_on", "month"], name="sla_m_stop_month")),
        migrations.AddIndex(model_name="measurement",
                            index=models.Index(fields=["standard", "start_on", "id"], name="sla_m_standard_start")),
    ]
