"""What retention records about its own work (``applications.retention.services``).

``DraftNotice`` is the one notice an abandoned draft gets before it is removed, for the
period of inactivity it was sent about; ``AnonymisedCase`` marks an application whose
personal data is gone, and keeps nothing personal itself.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DraftNotice(models.Model):
    """The notice that an unsent draft will be removed, sent once per period of inactivity.

    ``activity_at`` is the draft's last activity the notice was about: when the person works on
    the draft again, that period ends and a later one gets a notice of its own. ``removal_on`` is
    the date the notice announced; the draft is not removed before it.
    """

    application = models.OneToOneField(
        "applications.Application", on_delete=models.CASCADE, related_name="draft_notice", verbose_name=_("draft")
    )
    activity_at = models.DateTimeField(_("last activity the notice was about"))
    notified_on = models.DateField(_("notice sent on"))
    removal_on = models.DateField(_("to be removed on"), db_index=True)

    class Meta:
        verbose_name = _("notice before a draft is removed")
        verbose_name_plural = _("notices before drafts are removed")

    def __str__(self) -> str:
        return f"draft {self.application_id}: removal on {self.removal_on}"


class AnonymisedCase(models.Model):
    """An application whose personal data was removed; what is left is for statistics only.

    ``closed_on`` is kept to the month, like every other date of an anonymised case.
    """

    class Basis(models.TextChoices):
        CLOSED_CASE = "closed_case", _("retention period of a closed case ended")
        ABANDONED_DRAFT = "abandoned_draft", _("draft abandoned")
        DRAFT_DELETED = "draft_deleted", _("draft deleted by the applicant")

    application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="anonymisation", verbose_name=_("case")
    )
    basis = models.CharField(_("why"), max_length=20, choices=Basis.choices)
    closed_on = models.DateField(_("closed in the month of"), null=True, blank=True)
    anonymised_on = models.DateField(_("anonymised on"))
    # The keyed hash of the identity number stays on a granted case: once-only entitlements need it.
    identity_hash_kept = models.BooleanField(_("identity number hash kept"), default=False)

    class Meta:
        ordering = ["-anonymised_on", "-id"]
        verbose_name = _("anonymised case")
        verbose_name_plural = _("anonymised cases")

    def __str__(self) -> str:
        return f"application {self.application_id} anonymised on {self.anonymised_on}"
