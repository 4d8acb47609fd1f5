"""The programmes of the catalogue (section 4), criterion by criterion.

Each criterion is a small class: its ``id`` as in the screening API, the policy
source file it comes from and its ``rule``, a condition built from
``eligibility.rules.logic``. Its docstring cites the clause. Numbers are
parameters, looked up by key on the screening date.
"""

from dataclasses import dataclass
from typing import ClassVar

from django.utils.translation import gettext_lazy as _

from eligibility.facts import EmploymentForm, Group
from eligibility.results import CriterionResult
from eligibility.rules.amounts import (
    AmountRule,
    FactValue,
    LoanUpTo,
    Once,
    Param,
    PerMonth,
    PerYear,
    Product,
    Smaller,
)
from eligibility.rules.logic import (
    AgeWithin,
    All,
    Any,
    AnyGroup,
    AtLeastOne,
    BusinessRegistered,
    Context,
    FactEquals,
    FactIn,
    HappenedWithinMonths,
    HappenedWithinYears,
    HasGroup,
    InYearOf,
    IsTrue,
    LoanWithinCap,
    Node,
    Not,
    Outcome,
    RegionServed,
    WithinMonthsAfter,
    WithinYearsAfter,
    WorkedInPost,
    missing_sentence,
)
from eligibility.wording import Listing, Paragraph, ParameterText, Sentence

QUZHOU_MEASURES = "000_68a1fcf5d1ed1785.txt"  # Quzhou: nine measures for flexible employment, from 2021-12-01
STATE_COUNCIL_OPINIONS = "001_8e2667f29c5c1bb2.txt"  # State Council: supporting multi-channel flexible employment
EMPLOYMENT_PRIORITY = "002_f6e820d7d86db059.txt"  # employment priority strategy, (13)
HECHI_REPORT = "003_0ca708ce36f5ae5d.txt"  # Hechi: public-welfare posts and training subsidies
MOHRSS_BRIEFING = "004_87cd4aff85bd153c.txt"  # MOHRSS: occupational injury protection pilot
LOCAL_SETTING = "local setting"  # the criterion rests on local settings, not on a policy text

# What proves a condition: ``applications.models.Document.Kind`` values, named
# here so that the rules do not depend on the applications app.
IDENTITY_CARD = "identity_card"
GRADUATION_CERTIFICATE = "graduation_certificate"
UNEMPLOYMENT_REGISTRATION = "unemployment_registration"
DIFFICULTY_CERTIFICATE = "difficulty_certificate"
BUSINESS_LICENCE = "business_licence"
SOCIAL_INSURANCE_RECEIPTS = "social_insurance_receipts"
TRAINING_CERTIFICATE = "training_certificate"
PUBLIC_SERVICE_CONTRACT = "public_service_contract"
LOW_INCOME_CERTIFICATE = "low_income_certificate"
TRAINING_ATTENDANCE_RECORD = "training_attendance_record"
CONSTRUCTION_LABOUR_CONTRACT = "construction_labour_contract"
STATE_PREMISES_LEASE = "state_premises_lease"

# The certificate that proves membership of a target group; a group without one
# (migrant workers, for example) is checked by the caseworker from the identity card.
GROUP_PROOF = {
    Group.COLLEGE_GRADUATE: (GRADUATION_CERTIFICATE,),
    Group.REGISTERED_UNEMPLOYED: (UNEMPLOYMENT_REGISTRATION,),
    Group.LAID_OFF: (UNEMPLOYMENT_REGISTRATION,),
    Group.EMPLOYMENT_DIFFICULTY: (DIFFICULTY_CERTIFICATE,),
    Group.LOW_INCOME_HOUSEHOLD: (LOW_INCOME_CERTIFICATE,),
}


def in_group(code: str) -> HasGroup:
    return HasGroup(code, documents=GROUP_PROOF.get(code, ()))


_MET = _("Met.")
_NOT_MET = _("Not met.")
_NOT_KNOWN = _("Not known yet.")


