"""What a screening answers, per programme (catalogue, section 5)."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from eligibility.parameter_set import ParameterInForce, ProgrammeInfo
from eligibility.wording import is_chinese


class Status(models.TextChoices):
    ELIGIBLE = "eligible", _("eligible")
    INELIGIBLE = "ineligible", _("not eligible")
    NEEDS_INFO = "needs_info", _("more information needed")
    NOT_IN_FORCE = "not_in_force", _("not in force on this date")


@dataclass(frozen=True)
class Amount:
    value: Decimal  # two places, rounded half-up
    currency: str = "CNY"
    per: str = "once"  # month, once or loan
    max_periods: int | None = None  # months, only with per == "month"

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"value": f"{self.value:.2f}", "currency": self.currency, "per": self.per}
        if self.per == "month":
            data["max_periods"] = self.max_periods
        return data


@dataclass(frozen=True)
class CriterionResult:
    """One criterion of a programme for one person: passed ``True``, ``False`` or
    ``None`` (unknown), with a plain-language explanation in Chinese and English.

    The explanations are lazy strings, rendered when read; ``explanation()`` and
    ``to_dict()`` give plain ``str``.
    """

    id: str
    passed: bool | None
    explanation_zh: str
    explanation_en: str
    source: str
    missing_facts: tuple[str, ...] = ()

    def explanation(self, language: str | None = None) -> str:
        """The explanation in ``language``, by default the active language."""
        return str(self.explanation_zh if is_chinese(language) else self.explanation_en)

    def to_dict(self, language: str | None = None) -> dict[str, object]:
        return {"id": self.id, "passed": self.passed, "explanation": self.explanation(language), "source": self.source}


@dataclass(frozen=True)
class ProgrammeResult:
    programme_slug: str
    status: str  # a Status value
    amount: Amount | None
    criteria: list[CriterionResult]
    missing_facts: list[str]
    parameters_used: dict[str, ParameterInForce] = field(default_factory=dict)
    programme: ProgrammeInfo | None = None  # titles and sources, for pages that show them

    @property
    def title(self) -> str:
        if self.programme is None:
            return self.programme_slug
        return self.programme.title_zh if is_chinese() else self.programme.title_en

    def to_dict(self, language: str | None = None) -> dict[str, object]:
        """One entry of ``results`` in the screening API's answer (catalogue, section 5)."""
        return {
            "program": self.programme_slug,
            "status": str(self.status),
            "amount": self.amount.to_dict() if self.amount else None,
            "criteria": [criterion.to_dict(language) for criterion in self.criteria],
            "missing_facts": list(self.missing_facts),
        }


def results_to_dict(as_of: date, results: list[ProgrammeResult], language: str | None = None) -> dict[str, object]:
    """The whole answer of ``POST /api/v1/screenings``."""
    return {"as_of": as_of.isoformat(), "results": [result.to_dict(language) for result in results]}
