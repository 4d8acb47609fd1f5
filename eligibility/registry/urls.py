from django.urls import path

from eligibility.registry import views

app_name = "registry"

urlpatterns = [
    path("imports/", views.imports, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/status/", views.import_status, name="import_status"),
    path("persons/", views.person_lookup, name="person_lookup"),
]
