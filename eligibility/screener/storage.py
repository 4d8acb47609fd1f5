"""The screener's answers live in a signed cookie in the person's browser, not in
the database: the screener stores nothing about the person (catalogue, section 5).
The cookie ends when the browser is closed, or when the person starts again."""

from django.conf import settings
from django.core import signing

COOKIE_NAME = "linghuo_screening"
SALT = "eligibility.screener.answers"
MAX_AGE = 60 * 60 * 24  # seconds an answer set stays readable, even in a browser left open


def screening_answers(request) -> dict[str, object]:
    """The facts the person's screener answers establish, in wire form (catalogue,
    section 2), for pre-filling an application: only answers to questions that
    apply, given the other answers (``{}`` when there are none)."""
    from eligibility.screener.flow import ScreeningFlow

    answers = stored_answers(request)
    return ScreeningFlow(answers).wire_facts() if answers else {}


def stored_answers(request) -> dict[str, object]:
    """Every answer given so far, by fact, in wire form, including answers that no
    longer apply and ``None`` for an optional question left empty (``{}`` when
    none or unreadable)."""
    value = request.COOKIES.get(COOKIE_NAME)
    if not value:
        return {}
    try:
        answers = signing.loads(value, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return {}
    return answers if isinstance(answers, dict) else {}


def screening_answers_keep(response, answers: dict[str, object]) -> None:
    response.set_cookie(
        COOKIE_NAME,
        signing.dumps(answers, salt=SALT, compress=True),
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def screening_answers_forget(response) -> None:
    response.delete_cookie(COOKIE_NAME, samesite="Lax")
