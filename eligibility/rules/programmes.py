"""The programmes of the catalogue (section 4), criterion by criterion.

Each criterion is a small class: its ``id`` as in the screening API, the policy
source file it comes from and its ``rule``, a condition built from
``eligibility.rules.logic``. Its docstring cites the clause. Numbers are
parameters, looked up by key on the screening date.
"""

from typing import ClassVar

from django.utils.translation import gettext_lazy as _

from eligibility.facts import EmploymentForm, Group
from eligibility.results import CriterionResult
from eligibility.rules.amounts import AmountRule, FactValue, LoanUpTo, Once, Param, PerMonth, Product, Smaller
from eligibility.rules.logic import (
    AgeWithin,
    All,
    Any,
    AnyGroup,
    BusinessRegistered,
    Context,
    FactEquals,
    FactIn,
    HappenedWithinMonths,
    HasGroup,
    IsTrue,
    LoanWithinCap,
    Node,
    Not,
    RegionServed,
    WithinMonthsAfter,
    WithinYearsAfter,
    WorkedInPost,
    missing_sentence,
)
from eligibility.wording import Paragraph

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

# The certificate that proves membership of a target group; a group without one
# (migrant workers, for example) is checked by the caseworker from the identity card.
GROUP_PROOF = {
    Group.COLLEGE_GRADUATE: (GRADUATION_CERTIFICATE,),
    Group.REGISTERED_UNEMPLOYED: (UNEMPLOYMENT_REGISTRATION,),
    Group.LAID_OFF: (UNEMPLOYMENT_REGISTRATION,),
    Group.EMPLOYMENT_DIFFICULTY: (DIFFICULTY_CERTIFICATE,),
}


def in_group(code: str) -> HasGroup:
    return HasGroup(code, documents=GROUP_PROOF.get(code, ()))


_MET = _("Met.")
_NOT_MET = _("Not met.")
_NOT_KNOWN = _("Not known yet.")


class Criterion:
    """One condition of a programme; subclasses set ``id``, ``source`` and ``rule``."""

    id: ClassVar[str]
    source: ClassVar[str]
    rule: ClassVar[Node]

    @classmethod
    def evaluate(cls, context: Context) -> CriterionResult:
        outcome = cls.rule.evaluate(context)
        if outcome.passed is None:
            explanation = Paragraph((_NOT_KNOWN, missing_sentence(outcome.missing)))
        else:
            explanation = Paragraph((_MET if outcome.passed else _NOT_MET, *outcome.reasons))
        return CriterionResult(
            id=cls.id,
            passed=outcome.passed,
            text=explanation,
            source=cls.source,
            missing_facts=outcome.missing,
        )

    @classmethod
    def parameter_keys(cls) -> tuple[str, ...]:
        return cls.rule.parameter_keys()

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


# --- The catalogue ----------------------------------------------------------------------------------------

EVERY_PROGRAMME = (LivesInRegionServed, IsOfWorkingAge)


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
    ):
        self.slug = slug
        self.criteria = (*criteria, *EVERY_PROGRAMME)
        self.amount = amount
        self.in_force_source = in_force_source

    @property
    def per(self) -> str:
        return self.amount.per if self.amount else "none"

    def documents(self, context: Context) -> tuple[str, ...]:
        """The documents that prove the conditions deciding this programme for
        this person: the identity card always, every part of an AND, the parts
        of an OR that hold."""
        kinds = [IDENTITY_CARD, *(kind for criterion in self.criteria for kind in criterion.proof(context))]
        return tuple(dict.fromkeys(kinds))

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
        ),
        ProgrammeRules(
            "startup-loan",
            (EntrepreneurTargetGroup, StartsOrRunsBusiness, LoanAmount),
            LoanUpTo(Param("loan.max_amount"), requested=FactValue("requested_loan_amount")),
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
        ProgrammeRules("occupational-injury-cover", (WorksThroughPlatform,)),
        ProgrammeRules("pension-suspension", (WorksFlexiblyForSuspension, PaysFlexiblePension, DeclaresHardship)),
        ProgrammeRules(
            "training-subsidy",
            (TrainingTargetGroup, HasTrainingCertificate),
            Once(Param("training.subsidy_amount")),
        ),
        ProgrammeRules("free-business-site", (BusinessSiteTargetGroup, StartsOrRunsBusiness)),
    )
}
