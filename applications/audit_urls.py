"""The supervisors' audit trail page. Included by the project as
``path("staff/audit/", include("applications.audit_urls"))``."""

from django.urls import path

from applications import audit_views

app_name = "audit"

urlpatterns = [
    path("", audit_views.audit_entries, name="entries"),
]
