from django.urls import path

from eligibility.console import views

app_name = "policy"

urlpatterns = [
    path("", views.home, name="home"),
    path("programmes/<slug:slug>/", views.programme_detail, name="programme"),
    path("parameters/<int:parameter_id>/", views.parameter_detail, name="parameter"),
    path("parameters/<int:parameter_id>/propose/", views.proposal_create, name="propose"),
    path("proposals/", views.proposal_list, name="proposals"),
    path("proposals/<int:parameter_proposal_id>/", views.proposal_detail, name="proposal"),
    path("proposals/<int:parameter_proposal_id>/approve/", views.proposal_approve, name="approve"),
    path("proposals/<int:parameter_proposal_id>/reject/", views.proposal_reject, name="reject"),
    path("proposals/<int:parameter_proposal_id>/withdraw/", views.proposal_withdraw, name="withdraw"),
    path("reference-cases/", views.reference_cases, name="reference_cases"),
    path("reference-cases/new/", views.reference_case_create, name="reference_case_new"),
    path("reference-cases/<int:reference_case_id>/", views.reference_case_edit, name="reference_case"),
    path("reference-cases/<int:reference_case_id>/delete/", views.reference_case_delete, name="reference_case_delete"),
]
