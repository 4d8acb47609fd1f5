"""A citizen's side of an application: draft, steps, submission, withdrawal, answers."""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.documents import application_required_documents
from applications.models import OPEN_STATUSES, Application, CaseEvent, Document, Status
from applications.services.entitlements import entitlement_claim_problem, entitlement_lock
from applications.services.notifications import notify_applicant
from applications.services.transitions import application_transition
from eligibility.engine import evaluate
from eligibility.facts import FactsInvalid, parse_facts
from eligibility.models import Programme
from eligibility.parameter_cache import parameters_in_force
from eligibility.regions import same_city, served_region_name
from eligibility.results import ProgrammeResult
from eligibility.rules import PROGRAMMES
from portal.language import join_list

STEPS = ("personal", "situation", "project", "payment", "documents")
# The name of each step as its page heading says it, for messages that point back to it.
STEP_TITLES = {
    "personal": gettext_lazy("About you"),
    "situation": gettext_lazy("Your situation"),
    "project": gettext_lazy("The project"),
    "payment": gettext_lazy("Where we pay you"),
    "documents": gettext_lazy("Documents"),
}


# The key of ``ApplicationIncomplete.problems`` that says the person has nothing left of the programme.
ENTITLEMENT_PROBLEM = "entitlement"


class ApplicationIncomplete(Exception):
    """The application cannot be submitted yet; ``problems`` says what is missing, per step."""

    def __init__(self, problems: dict[str, list[str]]):
        self.problems = problems
        super().__init__("; ".join(message for messages in problems.values() for message in messages))


class AlreadyApplied(Exception):
    """The person already has an open application for this programme."""

    def __init__(self, application: Application):
        self.application = application
        super().__init__(str(application))


def steps_for(application: Application) -> tuple[str, ...]:
    """The form's steps. Only a programme the portal pays (it ends in a payment schedule,
    not in a partner's service: ``ProgrammeRules.fulfilment`` is None) asks for a bank
    account — not the loan, which the partner bank pays out, nor the tax deduction. Only a
    programme that asks for more (the construction project of a project cover) has that step."""
    from applications.services.fulfilment import PROGRAMME_DETAILS_STEP, programme_details_fields

    skipped = set()
    rules = PROGRAMMES.get(application.programme.slug)
    if application.programme.per == Programme.Per.NONE or (rules is not None and rules.fulfilment is not None):
        skipped.add("payment")
    if not programme_details_fields(application.programme):
        skipped.add(PROGRAMME_DETAILS_STEP)
    return tuple(step for step in STEPS if step not in skipped)


def first_unfinished_step(application: Application) -> str | None:
    """Where a person picks a draft up again: the first step not yet done, or None when all are."""
    for step in steps_for(application):
        if step not in application.completed_steps:
            return step
    if missing_document_kinds(application):
        return "documents"
    return None


@transaction.atomic
def application_start(*, applicant, programme: Programme, facts: dict | None = None) -> Application:
    """Opens a draft, pre-filled with the facts of a screening; returns the open one if there is one.

    Two clicks on "Apply" make one draft: the unique constraint on open
    applications settles a race between them.
    """
    existing = Application.objects.filter(applicant=applicant, programme=programme, status__in=OPEN_STATUSES).first()
    if existing is not None:
        if existing.status != Status.DRAFT:
            raise AlreadyApplied(existing)
        return existing
    clean_facts = dict(facts or {})
    _check_region_served(clean_facts.get("region"))
    try:
        with transaction.atomic():
            application = Application.objects.create(
                applicant=applicant,
                programme=programme,
                facts=clean_facts,
                screening_facts=sorted(clean_facts),
                region=_default_region(),
                mobile=applicant.mobile or "",
            )
    except IntegrityError:
        return Application.objects.get(applicant=applicant, programme=programme, status__in=OPEN_STATUSES)
    CaseEvent.objects.create(application=application, actor=applicant, to_status=Status.DRAFT, note="")
    return application


def _default_region() -> str:
    return settings.LINGHUO_REGION_CODE


def _check_region_served(region: object) -> None:
    """An application is handled in the region this portal serves: a district of
    it, never another region (the case's ``region`` is the region served, whose
    staff decide it)."""
    if region and not (isinstance(region, str) and same_city(region, settings.LINGHUO_REGION_CODE)):
        raise ValidationError(
            _("This portal takes applications from %(city)s only: choose your district or county in %(city)s.")
            % {"city": served_region_name()},
            code="region_not_served",
        )


def _ensure_draft(application: Application) -> None:
    if application.status != Status.DRAFT:
        raise ValidationError(_("This application has been sent and can no longer be changed."), code="not_draft")


def _mark_done(application: Application, step: str) -> list[str]:
    if step not in application.completed_steps:
        application.completed_steps = [*application.completed_steps, step]
    return ["completed_steps"]


@transaction.atomic
def application_save_personal(
    *, application: Application, full_name: str, id_number: str, birth_date: date, mobile: str, address: str
) -> Application:
    _ensure_draft(application)
    application.full_name = full_name
    application.id_number = id_number
    application.mobile = mobile
    application.address = address
    application.facts = {**application.facts, "birth_date": birth_date.isoformat()}
    personal = ["full_name", "id_number", "id_number_hash", "mobile", "address"]  # the hash follows the number
    fields = [*personal, "facts", *_mark_done(application, "personal")]
    application.save(update_fields=[*fields, "updated_at"])
    _registry_answers_compared(application, "personal")
    return application


