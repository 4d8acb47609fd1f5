"""How much a programme pays, as expressions over parameters and facts.

Money is ``Decimal`` with two places, rounded half-up (catalogue, section 1).
"""

from decimal import ROUND_HALF_UP, Decimal

from eligibility.results import Amount
from eligibility.rules.logic import Context

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


class Param(Expression):
    """The value of a parameter in force on ``as_of``."""

    def __init__(self, key: str):
        self.key = key

    def value(self, context: Context):
        return context.value(self.key)

    def parameter_keys(self) -> tuple[str, ...]:
        return (self.key,)


class FactValue(Expression):
    """The value of a fact (``None`` when absent)."""

    def __init__(self, name: str):
        self.name = name

    def value(self, context: Context):
        return context.facts.get(self.name)

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


class Smaller(_Pair):
    def value(self, context: Context):
        return min(self.left.value(context), self.right.value(context))


class AmountRule:
    per = ""

    def compute(self, context: Context) -> Amount:
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

    def parameter_keys(self) -> tuple[str, ...]:
        return self.cap.parameter_keys()

    def facts(self) -> tuple[str, ...]:
        return self.cap.facts() + self.requested.facts()
