from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


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
