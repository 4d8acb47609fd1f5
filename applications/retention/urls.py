from django.urls import path

from applications.retention import views

app_name = "retention"

urlpatterns = [
    path("data/", views.personal_data, name="data"),
    path("data.json", views.personal_data_json, name="data_json"),
    path("data.pdf", views.personal_data_pdf, name="data_pdf"),
    path("drafts/delete/", views.drafts_delete, name="drafts_delete"),
    path("drafts/<int:pk>/delete/", views.draft_delete, name="draft_delete"),
]