def _registry_answers_compared(application: Application, step: str) -> None:
    """Answers taken from a department's registry are confirmed or flagged as corrected (``applications.outreach``)."""
    from applications.outreach.services import prefill_compare

    prefill_compare(application=application, step=step)


@transaction.atomic
def application_save_facts(*, application: Application, facts: dict) -> Application:
    """Keeps the answers about the person's situation (wire form, checked by ``parse_facts``)."""
    _ensure_draft(application)
    merged = {key: value for key, value in {**application.facts, **facts}.items() if value is not None}
    try:
        parse_facts(merged)
    except FactsInvalid as invalid:
        raise ValidationError([message for messages in invalid.errors.values() for message in messages]) from None
    _check_region_served(merged.get("region"))
    application.facts = merged
    fields = ["facts", *_mark_done(application, "situation")]
    application.save(update_fields=[*fields, "updated_at"])
    _registry_answers_compared(application, "situation")
    return application


@transaction.atomic
def application_save_payment(*, application: Application, bank_name: str, bank_account: str) -> Application:
    _ensure_draft(application)
    application.bank_name = bank_name
    application.bank_account = bank_account
    fields = ["bank_name", "bank_account", *_mark_done(application, "payment")]
    application.save(update_fields=[*fields, "updated_at"])
    return application


@transaction.atomic
def application_mark_documents_done(*, application: Application) -> Application:
    _ensure_draft(application)
    missing = missing_documents(application)
    if missing:
        raise ApplicationIncomplete({"documents": [_("Upload: %(kinds)s.") % {"kinds": join_list(missing)}]})
    application.save(update_fields=[*_mark_done(application, "documents"), "updated_at"])
    return application


def missing_document_kinds(application: Application) -> list[str]:
    """The required document kinds with no file yet, in the order the documents step lists them."""
    have = {document.kind for document in application.documents.all()}
    return [kind for kind in application_required_documents(application) if kind not in have]


def missing_documents(application: Application) -> list[str]:
    return [str(Document.Kind(kind).label) for kind in missing_document_kinds(application)]


def application_evaluate(*, application: Application, as_of: date) -> ProgrammeResult:
    """The engine's answer for this application's programme, with the parameters in force on ``as_of``."""
    facts = parse_facts(application.facts)
    results = evaluate(facts, as_of, parameters=parameters_in_force(as_of))
    return next(result for result in results if result.programme_slug == application.programme.slug)


def evaluation_snapshot(result: ProgrammeResult, as_of: date) -> dict:
    """What is kept with a submitted application: status, amount, reasons in both languages, parameters used."""
    return {
        "as_of": as_of.isoformat(),
        "status": str(result.status),
        "amount": result.amount.to_dict() if result.amount else None,
        "criteria": [
            {
                "id": c.id,
                "passed": c.passed,
                "explanation_zh": str(c.explanation_zh),
                "explanation_en": str(c.explanation_en),
                "source": c.source,
            }
            for c in result.criteria
        ],
        "missing_facts": list(result.missing_facts),
        "parameters": {key: parameter.to_dict() for key, parameter in sorted(result.parameters_used.items())},
    }


def submission_problems(application: Application) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for step in steps_for(application):
        if step not in application.completed_steps:
            problems.setdefault(step, []).append(
                _("The “%(section)s” section is not complete.") % {"section": STEP_TITLES[step]}
            )
    missing = missing_documents(application)
    if missing:
        problems.setdefault("documents", []).append(_("Upload: %(kinds)s.") % {"kinds": join_list(missing)})
    return problems


@transaction.atomic
def application_submit(*, application: Application, acting_user, declaration: bool) -> Application:
    """Sends the application. Submitting twice (a double click, a replayed form) changes nothing more."""
    locked = Application.objects.select_for_update().select_related("programme").get(pk=application.pk)
    if locked.status != Status.DRAFT:
        return locked  # already sent: the same application, the same reference
    if locked.applicant_id != acting_user.pk:
        raise ValidationError(_("Only the applicant can send this application."), code="not_owner")
    problems = submission_problems(locked)
    if not declaration:
        problems.setdefault("declaration", []).append(_("Confirm that what you have told us is true and complete."))
    # A once-only grant had already, or a monthly subsidy with no month left (issue 14, item 5).
    entitlement_lock(application=locked)
    entitlement_problem = entitlement_claim_problem(application=locked)
    if entitlement_problem:
        problems[ENTITLEMENT_PROBLEM] = [entitlement_problem]
    if problems:
        raise ApplicationIncomplete(problems)
    today = timezone.localdate()
    result = application_evaluate(application=locked, as_of=today)
    now = timezone.now()
    locked.submitted_on = today
    locked.submitted_at = now
    locked.declaration_accepted_at = now
    locked.evaluation = evaluation_snapshot(result, today)
    locked.amount = result.amount.value if result.amount else None
    locked.reference = f"LH-{today.year}-{locked.pk:06d}"
    application_transition(
        application=locked,
        to_status=Status.SUBMITTED,
        actor=acting_user,
        update_fields=("submitted_on", "submitted_at", "declaration_accepted_at", "evaluation", "amount", "reference"),
    )
    notify_applicant(application=locked, event="submitted")
    return locked


@transaction.atomic
def application_withdraw(*, application: Application, acting_user, reason: str = "") -> Application:
    if application.applicant_id != acting_user.pk:
        raise ValidationError(_("Only the applicant can withdraw this application."), code="not_owner")
    application_transition(application=application, to_status=Status.WITHDRAWN, actor=acting_user, note=reason)
    return application


# The answer to a request for information is in ``applications.services.follow_up``.