@dataclass(frozen=True)
class Link:
    """A pointer from a result to another programme (issue 13, item 2): shown with
    a criterion that fails, when ``when`` holds for the person (always, if
    ``None``), and only if the programme pointed to can still be had (eligible or
    needing information). ``reason`` says why, in the person's language."""

    program: str
    reason: object  # a gettext_lazy text
    when: Node | None = None


class Criterion:
    """One condition of a programme; subclasses set ``id``, ``source`` and ``rule``.

    ``see_also`` are the ``Link``s a failed criterion points to. ``notes``
    adds sentences to a decided explanation (what the rule alone does not say:
    who decides, what the person gets); it reads the parameters ``note_keys``.
    """

    id: ClassVar[str]
    source: ClassVar[str]
    rule: ClassVar[Node]
    see_also: ClassVar[tuple[Link, ...]] = ()
    note_keys: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def notes(cls, context: Context, outcome: Outcome) -> tuple[object, ...]:
        return ()

    @classmethod
    def evaluate(cls, context: Context) -> CriterionResult:
        outcome = cls.rule.evaluate(context)
        if outcome.passed is None:
            explanation = Paragraph((_NOT_KNOWN, missing_sentence(outcome.missing)))
        else:
            explanation = Paragraph(
                (_MET if outcome.passed else _NOT_MET, *outcome.reasons, *cls.notes(context, outcome))
            )
        return CriterionResult(
            id=cls.id,
            passed=outcome.passed,
            text=explanation,
            source=cls.source,
            missing_facts=outcome.missing,
        )

    @classmethod
    def parameter_keys(cls) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*cls.rule.parameter_keys(), *cls.note_keys)))

    @classmethod
    def links(cls, context: Context, passed: bool | None) -> tuple[Link, ...]:
        """The links this criterion shows for this person (it must have failed)."""
        if passed is not False:
            return ()
        return tuple(link for link in cls.see_also if link.when is None or link.when.evaluate(context).passed)

    @classmethod
    def proof(cls, context: Context) -> tuple[str, ...]:
        """The documents that prove this criterion for this person."""
        return cls.rule.proof(context)


# --- Every programme (catalogue, section 4, first paragraph) -------------------------------


class LivesInRegionServed(Criterion):
    """The portal serves one region (setting LINGHUO_REGION_CODE, Quzhou 330800 by
    default); the measures of 000 are Quzhou's. An absent region counts as served."""

    id = "region-served"
    source = LOCAL_SETTING
    rule = RegionServed()


class IsOfWorkingAge(Criterion):
    """Age on ``as_of`` at least ``common.working_age_min`` (labour law minimum
    working age) and below ``common.retirement_age``; both are local settings."""

    id = "working-age"
    source = LOCAL_SETTING
    rule = AgeWithin("common.working_age_min", "common.retirement_age", documents=(IDENTITY_CARD,))


# Conditions used by more than one criterion, written once.
WORKS_FLEXIBLY = FactIn("employment_form", "common.flexible_forms")
IN_KEY_GROUP = AnyGroup("common.key_groups", documents=GROUP_PROOF)
KEY_GROUP_OR_RECENT_GRADUATE = Any(
    IN_KEY_GROUP,
    All(
        in_group(Group.COLLEGE_GRADUATE),
        WithinYearsAfter("graduation_date", "startup.graduate_window_years", documents=(GRADUATION_CERTIFICATE,)),
    ),
)
RUNS_OWN_BUSINESS = FactEquals("employment_form", EmploymentForm.SELF_EMPLOYED, documents=(BUSINESS_LICENCE,))
STARTS_OR_RUNS_BUSINESS = Any(RUNS_OWN_BUSINESS, IsTrue("plans_business"))
# Self-employed without a business licence (catalogue, startup-subsidy 2): what helps before registering.
SELF_EMPLOYED_UNLICENSED = All(
    FactEquals("employment_form", EmploymentForm.SELF_EMPLOYED),
    Not(BusinessRegistered("startup.apply_window_months")),
)
_BEFORE_REGISTERING = _("Before your business is registered, this can help you start it.")
HELP_BEFORE_REGISTERING = (
    Link("startup-loan", _BEFORE_REGISTERING, when=SELF_EMPLOYED_UNLICENSED),
    Link("free-business-site", _BEFORE_REGISTERING, when=SELF_EMPLOYED_UNLICENSED),
    Link("entrepreneurship-training", _BEFORE_REGISTERING, when=SELF_EMPLOYED_UNLICENSED),
)


