from django.contrib import admin

from liaison.core.models import Case, Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "kind", "case", "la", "actor", "summary"]
    list_filter = ["kind"]
    raw_id_fields = ["case", "la", "actor", "actor_organisation"]
    date_hierarchy = "occurred_at"

    def has_change_permission(self, request, obj=None):
        return False  # the timeline is an audit trail: never edited

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["reference", "scheme", "la", "opened_at"]
    raw_id_fields = ["la"]
