"""How an approved case of a programme without cash ends: the outcome the caseworker records.

Cash programmes end in a payment schedule (``applications.services.payments``).
Every other programme names its ``fulfilment`` (``ProgrammeRules.fulfilment``),
and its case ends in a ``Fulfilment`` (catalogue section 4, "Served:"):

- ``loan``: referred to the guarantee centre and the partner bank
  (approved → referred), then the loan granted (→ served) or declined by the
  bank (→ partner_declined);
- ``enrolment``: the date enrolment took effect (and which insurance, where the
  programme's rules ask about pension and medical insurance);
- ``suspension``: the months suspended, as the agency confirmed them;
- ``site`` / ``course``: a site or course from the lists policy admins keep;
- ``referral``: the civil-affairs office and the date it received the referral;
- ``project_cover``: insured under a policy number, or referred to labour inspection;
- ``rent_relief``: the landlord and the months granted;
- ``tax_notice``: the tax bureau and the date it was notified.

``application_fulfil`` checks what the caseworker entered, records it and moves
the case through ``application_transition`` in one transaction, with its audit
entry and a message to the applicant in the outbox.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from applications.models import Application, AuditEntry, Fulfilment, Notification, Status
from applications.services.audit import audit_record
from applications.services.notifications import inbox_context_builder, notify_applicant
from applications.services.transitions import application_transition
from eligibility.models import IncubatorSite, Programme, TrainingCourse
from eligibility.rules import PROGRAMMES

Kind = Fulfilment.Kind
CENT = Decimal("0.01")
# The facts whose programme enrols in pension and/or medical insurance: the caseworker says which.
INSURANCE_FACTS = frozenset({"pays_flexible_pension", "pays_flexible_medical"})
INSURANCES = {
    "pension": gettext_lazy("pension insurance"),
    "medical": gettext_lazy("medical insurance"),
    "both": gettext_lazy("pension and medical insurance"),
}
LOAN_OUTCOMES = ("granted", "declined")
PROJECT_OUTCOMES = ("insured", "inspection")
MAX_TERM_MONTHS = 360
TEXT_LIMIT = 200
# The steps a caseworker records; each is one form on the case page.
LOAN_REFERRAL, LOAN_OUTCOME = "loan_referral", "loan_outcome"
# What the applicant names on applying, per fulfilment (catalogue: construction-injury-insurance).
PROGRAMME_DETAILS: dict[str, tuple[tuple[str, str], ...]] = {
    Kind.PROJECT_COVER: (
        ("project_name", gettext_lazy("Project")),
        ("site_address", gettext_lazy("Site address")),
        ("general_contractor", gettext_lazy("General contractor")),
    ),
}
PROGRAMME_DETAILS_STEP = "project"


class FulfilmentUnavailable(Exception):
    """The case has no outcome to record now (not approved, a cash programme, or recorded already)."""


# --- What a programme ends in ----------------------------------------------------------------


def fulfilment_kind(programme: Programme) -> str | None:
    """The programme's fulfilment code, or None for a cash programme (it ends in payments)."""
    rules = PROGRAMMES.get(programme.slug)
    return getattr(rules, "fulfilment", None) if rules is not None else None


def asks_insurance(programme: Programme) -> bool:
    """An enrolment in pension and/or medical insurance says which: its rules read those facts."""
    rules = PROGRAMMES.get(programme.slug)
    if rules is None or fulfilment_kind(programme) != Kind.ENROLMENT:
        return False
    facts = {getattr(leaf, "fact", None) for criterion in rules.criteria for leaf in criterion.rule.leaves()}
    return bool(facts & INSURANCE_FACTS)


def fulfilment_step(application: Application) -> str | None:
    """What the caseworker records next on this case; None when there is nothing to record."""
    kind = fulfilment_kind(application.programme)
    if kind is None:
        return None
    if application.status == Status.APPROVED:
        return LOAN_REFERRAL if kind == Kind.LOAN else kind
    if application.status == Status.REFERRED and kind == Kind.LOAN:
        return LOAN_OUTCOME
    return None


