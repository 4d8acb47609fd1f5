from django.utils.http import url_has_allowed_host_and_scheme


def safe_target(request, target: str | None) -> str:
    """``target`` if it is a page of this site, else "" (never another site)."""
    # A word without "/" would be taken by redirect() for a view name: not a page, and a 500.
    if (
        target
        and "/" in target
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return ""
