from django.urls import path

from applications.supervision import referrals, views

app_name = "supervision"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("payments/", views.payment_export_page, name="payments"),
    path("payments.csv", views.payment_export_csv, name="payments_csv"),
    path("payments.xlsx", views.payment_export_xlsx, name="payments_xlsx"),
    path("referrals/", referrals.referral_export_page, name="referrals"),
    path("referrals.csv", referrals.referral_export_csv, name="referrals_csv"),
    path("referrals.xlsx", referrals.referral_export_xlsx, name="referrals_xlsx"),
]
