from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Roles are Django groups of these names."""

    CITIZEN = "citizen", _("Citizen")
    CASEWORKER = "caseworker", _("Caseworker")
    SUPERVISOR = "supervisor", _("Supervisor")
    POLICY_ADMIN = "policy_admin", _("Policy administrator")


# Staff roles serve one region and must name it.
REGIONAL_ROLES = {Role.CASEWORKER, Role.SUPERVISOR}
# Roles that work in the Django admin (policy parameters).
ADMIN_SITE_ROLES = {Role.POLICY_ADMIN}
