from django.contrib import admin

from liaison.benefits.models import Award, Benefit


@admin.register(Benefit)
class BenefitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "prescribed"]


@admin.register(Award)
class AwardAdmin(admin.ModelAdmin):
    list_display = ["nino", "benefit", "weekly_amount_pence", "start", "end", "source"]
    list_filter = ["benefit"]
    search_fields = ["=nino"]
