"""Lockout after repeated wrong passwords (django-axes), per account and per address.

The citizen and staff login (``/accounts/login/``) and the admin site's login
all authenticate through Django's ``authenticate(request, …)``, so the axes
backend, first in ``AUTHENTICATION_BACKENDS``, sees every attempt with its
request. The limits are in the settings (``AXES_ACCOUNT_FAILURE_LIMIT``,
``AXES_ADDRESS_FAILURE_LIMIT``, ``AXES_COOLOFF_TIME``), with why they are what
they are.
"""

from datetime import datetime

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Max, Sum
from django.shortcuts import render
from django.utils import timezone

from portal.accounts.identifiers import parse_identifier


def account_key(request, credentials: dict | None) -> str | None:
    """The account an attempt is against, whichever identifier was typed.

    A person logs in with the mobile number or the e-mail address; a guesser
    alternating the two must not get twice the tries. An identifier with no
    account is counted under its normalised form, so the answer (and the
    lockout) is the same as for a real account: nobody learns who is registered.
    """
    from portal.accounts.backends import find_user_by_identifier

    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = request.POST.get("username")
    if not raw:
        return None
    user = find_user_by_identifier(raw)
    if user is not None:
        return user.get_username()
    try:
        return parse_identifier(raw).value
    except ValidationError:
        return raw.strip().lower()[:254]


def client_address(request) -> str | None:
    """The address the attempt came from, as the first trusted proxy saw it.

    Same rule as the API's rate limit (``NUM_PROXIES``): with no proxy, the
    socket's address; behind N proxies, the N-th address from the right of
    X-Forwarded-For, which a client cannot forge.
    """
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES", 0) or 0
    remote = request.META.get("REMOTE_ADDR")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return remote


class PortalLockoutHandler(AxesDatabaseHandler):
    """Two limits where axes has one: the account's count against
    ``AXES_ACCOUNT_FAILURE_LIMIT``, the address's against the larger
    ``AXES_ADDRESS_FAILURE_LIMIT``.

    Axes compares one number with ``AXES_FAILURE_LIMIT`` (set to the account
    limit); the address count is shifted down by the difference of the two
    limits, so that it reaches that number exactly at its own limit.
    """

    def failure_counts(self, request, credentials: dict | None = None) -> tuple[int, int]:
        by_account, by_address = self.get_user_attempts(request, credentials)
        return (
            by_account.aggregate(total=Sum("failures_since_start"))["total"] or 0,
            by_address.aggregate(total=Sum("failures_since_start"))["total"] or 0,
        )

    def get_failures(self, request, credentials: dict | None = None) -> int:
        by_account, by_address = self.failure_counts(request, credentials)
        allowance = settings.AXES_ADDRESS_FAILURE_LIMIT - settings.AXES_ACCOUNT_FAILURE_LIMIT
        return max(by_account, by_address - allowance)

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        # A right password clears its own account's count only: a guesser with
        # one account of their own must not wipe the count of their address.
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count

    def locked_until(self, request, credentials: dict | None = None) -> datetime:
        """When the lockout that holds this request ends."""
        latest = [
            attempts.aggregate(latest=Max("attempt_time"))["latest"]
            for attempts in self.get_user_attempts(request, credentials)
        ]
        latest = [moment for moment in latest if moment is not None]
        return (max(latest) if latest else timezone.now()) + settings.AXES_COOLOFF_TIME


def account_unlock(*, username: str) -> int:
    """Ends a lockout of one account (after the person reset their password)."""
    count, _ = AccessAttempt.objects.filter(username=username).delete()
    return count


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out attempt gets, in the person's language: until when, and the way out."""
    until = timezone.localtime(PortalLockoutHandler().locked_until(request, credentials))
    return render(
        request,
        "accounts/locked_out.html",
        {"until": until, "until_time": until.strftime("%H:%M")},
        status=429,  # Too Many Requests, as axes answers by default
    )
