"""What a person has already had of a programme, across all their applications (issue 14, item 5).

A person is the identity number (through its keyed hash, ``Application.id_number_hash``)
and the account: the applications of the same account, and those of any account or
region with the same identity number, are one person's.

- A once-only grant (``ProgrammeRules.once_per_person``: the start-up subsidy, the
  start of the tax deduction) is given once: an approved application of the person
  for it means it was received; one being decided means it is claimed already.
- A monthly subsidy (amount ``per == "month"``) is paid for at most the months of its
  parameter (``si.max_months``, ``psj.max_months``) in all: the instalments of the
  person's approved applications for it that are not cancelled are the months used.

Nothing here is kept in a table of its own: it is read from the applications and their
payments, so it can never disagree with them.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from applications.models import APPROVED_STATUSES, OPEN_STATUSES, Application, Payment, Status
from applications.selectors_staff import OtherCase
from eligibility.parameter_cache import parameters_in_force
from eligibility.rules import PROGRAMMES

ONCE = "once"
MONTHS = "months"
# Claimed and not decided yet: sent, and not approved, refused or withdrawn.
CLAIMED_STATUSES = tuple(status for status in OPEN_STATUSES if status != Status.DRAFT)


@dataclass(frozen=True)
class Entitlement:
    """What remains of a programme for one person, seen from one application of theirs.

    ``received`` and ``pending`` are the person's other applications for the programme,
    approved and being decided; ``months_most`` is the most months in all (monthly
    subsidies), ``months_used`` those paid or scheduled on the other applications.
    """

    kind: str  # ONCE or MONTHS
    programme_slug: str
    received: list[OtherCase] = field(default_factory=list)
    pending: list[OtherCase] = field(default_factory=list)
    months_most: int | None = None
    months_used: int = 0
    # This application itself: approved (it is the grant), and its months paid or scheduled.
    approved_here: bool = False
    own_months: int = 0

    @property
    def months_remaining(self) -> int | None:
        """The months a claim on this application can still be paid for."""
        if self.kind != MONTHS or self.months_most is None:
            return None
        return max(0, self.months_most - self.months_used)

    @property
    def months_used_in_all(self) -> int:
        return self.months_used + self.own_months

    @property
    def months_left_after_this(self) -> int | None:
        """The months left for a later claim, once this application's are counted."""
        if self.months_remaining is None:
            return None
        return max(0, self.months_remaining - self.own_months)

    @property
    def refusal(self) -> str:
        """Why a claim cannot be made or approved: "received", "pending" (a once-only grant),
        "no_months_left" (a monthly subsidy); "" when it can."""
        if self.kind == ONCE:
            if self.received:
                return "received"
            if self.pending:
                return "pending"
            return ""
        if self.months_remaining == 0:
            return "no_months_left"
        return ""


def entitlement_kind(programme_slug: str) -> str | None:
    """ONCE, MONTHS, or None for a programme that no limit across applications applies to."""
    rules = PROGRAMMES.get(programme_slug)
    if rules is None:
        return None
    if rules.once_per_person:
        return ONCE
    if rules.amount is not None and rules.amount.per == "month" and _most_months_key(rules.amount):
        return MONTHS
    return None


def _most_months_key(amount) -> str | None:
    """The parameter that caps the months of a monthly subsidy, read from its amount rule:
    ``periods`` is that parameter, or the smaller of a fact and it (``psj.max_months``)."""
    keys = amount.periods.parameter_keys()
    return keys[0] if len(keys) == 1 else None


def same_person_applications(application: Application) -> QuerySet[Application]:
    """The person's other applications for the same programme: same account, or same identity number."""
    person = Q(applicant_id=application.applicant_id)
    if application.id_number_hash:
        person |= Q(id_number_hash=application.id_number_hash)
    return (
        Application.objects.filter(person, programme_id=application.programme_id)
        .exclude(pk=application.pk)
        .exclude(status=Status.DRAFT)
    )


def _claim_date(application: Application) -> date:
    """The date whose parameters count: the submission's, or today for a draft."""
    return application.submitted_on or timezone.localdate()


def entitlement_for(application: Application, *, viewer=None) -> Entitlement | None:
    """What remains of the application's programme for its applicant; None when no limit
    across applications applies. Two queries (three for a monthly subsidy).

    ``viewer`` is the member of staff reading it: the other cases say whether they can
    open them (their own region); for the applicant, pass nobody.
    """
    slug = application.programme.slug
    kind = entitlement_kind(slug)
    if kind is None:
        return None
    others = list(
        same_person_applications(application)
        .filter(status__in=[*APPROVED_STATUSES, *CLAIMED_STATUSES])
        .order_by("submitted_at", "pk")
        .values_list("pk", "reference", "status", "region")
    )
    viewer_region = getattr(viewer, "region", None)

    def other_case(reference: str, status: str, region: str) -> OtherCase:
        return OtherCase(reference, status, region, bool(viewer_region) and region == viewer_region)

    received = [other_case(ref, status, region) for _pk, ref, status, region in others if status in APPROVED_STATUSES]
    pending = [other_case(ref, status, region) for _pk, ref, status, region in others if status in CLAIMED_STATUSES]
    approved_here = application.status in APPROVED_STATUSES
    if kind == ONCE:
        return Entitlement(
            kind=ONCE, programme_slug=slug, received=received, pending=pending, approved_here=approved_here
        )
    rules = PROGRAMMES[slug]
    parameters = parameters_in_force(_claim_date(application))
    key = _most_months_key(rules.amount)
    most = int(parameters.value(key)) if key in parameters else None
    approved_ids = [pk for pk, _ref, status, _region in others if status in APPROVED_STATUSES]
    counted = approved_ids + ([application.pk] if approved_here else [])
    months = dict(
        Payment.objects.filter(application_id__in=counted)
        .exclude(state=Payment.State.CANCELLED)
        .order_by()
        .values("application_id")
        .annotate(months=Count("pk"))
        .values_list("application_id", "months")
        if counted
        else ()
    )
    return Entitlement(
        kind=MONTHS,
        programme_slug=slug,
        received=received,
        pending=pending,
        months_most=most,
        months_used=sum(count for pk, count in months.items() if pk != application.pk),
        approved_here=approved_here,
        own_months=months.get(application.pk, 0),
    )


def months_to_schedule(application: Application, *, periods: int) -> int:
    """Of ``periods`` months an approval of ``application`` would pay, those the person
    still has: all of them unless a monthly subsidy's most months are partly used."""
    entitlement = entitlement_for(application)
    if entitlement is None or entitlement.months_remaining is None:
        return periods
    return min(periods, entitlement.months_remaining)
