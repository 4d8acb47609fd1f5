"""The confirmation a browser session is waiting for, kept in the session.

After registering, the person is not logged in yet (so that the page cannot
differ between a new and an existing identifier); the session remembers which
identifier the "we sent you a code" page is about and where to go afterwards.
"""

from portal.accounts.identifiers import Identifier

PENDING_KEY = "accounts.pending_confirmation"


def remember(request, identifier: Identifier, next_url: str = "") -> None:
    request.session[PENDING_KEY] = {"kind": identifier.kind, "value": identifier.value, "next": next_url or ""}


def remember_target(request, next_url: str) -> None:
    """Where a logged-in, unconfirmed account goes once confirmed."""
    request.session[PENDING_KEY] = {**(request.session.get(PENDING_KEY) or {}), "next": next_url}


def forget(request) -> None:
    request.session.pop(PENDING_KEY, None)


def pending_identifier(request) -> tuple[Identifier | None, str]:
    """Whose identifier the confirmation page is about, and where to go afterwards."""
    pending = request.session.get(PENDING_KEY) or {}
    next_url = pending.get("next", "")
    user = request.user
    if user.is_authenticated:
        if user.is_confirmed:
            return None, next_url
        if user.mobile:
            return Identifier("mobile", user.mobile), next_url
        return Identifier("email", user.email), next_url
    if pending.get("kind") in {"mobile", "email"} and pending.get("value"):
        return Identifier(pending["kind"], pending["value"]), next_url
    return None, ""
