"""Eligibility rules as code: ``logic`` holds the building blocks, ``programmes``
the catalogue's programmes written with them, ``amounts`` what they pay."""

from eligibility.rules.programmes import PROGRAMMES, ProgrammeRules

__all__ = ["PROGRAMMES", "ProgrammeRules", "parameters_for"]


def parameters_for(slug: str) -> tuple[str, ...]:
    """Keys of the parameters a programme's rules read, in the order they are used."""
    return PROGRAMMES[slug].parameter_keys()