# --- flexible-si-subsidy ---------------------------------------------------------------------


class SocialInsuranceTargetGroup(Criterion):
    """000 "Seventh": "For those with employment difficulties and college graduates who
    have not been employed within two years after graduation to take up part-time jobs,
    social insurance subsidies are given"; likewise 001 2.(2) and 002 (13). Two years
    is ``si.graduate_window_months``."""

    id = "target-group"
    source = QUZHOU_MEASURES
    rule = Any(
        in_group(Group.EMPLOYMENT_DIFFICULTY),
        All(
            in_group(Group.COLLEGE_GRADUATE),
            WithinMonthsAfter("graduation_date", "si.graduate_window_months", documents=(GRADUATION_CERTIFICATE,)),
            Not(IsTrue("employed_since_graduation")),
        ),
    )


class WorksFlexibly(Criterion):
    """000 "Seventh" ("to take up part-time jobs"); 002 (13) ("engage in flexible
    employment"). Flexible forms are ``common.flexible_forms``."""

    id = "works-flexibly"
    source = QUZHOU_MEASURES
    rule = WORKS_FLEXIBLY


class InsuredAsFlexibleWorker(Criterion):
    """000 "Ninth": flexibly employed people "can participate in the basic pension
    insurance for enterprise employees and basic medical insurance for employees at the
    same time or separately in their individual capacity"; the subsidy of "Seventh" is a
    share of that contribution."""

    id = "insured-flexibly"
    source = QUZHOU_MEASURES
    rule = Any(
        IsTrue("pays_flexible_pension", documents=(SOCIAL_INSURANCE_RECEIPTS,)),
        IsTrue("pays_flexible_medical", documents=(SOCIAL_INSURANCE_RECEIPTS,)),
    )
    see_also = (
        Link(
            "flexible-insurance-enrolment",
            _("You are not insured yet: you can enrol in pension and medical insurance as a flexible worker first."),
        ),
    )


# --- startup-subsidy and startup-loan --------------------------------------------------------


class EntrepreneurTargetGroup(Criterion):
    """001 2.(1): support for "key groups such as laid-off unemployed persons, college
    graduates, migrant workers, and persons with employment difficulties engaged in
    self-employment" (``common.key_groups``); 000 "Secondly": "the scope of the
    entrepreneurship policy for college graduates will be increased from 5 years to 10
    years after graduation" (``startup.graduate_window_years``, dated)."""

    id = "target-group"
    source = QUZHOU_MEASURES
    rule = KEY_GROUP_OR_RECENT_GRADUATE


class RunsRegisteredBusiness(Criterion):
    """001 2.(1): "subsidies for entrepreneurship" for key groups "engaged in
    self-employment"; the business must be registered, and the claim made within
    ``startup.apply_window_months`` of registration (a local setting). A business
    not registered yet fails this, with the advice to claim once it is
    (catalogue, ``startup-subsidy`` 2)."""

    id = "runs-registered-business"
    source = STATE_COUNCIL_OPINIONS
    rule = All(
        RUNS_OWN_BUSINESS,
        BusinessRegistered("startup.apply_window_months", documents=(BUSINESS_LICENCE,)),
        HappenedWithinMonths("business_registered_on", "startup.apply_window_months", documents=(BUSINESS_LICENCE,)),
    )
    see_also = HELP_BEFORE_REGISTERING


class StartsOrRunsBusiness(Criterion):
    """001 2.(1) ("guaranteed loans for entrepreneurship") and 3.(6) (free business
    sites): the person is self-employed or intends to start a business."""

    id = "starts-business"
    source = STATE_COUNCIL_OPINIONS
    rule = STARTS_OR_RUNS_BUSINESS


