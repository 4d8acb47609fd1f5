"""Session lifetime and the staff second factor, checked on every request."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.accounts.two_factor import is_enrolled, session_is_verified, two_factor_required

LOGIN_AT = "linghuo_login_at"
SEEN_AT = "linghuo_seen_at"
# The last-seen time is written at most this often, not on every request.
SEEN_RESOLUTION = 60


def session_limits(user) -> tuple[float, float | None]:
    """(idle, total) in seconds; staff get both limits, citizens only the idle one."""
    if two_factor_required(user):
        return settings.LINGHUO_STAFF_SESSION_IDLE.total_seconds(), settings.LINGHUO_STAFF_SESSION_MAX.total_seconds()
    return settings.LINGHUO_CITIZEN_SESSION_IDLE.total_seconds(), None


def session_started(session, now: float | None = None) -> None:
    now = time.time() if now is None else now
    session[LOGIN_AT] = now
    session[SEEN_AT] = now


class SessionExpiryMiddleware:
    """Ends a session left idle too long (staff 30 minutes, citizens 2 hours) or,
    for staff, open 12 hours in all; the login page then says why."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self.expired(request, user)
            if expired:
                logout(request)
                messages.info(request, expired)
                return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    def expired(self, request, user) -> str | None:
        now = time.time()
        session = request.session
        started, seen = session.get(LOGIN_AT), session.get(SEEN_AT)
        if started is None or seen is None:
            session_started(session, now)
            return None
        idle, total = session_limits(user)
        if now - seen > idle:
            minutes = round(idle / 60)
            return _(
                "You were logged out after %(minutes)d minutes without activity, to protect your data. Log in again."
            ) % {"minutes": minutes}
        if total is not None and now - started > total:
            return _("You were logged out because a staff session lasts at most %(hours)d hours. Log in again.") % {
                "hours": round(total / 3600)
            }
        if now - seen >= SEEN_RESOLUTION:
            session[SEEN_AT] = now
        return None


# What an account that still owes its second factor may open.
TWO_FACTOR_OPEN_URLS = ("accounts:two_factor", "accounts:two_factor_enrol", "accounts:logout", "language_set")
TWO_FACTOR_OPEN_PREFIXES = ("/static/", "/healthz", "/favicon.ico")


class TwoFactorRequiredMiddleware:
    """Staff who typed their password but not yet their code, or who have no
    authenticator yet, can do nothing else: every page sends them to the code
    page or to enrolment, and back afterwards."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._open_paths: set[str] | None = None

    def open_paths(self) -> set[str]:
        if self._open_paths is None:
            self._open_paths = {reverse(name) for name in TWO_FACTOR_OPEN_URLS}
        return self._open_paths

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            two_factor_required(user)
            and not session_is_verified(request)
            and request.path not in self.open_paths()
            and not request.path.startswith(TWO_FACTOR_OPEN_PREFIXES)
        ):
            target = "accounts:two_factor" if is_enrolled(user) else "accounts:two_factor_enrol"
            next_url = request.get_full_path() if request.method == "GET" else ""
            query = f"?{urlencode({'next': next_url})}" if next_url and next_url != "/" else ""
            return redirect(reverse(target) + query)
        return self.get_response(request)
