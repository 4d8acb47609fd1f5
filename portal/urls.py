from django.contrib import admin
from django.urls import include, path

from portal import views
from portal.metrics import metrics_view

admin.site.site_header = "Linghuo"
admin.site.site_title = "Linghuo"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz_ready, name="healthz"),
    path("healthz/live", views.healthz_live, name="healthz_live"),
    path("healthz/ready", views.healthz_ready, name="healthz_ready"),
    path("metrics", metrics_view, name="metrics"),
    # Browsers ask for /favicon.ico whatever the page links to.
    path("favicon.ico", views.favicon, name="favicon"),
    path("language/", views.language_set, name="language_set"),
    path("accounts/", include("portal.accounts.urls")),
    path("", include("eligibility.urls")),
    path("", include("applications.urls")),
    path("staff/audit/", include("applications.audit_urls")),
    path("staff/", include("applications.staff.urls")),
    path("supervision/", include("applications.supervision.urls")),
    path("registry/", include("eligibility.registry.urls")),
    path("matching/", include("eligibility.matching.urls")),
    path("invitations/", include("applications.outreach.urls")),
    path("budgets/", include("applications.budgets.urls")),
    path("policy/", include("eligibility.console.urls")),
    path("account/", include("applications.retention.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "portal.views.bad_request"
handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