class LoanAmount(Criterion):
    """000 "Secondly": "The amount of guaranteed loans for individual entrepreneurship
    will be increased to no more than 800,000 yuan" (``loan.max_amount``). A larger
    request is offered the cap, it is not refused."""

    id = "loan-amount"
    source = QUZHOU_MEASURES
    rule = LoanWithinCap("loan.max_amount")


# --- public-service-job-subsidy ----------------------------------------------------------------


class PublicServiceJobTargetGroup(Criterion):
    """000 "Sixth": "increasing the short-term service public service jobs and providing
    job subsidies"; 003: public-welfare posts resettle "people with employment
    difficulties"."""

    id = "target-group"
    source = QUZHOU_MEASURES
    rule = in_group(Group.EMPLOYMENT_DIFFICULTY)


class WorkedInPublicServicePost(Criterion):
    """000 "Sixth": "job subsidies for no more than six months" for short-term public
    service jobs; the subsidy is paid for months worked in such a post."""

    id = "public-service-post"
    source = QUZHOU_MEASURES
    rule = WorkedInPost(documents=(PUBLIC_SERVICE_CONTRACT,))


# --- occupational-injury-cover ------------------------------------------------------------------


class WorksThroughPlatform(Criterion):
    """000 "Ninth": "enhance the mechanism of occupational injury protection for
    employees in new industries"; 002 (13) and 004: the pilot of occupational injury
    protection "for workers in new forms of employment"."""

    id = "works-on-platform"
    source = QUZHOU_MEASURES
    rule = FactEquals("employment_form", EmploymentForm.PLATFORM)


# --- pension-suspension -----------------------------------------------------------------------------


class WorksFlexiblyForSuspension(Criterion):
    """001 4.(11): "Flexible employment personnel who have real difficulties in paying
    basic endowment insurance premiums ... can voluntarily suspend payment"."""

    id = "works-flexibly"
    source = STATE_COUNCIL_OPINIONS
    rule = WORKS_FLEXIBLY


class PaysFlexiblePension(Criterion):
    """001 4.(11): only a person who pays basic pension insurance as a flexibly
    employed person has premiums to suspend."""

    id = "insured-pension-flexibly"
    source = STATE_COUNCIL_OPINIONS
    rule = IsTrue("pays_flexible_pension", documents=(SOCIAL_INSURANCE_RECEIPTS,))


class DeclaresHardship(Criterion):
    """001 4.(11): "who have real difficulties in paying basic endowment insurance premiums"."""

    id = "hardship-declared"
    source = STATE_COUNCIL_OPINIONS
    rule = IsTrue("hardship_declared")


# --- training-subsidy ----------------------------------------------------------------------------------


class TrainingTargetGroup(Criterion):
    """001 4.(8): "implement vocational training subsidies ... in accordance with
    regulations" for flexible employment personnel; 003: training subsidies for the
    registered unemployed; 000 "Fourth": vocational training vouchers."""

    id = "target-group"
    source = STATE_COUNCIL_OPINIONS
    rule = Any(in_group(Group.REGISTERED_UNEMPLOYED), WORKS_FLEXIBLY)


class HasTrainingCertificate(Criterion):
    """001 4.(8): the subsidy is for completed, subsidised vocational training; a
    certificate shows it."""

    id = "training-certificate"
    source = STATE_COUNCIL_OPINIONS
    rule = IsTrue("training_certificate", documents=(TRAINING_CERTIFICATE,))


# --- free-business-site ----------------------------------------------------------------------------------


class BusinessSiteTargetGroup(Criterion):
    """001 3.(6): free business sites, "priority will be given to laid-off unemployed
    persons, college graduates, migrant workers, and persons with employment
    difficulties"."""

    id = "target-group"
    source = STATE_COUNCIL_OPINIONS
    rule = Any(IN_KEY_GROUP, in_group(Group.COLLEGE_GRADUATE))


# --- flexible-insurance-enrolment (release 2) -------------------------------------------------------