def awaits_outcome(application: Application) -> bool:
    return fulfilment_step(application) is not None


# --- Checking what was entered ----------------------------------------------------------------


@dataclass
class _Recorded:
    to_status: str
    details: dict
    partner: str = ""
    partner_name: str = ""
    referred_on: date | None = None
    site: IncubatorSite | None = None
    course: TrainingCourse | None = None


@dataclass
class _Reader:
    """Reads one field after another from ``details``; collects an error per field."""

    details: dict
    today: date
    earliest: date | None
    errors: dict[str, list[str]] = field(default_factory=dict)

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def text(self, name: str, *, required: bool = True, limit: int = TEXT_LIMIT) -> str:
        value = self.details.get(name)
        value = value.strip() if isinstance(value, str) else ""
        if not value and required:
            self.error(name, _("Fill this in."))
        elif len(value) > limit:
            self.error(name, _("At most %(limit)s characters.") % {"limit": limit})
        return value

    def day(self, name: str, *, not_before: date | None = None) -> date | None:
        value = self.details.get(name)
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                value = None
        if not isinstance(value, date):
            self.error(name, _("Enter a real date, for example 2026-12-10."))
            return None
        if value > self.today:
            self.error(name, _("The date cannot be after today (%(today)s).") % {"today": _day(self.today)})
            return None
        earliest = max(filter(None, (self.earliest, not_before)), default=None)
        if earliest is not None and value < earliest:
            self.error(name, _("The date cannot be before %(date)s.") % {"date": _day(earliest)})
            return None
        return value

    def month(self, name: str) -> date | None:
        value = self.details.get(name)
        if isinstance(value, date):
            return value.replace(day=1)
        try:
            year, month = str(value or "").split("-")
            return date(int(year), int(month), 1)
        except (ValueError, TypeError):
            self.error(name, _("Enter a month as YYYY-MM, for example 2026-12."))
            return None

    def whole(self, name: str, *, low: int, high: int) -> int | None:
        value = self.details.get(name)
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            number = None
        if number is None or isinstance(value, bool) or str(value).strip() != str(number):
            self.error(name, _("Enter a whole number."))
            return None
        if not low <= number <= high:
            self.error(name, _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high})
            return None
        return number

    def money(self, name: str, *, high: Decimal | None) -> Decimal | None:
        try:
            amount = Decimal(str(self.details.get(name)).replace(",", "").strip())
        except (InvalidOperation, ValueError):
            amount = None
        if amount is None or not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
            self.error(name, _("Enter an amount in yuan greater than 0, with at most two decimal places."))
            return None
        if high is not None and amount > high:
            self.error(name, _("The loan cannot be more than the approved %(amount)s yuan.") % {"amount": _money(high)})
            return None
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)

    def choice(self, name: str, allowed) -> str:
        value = self.details.get(name)
        if value not in allowed:
            self.error(name, _("Choose one of the options."))
            return ""
        return value

    def listed(self, name: str, model):
        value = self.details.get(name)
        pk = value.pk if isinstance(value, model) else value
        row = model.objects.filter(pk=pk, active=True).first() if str(pk or "").isdigit() else None
        if row is None:
            self.error(name, _("Choose one from the list."))
        return row


def _loan_referral(reader: _Reader, application: Application, previous: dict) -> _Recorded:
    centre = reader.text("guarantee_centre")
    bank = reader.text("bank")
    referred_on = reader.day("referred_on")
    details = {"referral": {"guarantee_centre": centre, "bank": bank, "referred_on": _iso(referred_on)}}
    return _Recorded(
        Status.REFERRED, details, partner=Fulfilment.Partner.BANK, partner_name=bank, referred_on=referred_on
    )


