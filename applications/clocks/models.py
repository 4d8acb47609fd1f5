"""What the clocks keep (issue 14, item 6): a logged-in person's latest screening, and the
reminders sent before a window closes.

The windows themselves are never stored: they are computed from the rule trees, the
facts and the parameters in force (``applications.clocks.selectors``).
"""

import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from applications.crypto import EncryptedTextField


class KeptScreening(models.Model):
    """The answers of the latest screening a person made while logged in, so that the portal
    can show them their deadlines and remind them before one passes.

    ``answers`` are the facts in wire form (catalogue, section 2) as JSON, encrypted at rest
    like all personal data (``applications.crypto``). A new screening replaces them;
    starting the screener again deletes them.
    """

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kept_screening", verbose_name=_("person")
    )
    answers = EncryptedTextField(_("answers"))
    screened_on = models.DateField(_("screened on"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("kept screening")
        verbose_name_plural = _("kept screenings")

    def __str__(self) -> str:
        return f"{self.person_id}: {self.screened_on}"

    @property
    def facts(self) -> dict:
        """The answers as wire facts; ``{}`` when they cannot be read."""
        try:
            facts = json.loads(self.answers)
        except (TypeError, ValueError):
            return {}
        return facts if isinstance(facts, dict) else {}


class WindowReminder(models.Model):
    """One reminder sent before a window closes: never two for the same person, programme,
    window, closing date and threshold (30 or 7 days before)."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    programme = models.ForeignKey("eligibility.Programme", on_delete=models.PROTECT, related_name="+")
    # The rule's window: its date fact and parameter ("graduation_date:si.graduate_window_months").
    window = models.CharField(_("window"), max_length=100)
    closes_on = models.DateField(_("closes on"))
    days_before = models.PositiveSmallIntegerField(_("days before"))
    sent_on = models.DateField(_("sent on"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("deadline reminder")
        verbose_name_plural = _("deadline reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "programme", "window", "closes_on", "days_before"], name="window_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.window} {self.closes_on} -{self.days_before}"
