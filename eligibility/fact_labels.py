"""How staff read an applicant's answers: each fact named in the third person.

The applicant is asked "Do you pay …?" (``applications.facts_form.QUESTIONS``);
a caseworker reads "Pays basic pension insurance as a flexibly employed person:
Yes". Keyed by the fact names of ``eligibility.facts.FACT_FIELDS``; no rule here.
"""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

STAFF_FACT_LABELS: dict[str, Promise] = {
    "birth_date": _("Applicant's date of birth"),
    "region": _("Region the applicant lives in"),
    "groups": _("Target groups the applicant belongs to"),
    "graduation_date": _("Date the applicant graduated"),
    "employed_since_graduation": _("Has held formal employment since graduating"),
    "employment_form": _("How the applicant works now"),
    "plans_business": _("Intends to start a business"),
    "business_registered_on": _("Date the applicant's business was registered"),
    "pays_flexible_pension": _("Pays basic pension insurance as a flexibly employed person"),
    "pays_flexible_medical": _("Pays basic medical insurance as a flexibly employed person"),
    "public_service_post_months": _("Months worked in a short-term public-service post"),
    "training_certificate": _("Has completed subsidised vocational training with a certificate"),
    "hardship_declared": _("Has declared real difficulty paying pension premiums"),
    "requested_loan_amount": _("Amount the applicant wants to borrow (yuan)"),
    "business_registered": _("The applicant's business is registered (has a business licence)"),
    "training_days": _("Days attended in a subsidised training course"),
    "works_in_construction": _("Works on engineering-construction projects"),
    "rents_state_owned_premises": _("The applicant's business rents premises owned by the state"),
}


def staff_fact_label(name: str, fallback: str = "") -> str:
    """The third-person label of fact ``name``, in the active language."""
    label = STAFF_FACT_LABELS.get(name)
    return str(label) if label is not None else fallback or name
