"""Words staff read instead of the engine's identifiers: criteria by what they check.

The engine names each criterion by a stable id (``eligibility.rules.programmes``);
a caseworker reads what the criterion checks. An id without a label here is shown
by its explanation alone, never by the id.
"""

from django.utils.translation import gettext_lazy as _

CRITERION_LABELS = {
    "region-served": _("Lives in the region served"),
    "working-age": _("Of working age"),
    "target-group": _("Belongs to a target group"),
    "works-flexibly": _("Works flexibly"),
    "insured-flexibly": _("Insured as a flexibly employed person"),
    "runs-registered-business": _("Runs a registered business"),
    "starts-business": _("Starts or runs a business"),
    "loan-amount": _("Amount of the loan"),
    "public-service-post": _("Worked in a public-service post"),
    "works-on-platform": _("Works through an internet platform"),
    "insured-pension-flexibly": _("Pays pension insurance as a flexibly employed person"),
    "hardship-declared": _("Difficulty paying the premiums declared"),
    "training-certificate": _("Training certificate"),
}


def criterion_label(criterion_id: str) -> str:
    label = CRITERION_LABELS.get(criterion_id)
    return str(label) if label is not None else ""
