"""The regions of Quzhou by name (catalogue, section 2, ``region``).

This is data about administrative divisions, not a rule: which region is
served is decided by ``eligibility.rules.logic.RegionServed`` (the first four
digits of the code, setting ``LINGHUO_REGION_CODE``). The names let an
explanation say "衢州市柯城区" instead of "330802".
"""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

CITY_CODE_DIGITS = 4  # a city's districts and counties share the first four digits of its code

# Quzhou (330800) and its districts and county-level cities.
REGION_NAMES = {
    "330800": _("Quzhou"),
    "330802": _("Kecheng District, Quzhou"),
    "330803": _("Qujiang District, Quzhou"),
    "330822": _("Changshan County, Quzhou"),
    "330824": _("Kaihua County, Quzhou"),
    "330825": _("Longyou County, Quzhou"),
    "330881": _("Jiangshan City, Quzhou"),
}

# What the screener records for "outside Quzhou": a code that no region has, so
# that no region is served by it.
OUTSIDE_SERVED_REGION = "000000"


def same_city(code: str, served: str) -> bool:
    return code[:CITY_CODE_DIGITS] == served[:CITY_CODE_DIGITS]


def region_name(code: str) -> str:
    """The region's name in the active language; the code when it has no name here."""
    if code == OUTSIDE_SERVED_REGION:
        return str(_("outside %(city)s") % {"city": served_region_name()})
    name = REGION_NAMES.get(code)
    return str(name) if name is not None else str(_("region %(code)s") % {"code": code})


def served_region_name() -> str:
    return region_name(settings.LINGHUO_REGION_CODE)


def served_districts() -> list[tuple[str, str]]:
    """(code, name) of the named districts and counties of the region served, in code order."""
    served = settings.LINGHUO_REGION_CODE
    return [
        (code, str(name))
        for code, name in REGION_NAMES.items()
        if code != served and not code.endswith("00") and same_city(code, served)
    ]
