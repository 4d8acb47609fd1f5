"""The only code that writes budgets: a value is added from a date, with a reason, and audited.

Governed like policy parameters (``eligibility.history``): a value in force (valid
from today or earlier, in Asia/Shanghai) is history and is never rewritten, so a
new value takes effect only after today, unless the programme has no budget for
that year yet (the first one may start on any date). Entries are never changed
or deleted.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from applications.budgets.models import Budget
from applications.budgets.selectors import is_cash_programme
from applications.models import AuditEntry
from applications.services.audit import audit_record
from eligibility.history import check_can_add
from eligibility.models import Programme

# The years a budget may be set for.
FIRST_YEAR = 2000
LAST_YEAR = 2100


@transaction.atomic
def budget_add(
    *, programme: Programme, year: int, amount: Decimal, valid_from: date, reason: str, acting_user, request=None
) -> Budget:
    """Adds the budget of ``programme`` for ``year`` from ``valid_from``.

    Raises ``ValidationError`` keyed by the field at fault: a programme that is not
    the portal's money, a year out of range, a negative amount, an empty reason, a
    date in force already (when the year has a budget), or a second value from the
    same date.
    """
    reason = (reason or "").strip()
    if not is_cash_programme(programme):
        raise ValidationError(
            {"programme": _("This programme pays no money of the portal, so it has no budget.")}, code="not_cash"
        )
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(
            {"year": _("Enter a year from %(first)s to %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR}},
            code="year",
        )
    if amount < 0:
        raise ValidationError({"amount": _("A budget cannot be negative.")}, code="amount")
    if not reason:
        raise ValidationError({"reason": _("Say why the budget is set or changed.")}, code="reason")
    Programme.objects.select_for_update().filter(pk=programme.pk).first()  # one writer per programme
    existing = Budget.objects.filter(programme=programme, year=year)
    check_can_add(has_values=existing.exists(), valid_from=valid_from)
    if existing.filter(valid_from=valid_from).exists():
        raise ValidationError(
            {
                "valid_from": _("There is already a budget for %(year)s from %(date)s; choose another date.")
                % {"year": year, "date": date_format(valid_from, "DATE_FORMAT")}
            },
            code="duplicate",
        )
    previous = existing.filter(valid_from__lt=valid_from).order_by("-valid_from").first()
    budget = Budget.objects.create(
        programme=programme, year=year, amount=amount, valid_from=valid_from, reason=reason, created_by=acting_user
    )
    audit_record(
        actor=acting_user,
        action=AuditEntry.Action.PARAMETER,
        details={
            "budget": budget.pk,
            "programme": programme.slug,
            "programme_title": {"zh": programme.title_zh, "en": programme.title_en},
            "year": year,
            "amount": f"{amount:.2f}",
            "previous_amount": None if previous is None else f"{previous.amount:.2f}",
            "valid_from": valid_from.isoformat(),
            "reason": reason,
        },
        request=request,
    )
    return budget
