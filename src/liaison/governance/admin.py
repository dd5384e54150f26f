"""Administration: the issue categories and their escalation routes are data an administrator edits here; the
other records are shown read-only (every change to them goes through the pages and their services, so it is on
the history)."""

from django.contrib import admin

from liaison.governance import models


class EscalationStepInline(admin.TabularInline):
    model = models.EscalationStep
    extra = 0


@admin.register(models.IssueCategory)
class IssueCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "source", "position", "active"]
    list_editable = ["position", "active"]
    inlines = [EscalationStepInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ["name", "organisation", "duty", "position", "email", "last_checked_on", "active"]
    list_filter = ["duty", "position", "active"]
    search_fields = ["name", "email", "organisation__name"]


@admin.register(models.Issue)
class IssueAdmin(ReadOnlyAdmin):
    list_display = ["id", "title", "kind", "category", "raised_by_org", "concerns", "level", "status"]
    list_filter = ["status", "level", "kind", "category"]


@admin.register(models.Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ["reference", "title", "party_a", "party_b", "starts_on", "expires_on", "status"]


@admin.register(models.Group)
class GroupAdmin(ReadOnlyAdmin):
    list_display = ["name", "code", "side_a_org", "side_b_org", "active"]


@admin.register(models.EngagementRound)
class EngagementRoundAdmin(ReadOnlyAdmin):
    list_display = ["title", "organiser_org", "status", "closes_on"]


@admin.register(models.HistoryEntry)
class HistoryEntryAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "kind", "summary", "actor", "actor_organisation"]
    list_filter = ["kind"]


@admin.register(models.SentReminder)
class SentReminderAdmin(ReadOnlyAdmin):
    list_display = ["sent_on", "key", "to", "subject"]
