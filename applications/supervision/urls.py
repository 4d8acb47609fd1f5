from django.urls import path

from applications.supervision import views

app_name = "supervision"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("payments/", views.payment_export_page, name="payments"),
    path("payments.csv", views.payment_export_csv, name="payments_csv"),
    path("payments.xlsx", views.payment_export_xlsx, name="payments_xlsx"),
]
