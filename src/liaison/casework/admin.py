from django.contrib import admin

from liaison.casework.models import ChangeFile, ChangeOfCircumstances, Complaint, SoeRequest, WorkItem


class ReadOnly(admin.ModelAdmin):
    """Casework changes only through its services (each writes the case's timeline): the admin shows, never edits."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChangeOfCircumstances)
class ChangeAdmin(ReadOnly):
    list_display = ("id", "la", "la_reference", "kind", "status", "site", "received_at", "due_on")
    list_filter = ("status", "kind", "site")
    search_fields = ("la_reference", "nino")


@admin.register(Complaint)
class ComplaintAdmin(ReadOnly):
    list_display = ("id", "la", "kind", "status", "site", "received_on", "due_on")
    list_filter = ("status", "kind")


@admin.register(SoeRequest)
class SoeRequestAdmin(ReadOnly):
    list_display = ("id", "la", "status", "site", "requested_at", "due_on")
    list_filter = ("status",)


@admin.register(WorkItem)
class WorkItemAdmin(ReadOnly):
    list_display = ("id", "kind", "site", "state", "due_on", "assigned_to")
    list_filter = ("kind", "state", "site")


@admin.register(ChangeFile)
class ChangeFileAdmin(ReadOnly):
    list_display = ("id", "la", "original_name", "state", "rows_total", "created_at")
