from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from liaison.partners.models import ApiToken, Mailbox, Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "unit", "nation", "region", "ccg_site", "intake_email"]
    list_filter = ["kind", "unit", "nation"]
    search_fields = ["name", "code"]


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ["organisation", "purpose", "nation", "email"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "organisation", "role", "is_active"]
    list_filter = ["role", "is_active"]
    fieldsets = BaseUserAdmin.fieldsets + (("Liaison", {"fields": ("organisation", "role")}),)
    raw_id_fields = ["organisation"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "digest", "created_at", "last_used_at"]
