from django.conf import settings


def remember_language(response, language: str) -> None:
    """Keeps the person's language choice in a cookie for a year."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=getattr(settings, "LANGUAGE_COOKIE_SECURE", False),
    )


def join_list(items) -> str:
    """Joins names for a sentence in the active language: 身份证、毕业证书 in Chinese, "a, b" in English."""
    from django.utils import translation

    separator = "、" if (translation.get_language() or "").startswith("zh") else ", "
    return separator.join(str(item) for item in items)