_NO_HOUSEHOLD_REGISTRATION = _(
    "There is no household-registration condition: you can be insured where you work, "
    "whatever your household registration."
)
_INSURANCE_NAMES = {
    "pays_flexible_pension": _("basic pension insurance"),
    "pays_flexible_medical": _("basic medical insurance"),
}


class WorksFlexiblyForEnrolment(Criterion):
    """000 "Ninth": "flexibly employed people can participate in the basic pension
    insurance for enterprise employees and basic medical insurance for employees at
    the same time or separately in their individual capacity"; 002 (20): "completely
    eliminate the household registration restrictions for insurance participation in
    the place of employment", so no household-registration condition applies."""

    id = "works-flexibly"
    source = QUZHOU_MEASURES
    rule = WORKS_FLEXIBLY

    @classmethod
    def notes(cls, context: Context, outcome: Outcome) -> tuple[object, ...]:
        return (_NO_HOUSEHOLD_REGISTRATION,) if outcome.passed else ()


class NotYetInsuredInBoth(Criterion):
    """000 "Ninth" ("at the same time or separately"): a person insured in only one of
    the two can still join the other; one insured in both has nothing to enrol in.
    NOT ``pays_flexible_pension`` OR NOT ``pays_flexible_medical``."""

    id = "not-insured-in-both"
    source = QUZHOU_MEASURES
    rule = Any(Not(IsTrue("pays_flexible_pension")), Not(IsTrue("pays_flexible_medical")))

    @classmethod
    def notes(cls, context: Context, outcome: Outcome) -> tuple[object, ...]:
        if not outcome.passed:
            return ()
        # Which of the two the person can still join: those not paid, and those not known yet.
        open_to = [label for fact, label in _INSURANCE_NAMES.items() if context.facts.get(fact) is not True]
        return (Sentence(_("You can still join %(insurances)s."), insurances=Listing(open_to)),)


# --- entrepreneurship-training (release 2) -------------------------------------------------------------


class EntrepreneurshipTrainingTargetGroup(Criterion):
    """001 4.(8): "Include flexible employment personnel who are willing to start a
    business into the scope of entrepreneurship training"; 004: "entrepreneurship
    training" for migrant workers; 002 (13): entrepreneurship training. Registered
    unemployed persons are included (catalogue)."""

    id = "target-group"
    source = STATE_COUNCIL_OPINIONS
    rule = Any(WORKS_FLEXIBLY, in_group(Group.REGISTERED_UNEMPLOYED), in_group(Group.MIGRANT_WORKER))


class WillingToStartBusiness(Criterion):
    """001 4.(8): "who are willing to start a business": the person intends to start
    one, or runs one already."""

    id = "starts-business"
    source = STATE_COUNCIL_OPINIONS
    rule = STARTS_OR_RUNS_BUSINESS


# --- training-living-allowance (release 2) -------------------------------------------------------------


class LivingAllowanceTargetGroup(Criterion):
    """001 4.(8): "implement vocational training subsidies and living expenses subsidies
    during training in accordance with regulations"; by regulation the living
    allowance is for registered unemployed persons, persons with employment
    difficulties and members of low-income households (catalogue)."""

    id = "target-group"
    source = STATE_COUNCIL_OPINIONS
    rule = Any(
        in_group(Group.REGISTERED_UNEMPLOYED),
        in_group(Group.EMPLOYMENT_DIFFICULTY),
        in_group(Group.LOW_INCOME_HOUSEHOLD),
    )


class CompletedTrainingForAllowance(Criterion):
    """001 4.(8): the allowance is paid "during training", for subsidised vocational
    training completed with a certificate."""

    id = "training-certificate"
    source = STATE_COUNCIL_OPINIONS
    rule = IsTrue("training_certificate", documents=(TRAINING_CERTIFICATE,))


class AttendedTraining(Criterion):
    """001 4.(8): "living expenses subsidies during training" are paid for the days
    attended: at least one (``training_days`` ≥ 1)."""

    id = "training-days"
    source = STATE_COUNCIL_OPINIONS
    rule = AtLeastOne("training_days", documents=(TRAINING_ATTENDANCE_RECORD,))


