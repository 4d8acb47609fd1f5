from django.conf import settings
from django.http import HttpResponsePermanentRedirect, HttpResponseRedirect, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.accounts.services import user_set_language
from portal.health import health_report
from portal.language import remember_language
from portal.redirects import safe_target


def home(request):
    return render(request, "home.html")


@require_POST
def language_set(request):
    """Switches the language and keeps the choice (cookie, and the account's preference)."""
    language = request.POST.get("language", "")
    target = safe_target(request, request.POST.get("next") or request.headers.get("Referer")) or "/"
    response = HttpResponseRedirect(target)
    if language in dict(settings.LANGUAGES):
        remember_language(response, language)
        if request.user.is_authenticated:
            user_set_language(user=request.user, language=language)
    return response


@never_cache
@require_GET
def healthz_live(request):
    """The process answers: nothing else is asked (a restart would not help it)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def healthz_ready(request):
    """Whether to send people here: 200 while the database answers, Redis or not
    (``"broker": "degraded"``); 503 without the database. Also at /healthz."""
    report = health_report()
    return JsonResponse(report, status=200 if report["ready"] else 503)


@require_GET
def favicon(request):
    # Browsers ask for /favicon.ico whatever the page links to; the file lives with the static files.
    return HttpResponsePermanentRedirect(static("favicon.ico"))


def page_not_found(request, exception):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    # No request context, as Django's own handler: the failure may be in what a
    # context processor reads (the database, the session).
    return HttpResponseServerError(loader.get_template("errors/500.html").render())


def permission_denied(request, exception):
    return render(request, "errors/403.html", status=403)


def bad_request(request, exception):
    return render(request, "errors/400.html", status=400)
