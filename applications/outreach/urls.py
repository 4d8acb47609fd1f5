from django.urls import path

from applications.outreach import views

app_name = "outreach"

urlpatterns = [
    path("<uuid:token>/", views.invitation_detail, name="invitation"),
    path("<uuid:token>/opt-out/", views.invitation_opt_out, name="opt_out"),
    path("<uuid:token>/apply/", views.invitation_apply, name="apply"),
]
