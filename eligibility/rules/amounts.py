"""How much a programme pays, as expressions over parameters and facts.

Money is ``Decimal`` with two places, rounded half-up (catalogue, section 1).
Each rule also says how it computed its amount (``explain``), with the values
used and each local setting labelled where it is used: "50% × 1,000.00 yuan
minimum contribution base (local setting) = 500.00 yuan a month, …"
(issue 10, item 6).
"""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from eligibility.results import Amount
from eligibility.rules.logic import Context
from eligibility.wording import Formula, Money, Months, ParameterText, Sentence

CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class Expression:
    def value(self, context: Context):
        raise NotImplementedError

    def parameter_keys(self) -> tuple[str, ...]:
        return ()

    def facts(self) -> tuple[str, ...]:
        """The facts the expression reads: answering them can change an amount."""
        return ()

    def describe(self, context: Context) -> object:
        """The expression in words, with the values it has for this person."""
        raise NotImplementedError


class Param(Expression):
    """The value of a parameter in force on ``as_of``; ``name`` says what it is
    in an explanation ("minimum contribution base")."""

    def __init__(self, key: str, *, name: object = None):
        self.key = key
        self.name = name

    def value(self, context: Context):
        return context.value(self.key)

    def describe(self, context: Context) -> object:
        return ParameterText(context.parameter(self.key), name=self.name)

    def parameter_keys(self) -> tuple[str, ...]:
        return (self.key,)


class FactValue(Expression):
    """The value of a fact (``None`` when absent); ``wording`` says what it is in an explanation."""

    def __init__(self, name: str, *, wording: object = None):
        self.name = name
        self.wording = wording

    def value(self, context: Context):
        return context.facts.get(self.name)

    def describe(self, context: Context) -> object:
        return self.wording if self.wording is not None else self.value(context)

    def facts(self) -> tuple[str, ...]:
        return (self.name,)


class _Pair(Expression):
    def __init__(self, left: Expression, right: Expression):
        self.left = left
        self.right = right

    def parameter_keys(self) -> tuple[str, ...]:
        return self.left.parameter_keys() + self.right.parameter_keys()

    def facts(self) -> tuple[str, ...]:
        return self.left.facts() + self.right.facts()


class Product(_Pair):
    def value(self, context: Context):
        return self.left.value(context) * self.right.value(context)

    def describe(self, context: Context) -> object:
        return Formula(self.left.describe(context), "×", self.right.describe(context))


class Smaller(_Pair):
    def value(self, context: Context):
        return min(self.left.value(context), self.right.value(context))

    def describe(self, context: Context) -> object:
        return Sentence(
            _("%(value)s, at most %(limit)s"), value=self.left.describe(context), limit=self.right.describe(context)
        )


class AmountRule:
    per = ""

    def compute(self, context: Context) -> Amount:
        raise NotImplementedError

    def explain(self, context: Context, amount: Amount) -> object:
        """How ``amount`` (what ``compute`` gave) is computed, in words."""
        raise NotImplementedError

    def parameter_keys(self) -> tuple[str, ...]:
        raise NotImplementedError

    def facts(self) -> tuple[str, ...]:
        raise NotImplementedError


class PerMonth(AmountRule):
    """``value`` per month for at most ``periods`` months."""

    per = "month"

    def __init__(self, value: Expression, *, periods: Expression):
        self.value = value
        self.periods = periods

    def compute(self, context: Context) -> Amount:
        return Amount(money(self.value.value(context)), per=self.per, max_periods=int(self.periods.value(context)))

    def explain(self, context: Context, amount: Amount) -> object:
        monthly = self.value.describe(context)
        if isinstance(self.periods, Param):
            # A monthly amount computed from parameters, for a number of months set by a parameter.
            if not isinstance(self.value, Param):
                monthly = Formula(monthly, "=", Sentence(_("%(amount)s a month"), amount=Money(amount.value)))
            return Sentence(
                _("%(calculation)s, for up to %(months)s."),
                calculation=monthly,
                months=self.periods.describe(context),
            )
        # The number of months depends on the person: the monthly amount times those months.
        months = Months(amount.max_periods)
        total = Money(money(amount.value * amount.max_periods))
        return Sentence(
            _("%(calculation)s (%(months)s)."),
            calculation=Formula(monthly, "×", months, "=", total),
            months=self.periods.describe(context),
        )

    def parameter_keys(self) -> tuple[str, ...]:
        return self.value.parameter_keys() + self.periods.parameter_keys()

    def facts(self) -> tuple[str, ...]:
        return self.value.facts() + self.periods.facts()


class PerYear(AmountRule):
    """``value`` per year for at most ``periods`` years (``periods`` a parameter)."""

    per = "year"

    def __init__(self, value: Expression, *, periods: Param):
        self.value = value
        self.periods = periods

    def compute(self, context: Context) -> Amount:
        return Amount(money(self.value.value(context)), per=self.per, max_periods=int(self.periods.value(context)))

    def explain(self, context: Context, amount: Amount) -> object:
        return Sentence(
            _("%(amount)s a year, for up to %(years)s."),
            amount=self.value.describe(context),
            years=self.periods.describe(context),
        )

    def parameter_keys(self) -> tuple[str, ...]:
        return self.value.parameter_keys() + self.periods.parameter_keys()

    def facts(self) -> tuple[str, ...]:
        return self.value.facts() + self.periods.facts()


class Once(AmountRule):
    """``value``, paid once."""

    per = "once"

    def __init__(self, value: Expression):
        self.value = value

    def compute(self, context: Context) -> Amount:
        return Amount(money(self.value.value(context)), per=self.per)

    def explain(self, context: Context, amount: Amount) -> object:
        described = self.value.describe(context)
        if self.value.facts():  # it depends on the person: the calculation and what it comes to
            described = Formula(described, "=", Money(amount.value))
        return Sentence(_("%(amount)s, paid once."), amount=described)

    def parameter_keys(self) -> tuple[str, ...]:
        return self.value.parameter_keys()

    def facts(self) -> tuple[str, ...]:
        return self.value.facts()


class LoanUpTo(AmountRule):
    """The amount requested, at most ``cap``; without a request, ``cap`` (the most that can be asked)."""

    per = "loan"

    def __init__(self, cap: Expression, *, requested: Expression):
        self.cap = cap
        self.requested = requested

    def compute(self, context: Context) -> Amount:
        cap = self.cap.value(context)
        requested = self.requested.value(context)
        return Amount(money(cap if requested is None else min(requested, cap)), per=self.per)

    def explain(self, context: Context, amount: Amount) -> object:
        cap = self.cap.describe(context)
        requested = self.requested.value(context)
        if requested is None:
            return Sentence(
                _("Up to %(cap)s, the most that can be lent; you have not said how much you want to borrow."), cap=cap
            )
        if requested > self.cap.value(context):
            return Sentence(
                _("%(cap)s, the most that can be lent; you asked for %(requested)s."),
                cap=cap,
                requested=Money(requested),
            )
        return Sentence(
            _("%(requested)s, as you asked; the most that can be lent is %(cap)s."),
            requested=Money(amount.value),
            cap=cap,
        )

    def parameter_keys(self) -> tuple[str, ...]:
        return self.cap.parameter_keys()

    def facts(self) -> tuple[str, ...]:
        return self.cap.facts() + self.requested.facts()
