from urllib.parse import unquote

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers


class NullByteMiddleware:
    """A null byte in the path, the query or a header answers 400 before any
    code reads it: nothing downstream (the database, logs, axes, file names)
    has to cope with one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Answered before the language is chosen, so in both languages.
        if self.has_null_byte(request):
            message = "Bad request: the address or a header contains a null character. / 请求的地址或请求头含有空字符。"
            if request.path.startswith("/api/"):  # the API's one error shape (eligibility.api.errors)
                return JsonResponse({"errors": {"request": [message]}}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def has_null_byte(request) -> bool:
        if "\x00" in request.path or "\x00" in request.path_info:
            return True
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in query or "\x00" in unquote(query):
            return True
        return any(
            "\x00" in value
            for key, value in request.META.items()
            if isinstance(value, str) and (key.startswith("HTTP_") or key in {"CONTENT_TYPE", "CONTENT_LENGTH"})
        )


# Pages under these paths show or lead to personal data whoever asks.
PERSONAL_PREFIXES = ("/applications/", "/staff/", "/supervision/", "/admin/", "/accounts/")


class PersonalDataNoStoreMiddleware:
    """``Cache-Control: no-store`` on every page with personal data: every
    response to a logged-in person, and every page under the personal paths,
    so that neither a shared computer's browser nor a proxy keeps a copy.
    Static files are served before this middleware and keep their caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        logged_in = user is not None and user.is_authenticated
        if logged_in or request.path.startswith(PERSONAL_PREFIXES):
            patch_cache_control(response, no_store=True, private=True)
            if "max-age" in response.get("Cache-Control", ""):
                patch_cache_control(response, max_age=0)
        return response


class PortalLocaleMiddleware:
    """Chooses the language of each response.

    Pages: the language the person chose (cookie), else Simplified Chinese,
    whatever the browser says, because the service is Chinese first and English
    is one click away. The API: the request's Accept-Language, as the catalogue
    specifies, else Simplified Chinese.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        language = self.language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response

    def language_for(self, request) -> str:
        if request.path.startswith("/api/"):
            header = request.headers.get("Accept-Language", "")
            for part in header.split(","):
                code = part.split(";")[0].strip().lower()
                try:
                    language = translation.get_supported_language_variant(code)
                except LookupError:
                    continue
                if language in self.supported:
                    return language
            return settings.LANGUAGE_CODE
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if chosen in self.supported:
            return chosen
        return settings.LANGUAGE_CODE
