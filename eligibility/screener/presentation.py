"""Screening results in plain words, for the results page."""

from dataclasses import dataclass
from decimal import Decimal

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eligibility.facts import FACT_FIELDS
from eligibility.results import Amount, ProgrammeResult, Status
from eligibility.screener.flow import STEP_OF_FACT, ScreeningFlow
from eligibility.wording import is_chinese

STATUS_WORDS = {
    Status.ELIGIBLE: (gettext_lazy("You may qualify"), "success"),
    Status.INELIGIBLE: (gettext_lazy("You do not qualify"), "secondary"),
    Status.NEEDS_INFO: (gettext_lazy("We need more information"), "warning"),
    Status.NOT_IN_FORCE: (gettext_lazy("Not available on this date"), "secondary"),
}
SOURCE_TITLES = {
    "000_68a1fcf5d1ed1785.txt": gettext_lazy("Quzhou: new policies to facilitate flexible employment"),
    "001_8e2667f29c5c1bb2.txt": gettext_lazy(
        "General Office of the State Council: opinions on supporting multi-channel flexible employment"
    ),
    "002_f6e820d7d86db059.txt": gettext_lazy("Employment priority strategy for quality job growth"),
    "003_0ca708ce36f5ae5d.txt": gettext_lazy("Hechi: stabilising employment after COVID-19"),
    "004_87cd4aff85bd153c.txt": gettext_lazy(
        "Ministry of Human Resources and Social Security: employment support measures"
    ),
    "local setting": gettext_lazy("A local setting of this portal, not national policy"),
}


def application_start_url(programme_slug: str) -> str:
    """Where to apply for a programme (the applications app; the agreed path if
    that app's URLs are not installed)."""
    try:
        return reverse("applications:new", args=[programme_slug])
    except NoReverseMatch:
        return f"/applications/new/{programme_slug}/"


def money_text(value: Decimal) -> str:
    return _("%(amount)s yuan") % {"amount": f"{value:,.2f}"}


def amount_text(amount: Amount | None) -> str:
    if amount is None:
        return ""
    money = money_text(amount.value)
    if amount.per == "month":
        return _("%(money)s a month, for up to %(months)s months") % {"money": money, "months": amount.max_periods}
    if amount.per == "loan":
        return _("A loan of up to %(money)s") % {"money": money}
    return _("%(money)s, paid once") % {"money": money}


@dataclass(frozen=True)
class CriterionView:
    passed: bool | None
    explanation: str
    source: str


@dataclass(frozen=True)
class MissingFact:
    label: str
    url: str


@dataclass(frozen=True)
class ProgrammeView:
    slug: str
    title: str
    summary: str
    status: str
    status_text: str
    status_colour: str
    amount_text: str
    criteria: list[CriterionView]
    reasons_against: list[str]  # explanations of the conditions not met, shown first
    missing: list[MissingFact]
    apply_url: str


def change_url(step_slug: str) -> str:
    return reverse("eligibility:screening_step", args=[step_slug]) + "?change=1"


def programme_views(results: list[ProgrammeResult]) -> list[ProgrammeView]:
    chinese = is_chinese()
    views = []
    for result in results:
        words, colour = STATUS_WORDS[result.status]
        programme = result.programme
        summary = (programme.summary_zh if chinese else programme.summary_en) if programme else ""
        views.append(
            ProgrammeView(
                slug=result.programme_slug,
                title=result.title,
                summary=summary,
                status=str(result.status),
                status_text=str(words),
                status_colour=colour,
                amount_text=amount_text(result.amount),
                criteria=[
                    CriterionView(
                        passed=criterion.passed,
                        explanation=criterion.explanation(),
                        source=str(SOURCE_TITLES.get(criterion.source, criterion.source)),
                    )
                    for criterion in result.criteria
                ],
                reasons_against=(
                    [criterion.explanation() for criterion in result.criteria if criterion.passed is False]
                    if result.status == Status.INELIGIBLE
                    else []
                ),
                missing=[
                    MissingFact(
                        label=str(FACT_FIELDS[fact].label),
                        url=change_url(STEP_OF_FACT[fact].slug) if fact in STEP_OF_FACT else "",
                    )
                    for fact in result.missing_facts
                ],
                apply_url=application_start_url(result.programme_slug) if result.status == Status.ELIGIBLE else "",
            )
        )
    return views


@dataclass(frozen=True)
class AnswerView:
    question: str
    answer: str
    url: str


def answer_views(flow: ScreeningFlow) -> list[AnswerView]:
    """The answers that count, question by question, with a link to change each."""
    rows = []
    for planned in flow.plan:
        for question in planned.questions:
            if not flow.is_answered(question):
                continue
            value = flow.answers.get(question.fact)
            answer = question.display(value) if value is not None else _("Not given")
            rows.append(AnswerView(str(question.label), answer, change_url(planned.step.slug)))
    return rows
