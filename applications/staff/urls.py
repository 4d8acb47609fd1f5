from django.urls import path, re_path

from applications.staff import delivery, fulfilment, views

app_name = "staff"

REFERENCE = r"(?P<reference>LH-\d{4}-\d{6,})"
CASE = rf"^cases/{REFERENCE}"

urlpatterns = [
    path("", views.queue, name="home"),
    path("queue/", views.queue, name="queue"),
    path("queue/claim-next/", views.claim_next, name="claim_next"),
    # Citizens a message could not reach by any channel (issue 14, item 7).
    path("unreachable/", delivery.unreachable, name="unreachable"),
    re_path(rf"{CASE}/$", views.case_detail, name="case"),
    re_path(rf"{CASE}/claim/$", views.case_claim, name="claim"),
    re_path(rf"{CASE}/release/$", views.case_release, name="release"),
    re_path(rf"{CASE}/reveal/$", views.case_reveal, name="reveal"),
    re_path(rf"{CASE}/notes/$", views.case_note, name="note"),
    re_path(rf"{CASE}/approve/$", views.case_approve, name="approve"),
    re_path(rf"{CASE}/reject/$", views.case_reject, name="reject"),
    re_path(rf"{CASE}/request-info/$", views.case_request_info, name="request_info"),
    re_path(rf"{CASE}/return/$", views.case_return, name="return"),
    re_path(rf"{CASE}/resume-review/$", views.case_resume_review, name="resume_review"),
    re_path(rf"{CASE}/outcome/$", fulfilment.case_outcome, name="outcome"),
]