def _loan_outcome(reader: _Reader, application: Application, previous: dict) -> _Recorded:
    referral = previous.get("referral") or {}
    referred_on = date.fromisoformat(referral["referred_on"]) if referral.get("referred_on") else None
    outcome = reader.choice("outcome", LOAN_OUTCOMES)
    details = {**previous, "outcome": outcome}
    if not outcome:  # the choice is refused above; the fields of neither outcome are asked about
        return _Recorded(Status.SERVED, details)
    if outcome == "granted":
        granted = {
            "amount": _str(reader.money("amount", high=application.amount)),
            "bank": reader.text("bank"),
            "granted_on": _iso(reader.day("granted_on", not_before=referred_on)),
            "term_months": reader.whole("term_months", low=1, high=MAX_TERM_MONTHS),
        }
        return _Recorded(Status.SERVED, {**details, "granted": granted})
    declined = {
        "declined_on": _iso(reader.day("declined_on", not_before=referred_on)),
        "reason": reader.text("reason", required=False, limit=1000),
    }
    return _Recorded(Status.PARTNER_DECLINED, {**details, "declined": declined})


def _enrolment(reader: _Reader, application: Application, previous: dict) -> _Recorded:
    details = {"enrolled_on": _iso(reader.day("enrolled_on"))}
    if asks_insurance(application.programme):
        details["insurance"] = reader.choice("insurance", INSURANCES)
    return _Recorded(Status.SERVED, details)


def _suspension(reader: _Reader, application: Application, previous: dict) -> _Recorded:
    first, last = reader.month("from_month"), reader.month("to_month")
    if first and last and last < first:
        reader.error("to_month", _("The last month cannot be before the first."))
    return _Recorded(Status.SERVED, {"from_month": _month(first), "to_month": _month(last)})


def _site(reader: _Reader, application: Application, previous: dict) -> _Recorded:
    site = reader.listed("site", IncubatorSite)
    if site is not None and site.free_until < reader.today:
        reader.error("site", _("This site is free only until %(date)s.") % {"date": _day(site.free_until)})
    details = {}
    if site is not None:
        # As the site was when allocated: editing the list later changes no allocation.
        details = {
            "site": site.pk,
            "name_zh": site.name_zh,
            "name_en": site.name_en,
            "address": site.address,
            "free_until": site.free_until.isoformat(),
        }
    return _Recorded(Status.SERVED, details, site=site)


def _course(reader: _Reader, application: Application, previous: dict) -> _Recorded:
    course = reader.listed("course", TrainingCourse)
    details = {}
    if course is not None:
        details = {
            "course": course.pk,
            "name_zh": course.name_zh,
            "name_en": course.name_en,
            "starts_on": course.starts_on.isoformat(),
            "place": course.place,
        }
    return _Recorded(Status.SERVED, details, course=course)


def _referral(reader: _Reader, application: Application, previous: dict) -> _Recorded:
    office = reader.text("office")
    received_on = reader.day("received_on")
    details = {"office": office, "received_on": _iso(received_on)}
    return _Recorded(
        Status.SERVED,
        details,
        partner=Fulfilment.Partner.CIVIL_AFFAIRS,
        partner_name=office,
        referred_on=received_on,
    )


def _project_cover(reader: _Reader, application: Application, previous: dict) -> _Recorded:
    outcome = reader.choice("outcome", PROJECT_OUTCOMES)
    if not outcome:
        return _Recorded(Status.SERVED, {})
    if outcome == "insured":
        return _Recorded(Status.SERVED, {"outcome": outcome, "policy_number": reader.text("policy_number", limit=60)})
    return _Recorded(Status.SERVED, {"outcome": outcome, "referred_on": _iso(reader.day("referred_on"))})


def _rent_relief(reader: _Reader, application: Application, previous: dict) -> _Recorded:
    landlord = reader.text("landlord")
    months = reader.whole("months", low=1, high=_relief_months(application) or 120)
    return _Recorded(Status.SERVED, {"landlord": landlord, "months": months})


