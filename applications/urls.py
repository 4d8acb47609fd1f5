from django.urls import path, re_path

from applications import sms_report_views, views

app_name = "applications"

REFERENCE = r"(?P<reference>LH-\d{4}-\d{6,})"

urlpatterns = [
    # The SMS provider's push of delivery reports (not a page: the provider's server calls it).
    path("sms/reports/alibaba/", sms_report_views.alibaba_reports, name="sms_reports_alibaba"),
    path("applications/", views.application_list, name="list"),
    path("applications/new/<slug:slug>/", views.application_new, name="new"),
    path("applications/drafts/<int:pk>/", views.draft_resume, name="draft"),
    path("applications/drafts/<int:pk>/check/", views.application_check, name="check"),
    path(
        "applications/drafts/<int:pk>/documents/<int:document_pk>/remove/",
        views.document_remove,
        name="document_remove",
    ),
    path("applications/drafts/<int:pk>/<slug:step>/", views.application_step, name="step"),
    re_path(rf"^applications/{REFERENCE}/$", views.case_detail, name="case"),
    re_path(rf"^applications/{REFERENCE}/sent/$", views.application_confirmation, name="confirmation"),
    re_path(rf"^applications/{REFERENCE}/withdraw/$", views.case_withdraw, name="withdraw"),
    re_path(rf"^applications/{REFERENCE}/documents/$", views.case_upload, name="upload"),
    re_path(rf"^applications/{REFERENCE}/response/$", views.case_respond, name="respond"),
    re_path(rf"^applications/{REFERENCE}/reconsideration/$", views.case_reconsider, name="reconsider"),
    # A random token, never the document's id: one address gives no way to guess another.
    path("documents/<uuid:token>/", views.document_file, name="document"),
    # A PDF's first pages as images, for staff: the page that shows them, and each image.
    path("documents/<uuid:token>/pages/", views.document_pages, name="document_pages"),
    path("documents/<uuid:token>/pages/<int:number>.png", views.document_page_image, name="document_page"),
    path("inbox/", views.inbox, name="inbox"),
]
