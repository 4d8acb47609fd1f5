from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from eligibility.api import views as api
from eligibility.screener import views as screener

app_name = "eligibility"

urlpatterns = [
    path("api/v1/screenings", api.ScreeningsView.as_view(), name="api_screenings"),
    path("api/v1/programs", api.ProgrammesView.as_view(), name="api_programs"),
    path("api/v1/schema", SpectacularAPIView.as_view(), name="api_schema"),
    path("screening/", screener.start, name="screening_start"),
    path("screening/results/", screener.results, name="screening_results"),
    path("screening/restart/", screener.restart, name="screening_restart"),
    path("screening/<slug:step>/", screener.step, name="screening_step"),
]