def _tax_notice(reader: _Reader, application: Application, previous: dict) -> _Recorded:
    bureau = reader.text("bureau")
    notified_on = reader.day("notified_on")
    details = {"bureau": bureau, "notified_on": _iso(notified_on)}
    return _Recorded(
        Status.SERVED, details, partner=Fulfilment.Partner.TAX_BUREAU, partner_name=bureau, referred_on=notified_on
    )


STEP_READERS = {
    LOAN_REFERRAL: _loan_referral,
    LOAN_OUTCOME: _loan_outcome,
    Kind.ENROLMENT: _enrolment,
    Kind.SUSPENSION: _suspension,
    Kind.SITE: _site,
    Kind.COURSE: _course,
    Kind.REFERRAL: _referral,
    Kind.PROJECT_COVER: _project_cover,
    Kind.RENT_RELIEF: _rent_relief,
    Kind.TAX_NOTICE: _tax_notice,
}


def _relief_months(application: Application) -> int | None:
    """The months of rent the evaluation at submission promised (``rent.relief_months``), if it says."""
    parameter = ((application.evaluation or {}).get("parameters") or {}).get("rent.relief_months") or {}
    try:
        return int(parameter["value"])
    except (KeyError, TypeError, ValueError):
        return None


# --- Recording -----------------------------------------------------------------------------------


@transaction.atomic
def application_fulfil(*, application: Application, acting_user, details: dict, request=None) -> Fulfilment:
    """Records the outcome the caseworker entered and moves the case to it.

    Raises ``ValidationError`` (a message per field of ``details``) when what was
    entered does not hold, ``PermissionDenied`` when ``acting_user`` may not act
    on the case, ``FulfilmentUnavailable`` when the case has no outcome to record.
    """
    from applications.services.review import case_actions

    locked = Application.objects.select_for_update().select_related("programme").get(pk=application.pk)
    step = fulfilment_step(locked)
    if step is None:
        raise FulfilmentUnavailable(_("This case has no outcome to record now."))
    if "fulfil" not in case_actions(application=locked, person=acting_user):
        raise PermissionDenied(_("Only the caseworker who took this case, or a supervisor, can record its outcome."))
    existing = Fulfilment.objects.filter(application=locked).first()
    previous = dict(existing.details) if existing else {}
    approved_on = timezone.localdate(locked.decided_at) if locked.decided_at else None
    reader = _Reader(details=details or {}, today=timezone.localdate(), earliest=approved_on)
    recorded = STEP_READERS[step](reader, locked, previous)
    if reader.errors:
        raise ValidationError(reader.errors)
    fulfilment = existing or Fulfilment(application=locked, kind=fulfilment_kind(locked.programme))
    fulfilment.details = recorded.details
    fulfilment.site = recorded.site or fulfilment.site
    fulfilment.course = recorded.course or fulfilment.course
    if recorded.partner:
        fulfilment.partner, fulfilment.partner_name = recorded.partner, recorded.partner_name
        fulfilment.referred_on = recorded.referred_on
    fulfilment.recorded_by = acting_user
    fulfilment.recorded_at = timezone.now()
    fulfilment.save()
    audit_record(
        actor=acting_user,
        action=AuditEntry.Action.DECISION,
        application=locked,
        details={
            "decision": f"fulfilment_{recorded.to_status}",
            "kind": fulfilment.kind,
            "step": step,
            **recorded.details,
        },
        request=request,
    )
    application_transition(application=locked, to_status=recorded.to_status, actor=acting_user)
    event = {
        Status.REFERRED: Notification.Event.REFERRED,
        Status.SERVED: Notification.Event.FULFILLED,
        Status.PARTNER_DECLINED: Notification.Event.PARTNER_DECLINED,
    }[recorded.to_status]
    notify_applicant(application=locked, event=event, extra={"fulfilment": fulfilment})
    application.status = locked.status
    return fulfilment


