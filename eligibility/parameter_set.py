"""The programmes and parameter values in force on one date, loaded at once."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from eligibility.parameter_types import to_python


class ParameterNotInForce(LookupError):
    """A rule needs a parameter that has no value in force on the date (the
    catalogue was loaded incompletely: a configuration error, not bad input)."""


@dataclass(frozen=True)
class ParameterInForce:
    key: str
    type: str
    unit: str
    local_default: bool
    value: object  # int, Decimal, date or tuple of codes
    valid_from: date
    stored: object  # canonical stored form: "0.50", "24", ["part_time", ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "value": self.stored,
            "unit": self.unit,
            "valid_from": self.valid_from.isoformat(),
            "local_setting": self.local_default,
        }


@dataclass(frozen=True)
class ProgrammeInfo:
    slug: str
    position: int
    kind: str
    per: str
    title_zh: str
    title_en: str
    summary_zh: str
    summary_en: str
    sources: tuple[str, ...]
    in_force_from: date
    in_force_until: date | None = None  # the last day in force its policy declares (issue 14, item 4)

    def in_force_on(self, as_of: date) -> bool:
        return self.in_force_from <= as_of and (self.in_force_until is None or as_of <= self.in_force_until)


class ParameterSet:
    """Parameter values in force on ``as_of`` and the programmes in catalogue order.

    ``ParameterSet.in_force(as_of)`` issues two queries, whatever the number of
    people screened with it afterwards (``evaluate_many``).
    """

    def __init__(
        self,
        as_of: date,
        parameters: Mapping[str, ParameterInForce],
        programmes: Iterable[ProgrammeInfo] = (),
    ):
        self.as_of = as_of
        self._parameters = dict(parameters)
        self.programmes = tuple(sorted(programmes, key=lambda programme: (programme.position, programme.slug)))

    @classmethod
    def in_force(cls, as_of: date) -> "ParameterSet":
        from eligibility.models import ParameterValue, Programme

        latest: dict[str, ParameterInForce] = {}
        values = (
            ParameterValue.objects.filter(valid_from__lte=as_of)
            .select_related("parameter")
            .order_by("parameter_id", "valid_from")
        )
        for row in values:  # ordered by date, so the last one per parameter wins
            parameter = row.parameter
            latest[parameter.key] = ParameterInForce(
                key=parameter.key,
                type=parameter.type,
                unit=parameter.unit,
                local_default=parameter.local_default,
                value=to_python(parameter.type, row.value),
                valid_from=row.valid_from,
                stored=row.value,
            )
        programmes = [
            ProgrammeInfo(
                slug=row.slug,
                position=row.position,
                kind=row.kind,
                per=row.per,
                title_zh=row.title_zh,
                title_en=row.title_en,
                summary_zh=row.summary_zh,
                summary_en=row.summary_en,
                sources=tuple(row.sources),
                in_force_from=row.in_force_from,
                in_force_until=row.in_force_until,
            )
            for row in Programme.objects.all()
        ]
        return cls(as_of, latest, programmes)

    def __contains__(self, key: str) -> bool:
        return key in self._parameters

    def __iter__(self):
        return iter(self._parameters.values())

    def missing(self, keys) -> tuple[str, ...]:
        """Those of ``keys`` that have no value in force on ``as_of``."""
        return tuple(key for key in keys if key not in self._parameters)

    def get(self, key: str) -> ParameterInForce:
        try:
            return self._parameters[key]
        except KeyError:
            raise ParameterNotInForce(f"No value of {key} is in force on {self.as_of}.") from None

    def value(self, key: str) -> object:
        return self.get(key).value

    def programme(self, slug: str) -> ProgrammeInfo:
        for programme in self.programmes:
            if programme.slug == slug:
                return programme
        raise LookupError(slug)
