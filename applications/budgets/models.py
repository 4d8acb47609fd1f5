"""Yearly budgets of the cash programmes, effective-dated like policy parameters.

The budget of a programme for a year, as known on a date D, is the entry with the
latest ``valid_from`` on or before D. A budget changes only by adding an entry
from a date (``applications.budgets.services.budget_add``); entries are never
rewritten or deleted, so the history of what was in force stays readable.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Budget(models.Model):
    """The budget of ``programme`` for calendar ``year``, from ``valid_from`` on."""

    programme = models.ForeignKey(
        "eligibility.Programme", on_delete=models.PROTECT, related_name="budgets", verbose_name=_("programme")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(_("budget (yuan)"), max_digits=14, decimal_places=2)
    valid_from = models.DateField(_("valid from"))
    reason = models.TextField(_("reason"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["programme__position", "year", "valid_from"]
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        constraints = [
            models.UniqueConstraint(fields=["programme", "year", "valid_from"], name="budget_one_per_date"),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.year}: {self.amount} from {self.valid_from}"
