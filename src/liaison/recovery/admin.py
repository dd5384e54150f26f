from django.contrib import admin

from liaison.recovery.models import Debt, InstalmentPlan, RecoveryRate


@admin.register(RecoveryRate)
class RecoveryRateAdmin(admin.ModelAdmin):
    list_display = ["effective_from", "standard_weekly_pence", "fraud_weekly_pence", "personal_allowance_pence"]


@admin.register(InstalmentPlan)
class InstalmentPlanAdmin(admin.ModelAdmin):
    list_display = ["reference", "nino", "start", "end"]
    search_fields = ["=nino", "reference"]


@admin.register(Debt)
class DebtAdmin(admin.ModelAdmin):
    list_display = ["pk", "la", "la_reference", "status", "original_balance_pence", "weekly_rate_pence",
                    "recovery_start_date"]
    list_filter = ["status", "benefit_type", "classification"]
    raw_id_fields = ["case", "la", "owning_site", "overpayment"]
    search_fields = ["=nino", "la_reference"]
