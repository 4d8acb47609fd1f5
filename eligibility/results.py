"""What a screening answers, per programme (catalogue, section 5)."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from eligibility.parameter_set import ParameterInForce, ProgrammeInfo
from eligibility.wording import EN, ZH, is_chinese, language_of, render


class Status(models.TextChoices):
    ELIGIBLE = "eligible", _("eligible")
    INELIGIBLE = "ineligible", _("not eligible")
    NEEDS_INFO = "needs_info", _("more information needed")
    NOT_IN_FORCE = "not_in_force", _("not in force on this date")


# The ``per`` values paid for a number of periods, with ``max_periods`` (catalogue, section 5).
PERIODIC = ("month", "year")


@dataclass(frozen=True)
class Amount:
    value: Decimal  # two places, rounded half-up
    currency: str = "CNY"
    per: str = "once"  # month, year, once or loan
    max_periods: int | None = None  # months or years, only with per "month" or "year"

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"value": f"{self.value:.2f}", "currency": self.currency, "per": self.per}
        if self.per in PERIODIC:
            data["max_periods"] = self.max_periods
        return data


@dataclass(frozen=True)
class CriterionResult:
    """One criterion of a programme for one person: passed ``True``, ``False`` or
    ``None`` (unknown), with a plain-language explanation.

    ``text`` is the explanation as the rule built it (``eligibility.wording``);
    it is rendered when read, once per language: ``explanation(language)``,
    ``explanation_zh``, ``explanation_en`` and ``to_dict()`` give plain ``str``.
    """

    id: str
    passed: bool | None
    text: object = field(compare=False, repr=False)
    source: str
    missing_facts: tuple[str, ...] = ()
    _rendered: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def explanation(self, language: str | None = None) -> str:
        """The explanation in ``language``, by default the active language."""
        found = self._rendered.get(language) if language else None
        if found is None:
            code = language_of(language)
            found = self._rendered.get(code)
            if found is None:
                found = self._rendered[code] = render(self.text, code)
            if language:
                self._rendered[language] = found
        return found

    @property
    def explanation_zh(self) -> str:
        return self.explanation(ZH)

    @property
    def explanation_en(self) -> str:
        return self.explanation(EN)

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
    # How the amount is computed, as the rule built it (``eligibility.wording``); None without an amount.
    amount_text: object = field(default=None, compare=False, repr=False)
    _rendered: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    # Other programmes this result points to (``eligibility.rules.programmes.Link``:
    # ``program`` and ``reason``), and who decides when a partner does, not this portal.
    see_also: tuple = field(default=(), compare=False)
    decided_by: object = field(default=None, compare=False, repr=False)

    def see_also_dicts(self, language: str | None = None) -> list[dict[str, str]]:
        language = language_of(language)
        return [{"program": link.program, "reason": render(link.reason, language)} for link in self.see_also]

    def decided_by_text(self, language: str | None = None) -> str | None:
        return None if self.decided_by is None else render(self.decided_by, language_of(language))

    @property
    def title(self) -> str:
        if self.programme is None:
            return self.programme_slug
        return self.programme.title_zh if is_chinese() else self.programme.title_en

    def amount_explanation(self, language: str | None = None) -> str | None:
        """How the amount is computed, in ``language`` (by default the active one),
        each local setting labelled: "50% × 1,000.00 yuan minimum contribution
        base (local setting) = 500.00 yuan a month, for up to 24 months (local
        setting)."; None without an amount."""
        if self.amount_text is None:
            return None
        language = language_of(language)
        found = self._rendered.get(language)
        if found is None:
            found = self._rendered[language] = render(self.amount_text, language)
        return found

    @property
    def local_settings(self) -> list[str]:
        """Keys of the parameters this programme's rules read whose value is a
        local setting, not national policy (catalogue, section 3)."""
        return sorted(key for key, parameter in self.parameters_used.items() if parameter.local_default)

    def to_dict(self, language: str | None = None) -> dict[str, object]:
        """One entry of ``results`` in the screening API's answer (catalogue, section 5),
        with how the amount is computed and the local settings this programme used."""
        amount = None
        if self.amount:
            amount = {**self.amount.to_dict(), "explanation": self.amount_explanation(language)}
        return {
            "program": self.programme_slug,
            "status": str(self.status),
            "amount": amount,
            "criteria": [criterion.to_dict(language) for criterion in self.criteria],
            "missing_facts": list(self.missing_facts),
            "local_settings": self.local_settings,
            "see_also": self.see_also_dicts(language),
            "decided_by": self.decided_by_text(language),
        }


def results_to_dict(as_of: date, results: list[ProgrammeResult], language: str | None = None) -> dict[str, object]:
    """The whole answer of ``POST /api/v1/screenings``."""
    return {"as_of": as_of.isoformat(), "results": [result.to_dict(language) for result in results]}
