"""The portal's URLs plus the trivial JSON view the bench compares the screening API with."""

from django.http import JsonResponse
from django.urls import include, path


def trivial(request):
    """The stack's own limit: routing, every middleware and a JSON answer, no work."""
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/trivial", trivial, name="bench_trivial"),
    path("", include("portal.urls")),
]