@inbox_context_builder(Notification.Event.REFERRED)
@inbox_context_builder(Notification.Event.FULFILLED)
@inbox_context_builder(Notification.Event.PARTNER_DECLINED)
def _fulfilment_context(notification: Notification, language: str) -> dict | None:
    # The message is written again from the outcome as recorded now (the last step of the case).
    fulfilment = Fulfilment.objects.filter(application_id=notification.application_id).first()
    return {"fulfilment": fulfilment} if fulfilment is not None else None


# --- Saying what was recorded ------------------------------------------------------------------


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _str(value) -> str | None:
    return None if value is None else str(value)


def _month(value: date | None) -> str | None:
    return f"{value:%Y-%m}" if value else None


def _day(value: date | str | None) -> str:
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return date_format(value, "DATE_FORMAT") if value else "—"


def _month_text(value: str | None) -> str:
    return date_format(date.fromisoformat(f"{value}-01"), "YEAR_MONTH_FORMAT") if value else "—"


def _money(value) -> str:
    return formats.number_format(Decimal(str(value)), decimal_pos=2, force_grouping=True)


def _in_language(zh: str, en: str) -> str:
    from eligibility.wording import is_chinese

    return zh if is_chinese() else en


def fulfilment_outcome_text(fulfilment: Fulfilment) -> str:
    """The recorded outcome in one sentence in the active language, as the applicant reads it."""
    d = fulfilment.details or {}
    kind = fulfilment.kind
    if kind == Kind.LOAN:
        referral = d.get("referral") or {}
        if d.get("outcome") == "granted":
            granted = d["granted"]
            return _("Loan granted: %(amount)s yuan, %(bank)s, %(date)s, for %(months)s months.") % {
                "amount": _money(granted["amount"]),
                "bank": granted["bank"],
                "date": _day(granted["granted_on"]),
                "months": granted["term_months"],
            }
        if d.get("outcome") == "declined":
            declined = d["declined"]
            text = _("The bank (%(bank)s) declined the loan on %(date)s.") % {
                "bank": referral.get("bank", "—"),
                "date": _day(declined["declined_on"]),
            }
            return f"{text} {declined['reason']}".strip() if declined.get("reason") else text
        return _("Referred on %(date)s to %(centre)s and %(bank)s, which decide on the loan and its guarantee.") % {
            "date": _day(referral.get("referred_on")),
            "centre": referral.get("guarantee_centre"),
            "bank": referral.get("bank"),
        }
    if kind == Kind.ENROLMENT:
        if d.get("insurance") in INSURANCES:
            return _("Enrolled in %(insurance)s from %(date)s.") % {
                "insurance": INSURANCES[d["insurance"]],
                "date": _day(d.get("enrolled_on")),
            }
        return _("Enrolled from %(date)s.") % {"date": _day(d.get("enrolled_on"))}
    if kind == Kind.SUSPENSION:
        return _(
            "Pension premiums suspended from %(first)s to %(last)s, as confirmed by the social-insurance agency."
        ) % {"first": _month_text(d.get("from_month")), "last": _month_text(d.get("to_month"))}
    if kind == Kind.SITE:
        return _("Premises allocated: %(site)s, %(address)s, free until %(date)s.") % {
            "site": _in_language(d.get("name_zh", ""), d.get("name_en", "")),
            "address": d.get("address", ""),
            "date": _day(d.get("free_until")),
        }
    if kind == Kind.COURSE:
        return _("Course assigned: %(course)s, starting on %(date)s, at %(place)s.") % {
            "course": _in_language(d.get("name_zh", ""), d.get("name_en", "")),
            "date": _day(d.get("starts_on")),
            "place": d.get("place", ""),
        }
    if kind == Kind.REFERRAL:
        return _("%(office)s received your referral on %(date)s; the civil-affairs office decides.") % {
            "office": d.get("office", ""),
            "date": _day(d.get("received_on")),
        }
    if kind == Kind.PROJECT_COVER:
        if d.get("outcome") == "insured":
            return _("The project is insured against work injury under policy %(number)s.") % {
                "number": d.get("policy_number", "")
            }
        return _("The project is not insured; it was referred to labour inspection on %(date)s.") % {
            "date": _day(d.get("referred_on"))
        }
    if kind == Kind.RENT_RELIEF:
        months = d.get("months") or 0
        return ngettext(
            "%(landlord)s waives %(months)s month of rent.", "%(landlord)s waives %(months)s months of rent.", months
        ) % {"landlord": d.get("landlord", ""), "months": months}
    if kind == Kind.TAX_NOTICE:
        return _("%(bureau)s was notified of your tax deduction on %(date)s.") % {
            "bureau": d.get("bureau", ""),
            "date": _day(d.get("notified_on")),
        }
    return ""


