from django.contrib import admin

from liaison.remittance.models import Remittance, RemittanceRun


@admin.register(Remittance)
class RemittanceAdmin(admin.ModelAdmin):
    """Read-only: remittances are drawn up by the monthly run and marked paid on their page, never edited."""

    list_display = ["pk", "la", "month", "total_pence", "item_count", "status", "due_by", "paid_on"]
    list_filter = ["status", "month"]
    search_fields = ["la__name", "la__code", "payment_reference"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RemittanceRun)
class RemittanceRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "month", "started_at", "counts"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