# --- subsistence-assistance-referral (release 2) --------------------------------------------------------


_CIVIL_AFFAIRS_DECIDES = _(
    "The civil-affairs office decides on minimum subsistence and temporary assistance; this portal refers you to it."
)


class WorksFlexiblyOrUnemployed(Criterion):
    """001 4.(11): "Eligible persons with flexible employment shall be promptly included
    in the scope of minimum subsistence guarantee and temporary assistance"; 002 (20):
    "offer tiered and categorized social assistance". People out of work are included
    (catalogue)."""

    id = "works-flexibly-or-unemployed"
    source = STATE_COUNCIL_OPINIONS
    rule = Any(WORKS_FLEXIBLY, FactEquals("employment_form", EmploymentForm.UNEMPLOYED))


class InHardship(Criterion):
    """001 4.(11): "Increase assistance to persons with difficulties in flexible
    employment": a member of a low-income household, or one who declares real
    difficulty. The civil-affairs office decides (the Ministry of Civil Affairs is
    responsible, 001 4.(11))."""

    id = "in-hardship"
    source = STATE_COUNCIL_OPINIONS
    rule = Any(in_group(Group.LOW_INCOME_HOUSEHOLD), IsTrue("hardship_declared"))

    @classmethod
    def notes(cls, context: Context, outcome: Outcome) -> tuple[object, ...]:
        return (_CIVIL_AFFAIRS_DECIDES,)


# --- construction-injury-insurance (release 2) -----------------------------------------------------------


class ConstructionMigrantWorker(Criterion):
    """001 4.(10): "promote the participation of migrant workers in the field of
    engineering construction in work-related injury insurance according to
    projects"."""

    id = "target-group"
    source = STATE_COUNCIL_OPINIONS
    rule = in_group(Group.MIGRANT_WORKER)


class WorksInConstruction(Criterion):
    """001 4.(10): "in the field of engineering construction"; 000 "Sixth": "multi-level
    training of construction workers". A labour contract for the site, or the
    project's certificate, shows it."""

    id = "works-in-construction"
    source = STATE_COUNCIL_OPINIONS
    rule = IsTrue("works_in_construction", documents=(CONSTRUCTION_LABOUR_CONTRACT,))


# --- state-premises-rent-relief (release 2) ---------------------------------------------------------------


class SelfEmployedForRentRelief(Criterion):
    """001 3.(6): "help self-employed people and other flexible workers reduce the
    burden of rent"; the relief is for the premises of the person's own business."""

    id = "self-employed"
    source = STATE_COUNCIL_OPINIONS
    rule = RUNS_OWN_BUSINESS


class RentsStatePremises(Criterion):
    """001 3.(6): "Implement the policy of reducing or reducing the rent of state-owned
    real estate in stages". The months waived are ``rent.relief_months``."""

    id = "rents-state-premises"
    source = STATE_COUNCIL_OPINIONS
    rule = IsTrue("rents_state_owned_premises", documents=(STATE_PREMISES_LEASE,))
    note_keys = ("rent.relief_months",)

    @classmethod
    def notes(cls, context: Context, outcome: Outcome) -> tuple[object, ...]:
        if not outcome.passed:
            return ()
        months = ParameterText(context.parameter("rent.relief_months"))
        return (Sentence(_("Rent is waived for %(months)s."), months=months),)


# --- startup-tax-relief (release 2) -------------------------------------------------------------------------


class TaxReliefTargetGroup(Criterion):
    """001 2.(1): "tax incentives" for key groups engaged in self-employment; 003:
    "Preferential tax policies for entrepreneurship ... of key groups like ...
    registered unemployed, and college graduates". Graduates in the year they
    graduate (catalogue)."""

    id = "target-group"
    source = STATE_COUNCIL_OPINIONS
    rule = Any(
        in_group(Group.REGISTERED_UNEMPLOYED),
        All(
            in_group(Group.COLLEGE_GRADUATE),
            InYearOf("graduation_date", documents=(GRADUATION_CERTIFICATE,)),
        ),
    )