# --- What the applicant names on applying -------------------------------------------------------


def programme_details_fields(programme: Programme) -> tuple[tuple[str, str], ...]:
    """(name, label) of what the programme asks beyond the facts; empty for most programmes."""
    return PROGRAMME_DETAILS.get(fulfilment_kind(programme) or "", ())


def programme_details_display(application: Application) -> list[tuple[str, str]]:
    """(label, answer) of the programme details, for the check page and both case pages."""
    values = application.programme_details or {}
    return [(str(label), values.get(name, "")) for name, label in programme_details_fields(application.programme)]


@transaction.atomic
def application_save_programme_details(*, application: Application, details: dict) -> Application:
    """Keeps what the applicant named (e.g. the construction project) and marks the step done."""
    if application.status != Status.DRAFT:
        raise ValidationError(_("This application has been sent and can no longer be changed."), code="not_draft")
    fields = programme_details_fields(application.programme)
    if not fields:
        raise ValidationError(_("This programme asks nothing more."), code="no_details")
    errors, values = {}, {}
    for name, _label in fields:
        value = details.get(name)
        value = value.strip() if isinstance(value, str) else ""
        if not value:
            errors[name] = [_("Fill this in.")]
        elif len(value) > TEXT_LIMIT:
            errors[name] = [_("At most %(limit)s characters.") % {"limit": TEXT_LIMIT}]
        values[name] = value
    if errors:
        raise ValidationError(errors)
    application.programme_details = values
    if PROGRAMME_DETAILS_STEP not in application.completed_steps:
        application.completed_steps = [*application.completed_steps, PROGRAMME_DETAILS_STEP]
    application.save(update_fields=["programme_details", "completed_steps", "updated_at"])
    return application


# --- The referrals export ----------------------------------------------------------------------

EXPORT_FORMATS = ("csv", "xlsx")


def referrals_export(
    *, supervisor, date_from: date, date_to: date, partner: str = "", file_format: str = "csv", request=None
) -> list[Fulfilment]:
    """The cases of the supervisor's region referred to a partner in the period, for the partners.

    Records in the audit trail that the names of these applicants left the portal
    (identity numbers are masked in the file); an empty period records nothing. Not one
    transaction: under ``reading_from_replica()`` (the export views) the rows come from the
    replica and the audit entry is written on the primary (``portal.db_router``).
    """
    from applications.selectors_fulfilment import referrals

    if not supervisor.is_supervisor or not supervisor.region:
        raise PermissionDenied(_("Only a supervisor may export the referrals of their region."))
    if file_format not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {file_format!r}")
    if partner and partner not in Fulfilment.Partner.values:
        raise ValueError(f"unknown partner {partner!r}")
    rows = list(referrals(region=supervisor.region, date_from=date_from, date_to=date_to, partner=partner))
    if rows:
        audit_record(
            actor=supervisor,
            action=AuditEntry.Action.VIEW_PERSONAL_DATA,
            details={
                "export": "referrals",
                "from": date_from.isoformat(),
                "to": date_to.isoformat(),
                "partner": partner or "all",
                "region": supervisor.region,
                "rows": len(rows),
                "format": file_format,
            },
            request=request,
        )
    return rows
