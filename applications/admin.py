"""Admin pages of the applications app.

The audit trail is read-only here as everywhere: nobody, not even a superuser,
may add, change or delete an entry, and there are no bulk actions. Rejection
reasons are edited here by administrators. Applications are listed read-only
for superusers, without personal data (revealing that is recorded, and happens
on the caseworkers' pages).
"""

from django.contrib import admin

from applications.models import Application, AuditEntry, ReasonCode


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "application", "ip_address")
    list_filter = ("action", "at")
    search_fields = ("application__reference", "actor__username", "actor__full_name")
    list_select_related = ("actor", "application")
    fields = ("at", "actor", "action", "application", "details", "ip_address")
    readonly_fields = fields
    actions = None
    show_full_result_count = False  # counting a long trail on every page is slow

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReasonCode)
class ReasonCodeAdmin(admin.ModelAdmin):
    list_display = ("code", "text_zh", "text_en", "active")
    list_filter = ("active",)
    list_editable = ("active",)
    search_fields = ("code", "text_zh", "text_en")
    fields = ("code", "text_zh", "text_en", "active")

    def get_readonly_fields(self, request, obj=None):
        # Decisions refer to a reason by its code: once saved, the code stays.
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False  # a reason no longer used is retired (“in use” off), so past decisions keep their text


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ("reference", "programme", "status", "region", "submitted_on", "sla_due_on", "overdue_flagged_at")
    list_filter = ("status", "region", "programme")
    search_fields = ("reference",)
    list_select_related = ("programme",)
    fields = (
        "reference",
        "programme",
        "status",
        "region",
        "submitted_on",
        "sla_due_on",
        "sla_paused_on",
        "overdue_flagged_at",
        "decided_at",
        "amount",
        "assigned_to",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = None

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
