from django.conf import settings


def portal(request) -> dict:
    user = getattr(request, "user", None)
    roles = user.role_names() if user is not None and user.is_authenticated else set()
    return {
        "portal_region_code": settings.LINGHUO_REGION_CODE,
        "user_roles": roles,
    }