class RunsRegisteredBusinessForTax(Criterion):
    """001 2.(1): "tax incentives" for those "engaged in self-employment": a registered
    business, registered on or before ``as_of``, for ``tax.relief_years`` years after
    registration. A business not registered yet fails this, as for the start-up
    subsidy."""

    id = "runs-registered-business"
    source = STATE_COUNCIL_OPINIONS
    rule = All(
        RUNS_OWN_BUSINESS,
        BusinessRegistered("tax.relief_years", documents=(BUSINESS_LICENCE,)),
        HappenedWithinYears("business_registered_on", "tax.relief_years", documents=(BUSINESS_LICENCE,)),
    )
    see_also = HELP_BEFORE_REGISTERING


# --- The catalogue ----------------------------------------------------------------------------------------

EVERY_PROGRAMME = (LivesInRegionServed, IsOfWorkingAge)

_LOAN_DECIDED_BY = _("the guarantee centre and the partner bank")
_SOCIAL_INSURANCE_DECIDES = _("the social-insurance agency")


class ProgrammeRules:
    """The criteria of a programme, all of which must hold, and its amount.

    ``in_force_source`` is the policy text that sets the date the programme is in
    force from, which an explanation of ``not_in_force`` cites: by the catalogue's
    preamble, the package of measures of 000 (in force from 2021-12-01) for every
    programme that does not say otherwise, also one whose criteria rest on
    another text (``pension-suspension``: 001).
    """

    def __init__(
        self,
        slug: str,
        criteria: tuple[type[Criterion], ...],
        amount: AmountRule | None = None,
        *,
        in_force_source: str = QUZHOU_MEASURES,
        fulfilment: str | None = None,
        decided_by: object = None,
        once_per_person: bool = False,
    ):
        self.slug = slug
        self.criteria = (*criteria, *EVERY_PROGRAMME)
        self.amount = amount
        self.in_force_source = in_force_source
        # How a case ends (issue 13, item 3): None for cash paid by a schedule,
        # otherwise the kind of fulfilment a caseworker records.
        self.fulfilment = fulfilment
        # Who decides, when a partner does and not this portal (a gettext_lazy text).
        self.decided_by = decided_by
        # Granted once in a person's life, whatever the region or account (issue 14, item 5;
        # ``applications.selectors_entitlements``): the one-time start-up subsidy (000 "Secondly"),
        # and the start of the tax deduction, which runs for ``tax.relief_years`` from then (001 2.(1)).
        self.once_per_person = once_per_person
        # (position, criterion) of the criteria that have links, which ``links`` looks at.
        self._linking = tuple((index, c) for index, c in enumerate(self.criteria) if c.see_also)

    @property
    def per(self) -> str:
        return self.amount.per if self.amount else "none"

    def documents(self, context: Context) -> tuple[str, ...]:
        """The documents that prove the conditions deciding this programme for
        this person: the identity card always, every part of an AND, the parts
        of an OR that hold."""
        kinds = [IDENTITY_CARD, *(kind for criterion in self.criteria for kind in criterion.proof(context))]
        return tuple(dict.fromkeys(kinds))

    def links(self, context: Context, results: list[CriterionResult]) -> tuple[Link, ...]:
        """The links the failed criteria point to (``results`` are those of ``criteria``, in order)."""
        if not self._linking:
            return ()
        return tuple(
            link for index, criterion in self._linking for link in criterion.links(context, results[index].passed)
        )

    def parameter_keys(self) -> tuple[str, ...]:
        keys = [key for criterion in self.criteria for key in criterion.parameter_keys()]
        if self.amount:
            keys += self.amount.parameter_keys()
        return tuple(dict.fromkeys(keys))


