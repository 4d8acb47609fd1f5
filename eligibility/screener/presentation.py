"""Screening results in plain words, for the results page.

The page is read in the order a person acts on it (issue 9, 3a): what they can
apply for, with the money added up; what one more answer would decide; the
rest, folded away. When every programme fails on one condition they all share
(the region served, working age), one message says why, instead of eight.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eligibility.facts import FACT_FIELDS
from eligibility.results import Amount, ProgrammeResult, Status
from eligibility.rules.amounts import money
from eligibility.rules.programmes import IsOfWorkingAge, LivesInRegionServed
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

# What a programme gives, for the order of the applicable ones and the total.
CASH = "cash"
LOAN = "loan"
SERVICE = "service"
KIND_ORDER = (CASH, LOAN, SERVICE)


def application_start_url(programme_slug: str) -> str:
    """Where to apply for a programme (the applications app; the agreed path if
    that app's URLs are not installed)."""
    try:
        return reverse("applications:new", args=[programme_slug])
    except NoReverseMatch:
        return f"/applications/new/{programme_slug}/"


def amount_kind(amount: Amount | None) -> str:
    """A tax deduction (``per == "year"``) is not paid by this portal: a service."""
    if amount is None or amount.per == "year":
        return SERVICE
    return LOAN if amount.per == "loan" else CASH


def amount_in_all(amount: Amount) -> Decimal:
    """What a cash amount comes to if paid in full: a monthly amount for its
    most months, or the one-off sum. A loan is not income: it is repaid."""
    if amount.per == "loan":
        return Decimal("0.00")
    if amount.per == "month":
        return money(amount.value * (amount.max_periods or 0))
    if amount.per == "year":  # a tax deduction: not paid, not counted
        return Decimal("0.00")
    return money(amount.value)


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
class SeeAlsoView:
    slug: str
    title: str
    reason: str


@dataclass(frozen=True)
class ProgrammeView:
    slug: str
    title: str
    summary: str
    status: str
    status_text: str
    status_colour: str
    amount: Amount | None  # shown with templates/applications/partials/amount.html
    amount_explanation: str  # how the amount is computed, local settings labelled ("" without an amount)
    kind: str  # CASH, LOAN or SERVICE
    criteria: list[CriterionView]
    reasons_against: list[CriterionView]  # the conditions not met, shown first
    missing: list[MissingFact]
    apply_url: str
    see_also: list[SeeAlsoView] = ()  # other programmes this result points to (issue 13, item 2)
    decided_by: str = ""  # who decides, when a partner does and not this portal


def change_url(step_slug: str) -> str:
    return reverse("eligibility:screening_step", args=[step_slug]) + "?change=1"


def _criterion_view(criterion) -> CriterionView:
    return CriterionView(
        passed=criterion.passed,
        explanation=criterion.explanation(),
        source=str(SOURCE_TITLES.get(criterion.source, criterion.source)),
    )


def programme_view(
    result: ProgrammeResult, *, chinese: bool | None = None, titles: dict[str, str] | None = None
) -> ProgrammeView:
    """``titles``: programme titles by slug, to name the programmes a result links to."""
    chinese = is_chinese() if chinese is None else chinese
    words, colour = STATUS_WORDS[result.status]
    programme = result.programme
    summary = (programme.summary_zh if chinese else programme.summary_en) if programme else ""
    return ProgrammeView(
        slug=result.programme_slug,
        title=result.title,
        summary=summary,
        status=str(result.status),
        status_text=str(words),
        status_colour=colour,
        amount=result.amount,
        amount_explanation=(result.amount_explanation() or "") if result.amount else "",
        kind=amount_kind(result.amount),
        criteria=[_criterion_view(criterion) for criterion in result.criteria],
        reasons_against=(
            [_criterion_view(criterion) for criterion in result.criteria if criterion.passed is False]
            if result.status in (Status.INELIGIBLE, Status.NOT_IN_FORCE)
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
        see_also=[
            SeeAlsoView(link["program"], (titles or {}).get(link["program"], link["program"]), link["reason"])
            for link in result.see_also_dicts()
        ],
        decided_by=result.decided_by_text() or "",
    )


def programme_views(results: list[ProgrammeResult]) -> list[ProgrammeView]:
    chinese = is_chinese()
    titles = {result.programme_slug: result.title for result in results}
    return [programme_view(result, chinese=chinese, titles=titles) for result in results]


@dataclass(frozen=True)
class CommonBar:
    """Every programme fails on one condition they all share: said once, with
    what the person can do about it."""

    criterion_id: str
    title: str
    reason: str  # the engine's explanation, the same for every programme
    advice: str
    change_label: str
    change_url: str


# The conditions every programme has (``EVERY_PROGRAMME`` of the rules), each with the fact
# a person may have mistyped and what to say when it rules everything out.
_COMMON_BARS = {
    LivesInRegionServed.id: (
        "region",
        gettext_lazy("These programmes are for people who live in Quzhou"),
        gettext_lazy(
            "The support where you live is run by your local human resources and social security office: "
            "ask them, or call 12333. If you do live in Quzhou, change your answer."
        ),
        gettext_lazy("Change where you live"),
    ),
    IsOfWorkingAge.id: (
        "birth_date",
        gettext_lazy("These programmes are for people of working age"),
        gettext_lazy(
            "For a pension or other support, call 12333, the human resources and social security hotline. "
            "If your date of birth is wrong, change it."
        ),
        gettext_lazy("Change your date of birth"),
    ),
}


def common_bar(results: list[ProgrammeResult]) -> CommonBar | None:
    """The shared condition that every programme in force fails, if there is one
    (the region before the age: outside the region, nothing here applies)."""
    in_force = [result for result in results if result.status != Status.NOT_IN_FORCE]
    if not in_force:
        return None
    for criterion_id, (fact, title, advice, change_label) in _COMMON_BARS.items():
        failed = [
            next((c for c in result.criteria if c.id == criterion_id and c.passed is False), None)
            for result in in_force
        ]
        if all(failed):
            step = STEP_OF_FACT.get(fact)
            return CommonBar(
                criterion_id=criterion_id,
                title=str(title),
                reason=failed[0].explanation(),
                advice=str(advice),
                change_label=str(change_label),
                change_url=change_url(step.slug) if step else "",
            )
    return None


@dataclass(frozen=True)
class ResultsPage:
    applicable: list[ProgrammeView]  # eligible: cash first, then the loan, then services
    needs_answer: list[ProgrammeView]
    others: list[ProgrammeView]  # not eligible or not in force, folded away
    cash_total: Decimal | None  # all cash programmes paid in full; None when none pays cash
    loan_max: Decimal | None  # the most that can be borrowed, not counted as income
    services: list[ProgrammeView]  # applicable programmes that pay no cash
    bar: CommonBar | None

    @property
    def programmes(self) -> list[ProgrammeView]:
        return [*self.applicable, *self.needs_answer, *self.others]


def results_page(results: list[ProgrammeResult]) -> ResultsPage:
    views = programme_views(results)
    applicable = sorted(
        (view for view in views if view.status == Status.ELIGIBLE), key=lambda view: KIND_ORDER.index(view.kind)
    )
    cash = [view.amount for view in applicable if view.kind == CASH]
    loans = [view.amount.value for view in applicable if view.kind == LOAN]
    return ResultsPage(
        applicable=applicable,
        needs_answer=[view for view in views if view.status == Status.NEEDS_INFO],
        others=[view for view in views if view.status in (Status.INELIGIBLE, Status.NOT_IN_FORCE)],
        cash_total=money(sum((amount_in_all(amount) for amount in cash), Decimal("0"))) if cash else None,
        loan_max=max(loans) if loans else None,
        services=[view for view in applicable if view.kind == SERVICE],
        bar=common_bar(results),
    )


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
