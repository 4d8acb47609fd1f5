from django.urls import path

from applications.budgets import views

app_name = "budgets"

urlpatterns = [
    path("", views.budgets, name="budgets"),
]