PROGRAMMES: dict[str, ProgrammeRules] = {
    rules.slug: rules
    for rules in (
        ProgrammeRules(
            "flexible-si-subsidy",
            (SocialInsuranceTargetGroup, WorksFlexibly, InsuredAsFlexibleWorker),
            PerMonth(
                Product(
                    Param("si.subsidy_rate"),
                    Param("si.min_monthly_contribution", name=_("minimum contribution base")),
                ),
                periods=Param("si.max_months"),
            ),
        ),
        ProgrammeRules(
            "startup-subsidy",
            (EntrepreneurTargetGroup, RunsRegisteredBusiness),
            Once(Param("startup.subsidy_amount")),
            once_per_person=True,
        ),
        ProgrammeRules(
            "startup-loan",
            (EntrepreneurTargetGroup, StartsOrRunsBusiness, LoanAmount),
            LoanUpTo(Param("loan.max_amount"), requested=FactValue("requested_loan_amount")),
            fulfilment="loan",
            decided_by=_LOAN_DECIDED_BY,
        ),
        ProgrammeRules(
            "public-service-job-subsidy",
            (PublicServiceJobTargetGroup, WorkedInPublicServicePost),
            PerMonth(
                Param("psj.monthly_amount"),
                periods=Smaller(
                    FactValue(
                        "public_service_post_months",
                        wording=_("the months you have worked in a short-term public-service post"),
                    ),
                    Param("psj.max_months"),
                ),
            ),
        ),
        ProgrammeRules(
            "occupational-injury-cover",
            (WorksThroughPlatform,),
            fulfilment="enrolment",
            decided_by=_SOCIAL_INSURANCE_DECIDES,
        ),
        ProgrammeRules(
            "pension-suspension",
            (WorksFlexiblyForSuspension, PaysFlexiblePension, DeclaresHardship),
            fulfilment="suspension",
            decided_by=_SOCIAL_INSURANCE_DECIDES,
        ),
        ProgrammeRules(
            "training-subsidy",
            (TrainingTargetGroup, HasTrainingCertificate),
            Once(Param("training.subsidy_amount")),
        ),
        ProgrammeRules("free-business-site", (BusinessSiteTargetGroup, StartsOrRunsBusiness), fulfilment="site"),
        # Release 2 (catalogue, section 4, "Programmes added in release 2").
        ProgrammeRules(
            "flexible-insurance-enrolment",
            (WorksFlexiblyForEnrolment, NotYetInsuredInBoth),
            fulfilment="enrolment",
            decided_by=_SOCIAL_INSURANCE_DECIDES,
        ),
        ProgrammeRules(
            "entrepreneurship-training",
            (EntrepreneurshipTrainingTargetGroup, WillingToStartBusiness),
            fulfilment="course",
        ),
        ProgrammeRules(
            "training-living-allowance",
            (LivingAllowanceTargetGroup, CompletedTrainingForAllowance, AttendedTraining),
            Once(
                Product(
                    Param("training.living_allowance_daily", name=_("a day")),
                    Smaller(
                        FactValue(
                            "training_days",
                            wording=_("the days you have attended a subsidised training course"),
                        ),
                        Param("training.living_allowance_max_days"),
                    ),
                )
            ),
        ),
        ProgrammeRules(
            "subsistence-assistance-referral",
            (WorksFlexiblyOrUnemployed, InHardship),
            fulfilment="referral",
            decided_by=_("the civil-affairs office of your district"),
        ),
        ProgrammeRules(
            "construction-injury-insurance",
            (ConstructionMigrantWorker, WorksInConstruction),
            fulfilment="project_cover",
        ),
        ProgrammeRules(
            "state-premises-rent-relief",
            (SelfEmployedForRentRelief, RentsStatePremises),
            fulfilment="rent_relief",
            decided_by=_("the owner of the state-owned premises"),
        ),
        ProgrammeRules(
            "startup-tax-relief",
            (TaxReliefTargetGroup, RunsRegisteredBusinessForTax),
            PerYear(Param("tax.annual_deduction"), periods=Param("tax.relief_years")),
            fulfilment="tax_notice",
            decided_by=_("the tax bureau"),
            once_per_person=True,
        ),
    )
}
