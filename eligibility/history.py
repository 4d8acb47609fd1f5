"""The only code that writes parameter values, and with each one its entry in
the change log.

History is never rewritten (catalogue, section 3): a value in force (valid from
today or earlier, in Asia/Shanghai) is neither changed nor deleted, and a new
value may take effect only after today, unless the parameter has no value at all
yet. The functions take the model classes as an argument so that the data
migration can use them with historical models.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from eligibility.parameter_cache import policy_version_bump


@dataclass(frozen=True)
class PolicyModels:
    programme: type
    parameter: type
    parameter_value: type
    parameter_change: type

    @classmethod
    def from_apps(cls, apps) -> "PolicyModels":
        """The models of ``apps``: the project's registry, or a migration's historical one."""
        return cls(
            programme=apps.get_model("eligibility", "Programme"),
            parameter=apps.get_model("eligibility", "Parameter"),
            parameter_value=apps.get_model("eligibility", "ParameterValue"),
            parameter_change=apps.get_model("eligibility", "ParameterChange"),
        )

    @classmethod
    def current(cls) -> "PolicyModels":
        from django.apps import apps

        return cls.from_apps(apps)


def today() -> date:
    return timezone.localdate()


def is_in_force(valid_from: date, *, on: date | None = None) -> bool:
    """A value dated today or earlier is in force (or was): it is history."""
    return valid_from <= (on or today())


def check_can_add(*, has_values: bool, valid_from: date, on: date | None = None) -> None:
    if has_values and is_in_force(valid_from, on=on):
        raise ValidationError(
            {
                "valid_from": _(
                    "A new value can only take effect after today (%(today)s): values in force "
                    "are history and are never rewritten."
                )
                % {"today": date_format(on or today(), "DATE_FORMAT")}
            },
            code="history",
        )


def check_is_future(row, *, on: date | None = None) -> None:
    if is_in_force(row.valid_from, on=on):
        raise ValidationError(
            _("The value from %(date)s is in force or has been: it can no longer be changed or deleted.")
            % {"date": date_format(row.valid_from, "DATE_FORMAT")},
            code="history",
        )


def value_add(
    models: PolicyModels,
    *,
    parameter,
    valid_from: date,
    value,
    acting_user,
    note: str,
    origin: str,
    had_values: bool | None = None,
):
    """Adds a value. ``had_values`` says whether the parameter had a history before
    the import this value is part of (default: whether it has one now); a first
    history may start in the past."""
    models.parameter.objects.select_for_update().filter(pk=parameter.pk).first()  # one writer per parameter
    existing = models.parameter_value.objects.filter(parameter=parameter)
    check_can_add(has_values=existing.exists() if had_values is None else had_values, valid_from=valid_from)
    if existing.filter(valid_from=valid_from).exists():
        raise ValidationError(
            {
                "valid_from": _("There is already a value from %(date)s; delete it first to replace it.")
                % {"date": date_format(valid_from, "DATE_FORMAT")}
            },
            code="duplicate",
        )
    row = models.parameter_value.objects.create(
        parameter=parameter, valid_from=valid_from, value=value, note=note, created_by=acting_user
    )
    _log(models, parameter, "added", valid_from, value, None, acting_user, note, origin)
    policy_version_bump()
    return row


def value_change(models: PolicyModels, *, row, value, acting_user, note: str, origin: str):
    check_is_future(row)
    previous = row.value
    row.value = value
    row.note = note
    row.save(update_fields=["value", "note"])
    _log(models, row.parameter, "changed", row.valid_from, value, previous, acting_user, note, origin)
    policy_version_bump()
    return row


def value_delete(models: PolicyModels, *, row, acting_user, note: str, origin: str) -> None:
    check_is_future(row)
    _log(models, row.parameter, "deleted", row.valid_from, row.value, None, acting_user, note, origin)
    row.delete()
    policy_version_bump()


def _log(models, parameter, action, valid_from, value, previous_value, acting_user, note, origin) -> None:
    models.parameter_change.objects.create(
        parameter=parameter,
        action=action,
        valid_from=valid_from,
        value=value,
        previous_value=previous_value,
        note=note,
        origin=origin,
        changed_by=acting_user,
    )
