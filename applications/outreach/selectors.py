"""Reads of outreach: the invitation page, the marks on pre-filled answers, what a department holds."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Max, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from applications.models import Application
from applications.outreach.models import IdentityAttempt, Invitation, PrefilledFact
from applications.outreach.services.attempts import ACCOUNT, INVITATION, AttemptLock
from applications.outreach.services.prefill import _same, current_answer, registry_answer
from eligibility.fact_labels import staff_fact_label
from eligibility.facts import FACT_FIELDS
from eligibility.registry.models import department_label
from eligibility.results import Amount
from eligibility.screener.questions import QUESTIONS, application_question
from portal.sms import masked_number


def provided_by(code: str, on: date | None) -> str:
    """“Provided by <department> on <date>”, as each pre-filled answer is marked."""
    department = department_label(code)
    if on is None:
        return _("Provided by %(department)s") % {"department": department}
    return _("Provided by %(department)s on %(date)s") % {
        "department": department,
        "date": date_format(on, "DATE_FORMAT"),
    }


def invitation_for_token(token) -> Invitation:
    return get_object_or_404(Invitation.objects.select_related("person", "programme", "message"), token=token)


def identity_attempts_lock(*, invitation: Invitation, account, now=None) -> AttemptLock | None:
    """The refusal of identity numbers in force for ``account`` on ``invitation`` (too many wrong
    numbers for the invitation, or by the account), the one that ends last; None when none is."""
    now = now or timezone.now()
    on_invitation = Q(invitation=invitation, invitation_locked_until__gt=now)
    by_account = Q(account=account, account_locked_until__gt=now)
    ends = IdentityAttempt.objects.filter(on_invitation | by_account).aggregate(
        invitation=Max("invitation_locked_until", filter=on_invitation),
        account=Max("account_locked_until", filter=by_account),
    )
    locks = [AttemptLock(scope=scope, until=ends[scope]) for scope in (INVITATION, ACCOUNT) if ends[scope]]
    return max(locks, key=lambda lock: lock.until, default=None)


@dataclass(frozen=True)
class InvitedProgramme:
    invitation: Invitation
    amount: Amount | None  # shown with templates/applications/partials/amount.html


@dataclass(frozen=True)
class KnownFact:
    question: str
    department: str
    on: date | None


@dataclass(frozen=True)
class InvitationPage:
    invitation: Invitation
    name_initial: str
    masked_mobile: str
    programmes: list[InvitedProgramme]
    known: list[KnownFact]

    @property
    def shown(self) -> list[Invitation]:
        return [item.invitation for item in self.programmes]


def invitation_page(invitation: Invitation) -> InvitationPage:
    """What the page of an invitation link shows: the programmes the person is invited to (this
    one and the others of the same person), their amounts as matched, and which facts the
    departments provided, with no value that would tell a stranger holding the link more than
    the first character of the name and a masked mobile number."""
    from eligibility.matching.models import MatchResult

    person = invitation.person
    invitations = list(
        Invitation.objects.filter(person=person).select_related("programme").order_by("programme__position", "pk")
    )
    results = {
        result.programme_id: result
        for result in MatchResult.objects.filter(person=person, programme_id__in=[i.programme_id for i in invitations])
    }
    programmes = []
    for item in invitations:
        result = results.get(item.programme_id)
        amount = None
        if result is not None and result.amount is not None and result.per in ("month", "once", "loan"):
            amount = Amount(value=result.amount, per=result.per, max_periods=result.max_periods)
        programmes.append(InvitedProgramme(invitation=item, amount=amount))
    sources = person.fact_sources or {}
    known = []
    for name in FACT_FIELDS:
        entry = sources.get(name)
        if name not in (person.facts or {}) or not isinstance(entry, dict):
            continue
        try:
            on = date.fromisoformat(str(entry.get("on")))
        except ValueError:
            on = None
        question = QUESTIONS.get(name)
        known.append(
            KnownFact(
                question=str(application_question(name).label if question else staff_fact_label(name)),
                department=department_label(str(entry.get("source", ""))),
                on=on,
            )
        )
    name = person.full_name or ""
    return InvitationPage(
        invitation=invitation,
        name_initial=f"{name[:1]}*" if name else "",
        masked_mobile=masked_number(person.mobile) if person.mobile else "",
        programmes=programmes,
        known=known,
    )


def prefilled_rows(application: Application) -> list[PrefilledFact]:
    return list(application.prefilled_facts.all())


def prefill_marks(application: Application, rows: list[PrefilledFact] | None = None) -> dict[str, str]:
    """For each answer taken from the registry and not corrected: its mark, by answer name."""
    rows = prefilled_rows(application) if rows is None else rows
    return {row.fact: provided_by(row.source, row.provided_on) for row in rows if row.corrected_at is None}


def department_held_facts(application: Application) -> frozenset[str]:
    """The facts of this application that a department provided and the person kept as they were."""
    return frozenset(
        row.fact
        for row in prefilled_rows(application)
        if row.corrected_at is None and _same(current_answer(application, row.fact), registry_answer(row))
    )


@dataclass(frozen=True)
class PrefilledAnswer:
    label: str
    provided: str
    corrected: bool
    confirmed: bool


def prefilled_answers_for_staff(application: Application) -> list[PrefilledAnswer]:
    """What the caseworker reads of the answers taken from the registry: who provided each,
    and which the applicant corrected."""
    personal = {"full_name": _("Full name"), "mobile": _("Mobile number")}
    return [
        PrefilledAnswer(
            label=str(personal.get(row.fact) or staff_fact_label(row.fact)),
            provided=provided_by(row.source, row.provided_on),
            corrected=row.corrected_at is not None,
            confirmed=row.confirmed_at is not None,
        )
        for row in prefilled_rows(application)
    ]
