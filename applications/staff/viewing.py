"""What a member of staff's session has just been shown, so that each look is audited once.

Two marks live in the session, each with the time it was set:

- the documents a case page showed inline: the page's own audit entry ("opened
  the case with its documents …") already records them, so the previews that
  page embeds (``?preview=case``) write no entry of their own within
  ``PREVIEW_WINDOW``. A document opened any other way (its own tab, a link sent
  around, a preview after the window) is audited as before;
- a number revealed by a POST with its reason (audited there): the case page
  the POST redirects to shows it in full once, then masked again.
"""

import time

from applications.models import Application, Document

PREVIEW_WINDOW_SECONDS = 10 * 60
REVEAL_WINDOW_SECONDS = 2 * 60
PREVIEW_PARAMETER = "preview"
PREVIEW_VALUE = "case"

_PREVIEWS = "staff_case_previews"
_REVEALS = "staff_reveals"


def _now() -> float:
    return time.time()


def previews_remember(request, documents) -> None:
    """The case page that lists ``documents`` was audited just now."""
    now = _now()
    marks = {
        pk: at
        for pk, at in request.session.get(_PREVIEWS, {}).items()
        if now - at < PREVIEW_WINDOW_SECONDS  # the session keeps only fresh marks
    }
    marks.update({str(document.pk): now for document in documents})
    request.session[_PREVIEWS] = marks


def preview_already_audited(request, document: Document) -> bool:
    """True for an inline preview of a case page this session opened (and audited) minutes ago."""
    if request.GET.get(PREVIEW_PARAMETER) != PREVIEW_VALUE or not hasattr(request, "session"):
        return False
    at = request.session.get(_PREVIEWS, {}).get(str(document.pk))
    return at is not None and _now() - at < PREVIEW_WINDOW_SECONDS


def reveal_remember(request, application: Application, field: str) -> None:
    reveals = request.session.get(_REVEALS, {})
    reveals.setdefault(application.reference, {})[field] = _now()
    request.session[_REVEALS] = reveals


def reveals_take(request, application: Application) -> list[str]:
    """The fields revealed (and audited) for this case just before; each is handed out once."""
    reveals = request.session.get(_REVEALS, {})
    fields = reveals.pop(application.reference, None)
    if fields is None:
        return []
    request.session[_REVEALS] = reveals
    now = _now()
    return [field for field, at in fields.items() if now - at < REVEAL_WINDOW_SECONDS]
