"""Administration of the standards. A standard and its provisions are editable (the data file puts the signed
agreement back when `liaison load-standards` runs); saving one queues a full re-measurement. Local targets are
recorded on their page, through the service that refuses laxer ones, so here they are read-only; measurements,
breaches and refreshes are computed and never edited."""

from django.contrib import admin, messages
from django.db import transaction

from liaison.sla.models import Breach, LocalTarget, Measurement, Provision, RefreshRun, Standard


def _remeasure_everything() -> None:
    from liaison.sla.measure import last_refresh
    from liaison.sla.tasks import refresh_measurements

    if last_refresh() is not None:
        transaction.on_commit(lambda: refresh_measurements.enqueue(full=True))


class ProvisionInline(admin.TabularInline):
    model = Provision
    extra = 0


@admin.register(Standard)
class StandardAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "unit", "calendar", "responsible", "subject", "active"]
    list_filter = ["responsible", "calendar", "active"]
    inlines = [ProvisionInline]
    actions = ["remeasure"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        _remeasure_everything()
        messages.info(request, "Every standard will be measured again from the timeline (a full refresh is queued).")

    @admin.action(description="Measure everything again from the timeline")
    def remeasure(self, request, queryset):
        _remeasure_everything()
        messages.info(request, "A full refresh of the measurements is queued.")


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LocalTarget)
class LocalTargetAdmin(ReadOnly):
    list_display = ["la", "standard", "limit", "effective_from", "effective_to", "agreed_on", "recorded_by"]
    list_filter = ["standard"]
    search_fields = ["la__name", "la__code", "reference"]


@admin.register(Measurement)
class MeasurementAdmin(ReadOnly):
    list_display = ["standard", "case_id", "la", "start_on", "stop_on", "due_on", "working_days", "limit"]
    list_filter = ["standard"]
    search_fields = ["=case_id"]
    show_full_result_count = False


@admin.register(Breach)
class BreachAdmin(ReadOnly):
    list_display = ["standard", "case_id", "la", "due_on", "detected_on", "raised_at", "raised_to", "reason"]
    list_filter = ["standard", "detected_on"]


@admin.register(RefreshRun)
class RefreshRunAdmin(ReadOnly):
    list_display = ["pk", "started_at", "finished_at", "as_of", "full", "max_event_id"]
