from django.contrib import admin

from liaison.notices.models import Notice, OutboxMessage


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["reference", "code", "la", "case", "issued_at"]
    list_filter = ["code"]
    raw_id_fields = ["case", "la", "issued_by"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["subject", "to", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status"]
    raw_id_fields = ["notice"]
