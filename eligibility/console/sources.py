"""Policy sources as a person reads them: the document's title and the clause.

The catalogue writes a parameter's source as ``000 "Seventh"; 001 2.(2); 002 (13)``:
the number of a source file (``000_68a1fcf5d1ed1785.txt``) and its clause. The
titles of the files are those the screening results show (``SOURCE_TITLES``).
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eligibility.screener.presentation import SOURCE_TITLES
from eligibility.wording import is_chinese

LOCAL_SETTING = "local setting"
_NUMBERED = re.compile(r"^(\d{3})(?:\s+(.*))?$")
_ORDINALS = {
    "First": 1,
    "Firstly": 1,
    "Second": 2,
    "Secondly": 2,
    "Third": 3,
    "Thirdly": 3,
    "Fourth": 4,
    "Fifth": 5,
    "Sixth": 6,
    "Seventh": 7,
    "Eighth": 8,
    "Ninth": 9,
    "Tenth": 10,
}
_CHINESE_NUMERALS = "一二三四五六七八九十"
# Sources the catalogue names in words, not by a file.
_NAMED_SOURCES = {
    "labour law minimum working age": gettext_lazy("Labour law: the minimum working age"),
}


@dataclass(frozen=True)
class CitedSource:
    document: str  # a source file name, "local setting", or a title as written
    clause: str = ""

    @property
    def title(self) -> str:
        return document_title(self.document)

    @property
    def clause_text(self) -> str:
        return clause_text(self.clause)

    def __str__(self) -> str:
        clause = self.clause_text
        return _("%(document)s, %(clause)s") % {"document": self.title, "clause": clause} if clause else self.title


def documents() -> list[tuple[str, str]]:
    """(file name, title) of every policy document the catalogue cites, in order, then the sources it names."""
    files = [(name, str(title)) for name, title in SOURCE_TITLES.items() if name != LOCAL_SETTING]
    return files + [(name, str(title)) for name, title in _NAMED_SOURCES.items()]


def document_title(document: str) -> str:
    title = SOURCE_TITLES.get(document) or _NAMED_SOURCES.get(document)
    return str(title) if title is not None else document


def clause_text(clause: str) -> str:
    """``Seventh`` as "measure 7" (第七条), ``2.(2)`` as "clause 2.(2)"."""
    name = (clause or "").strip().strip('"“”')
    if not name:
        return ""
    if not name.isascii():  # written as the document writes it: 第七条, 第二条第（一）项
        return name
    number = _ORDINALS.get(name)
    if number is not None:
        numeral = _CHINESE_NUMERALS[number - 1] if is_chinese() else str(number)
        return _("measure %(number)s") % {"number": numeral}
    return _("clause %(clause)s") % {"clause": name}


def _file_named(code: str) -> str | None:
    return next((name for name in SOURCE_TITLES if name.startswith(f"{code}_")), None)


def cited_sources(text: str) -> list[CitedSource]:
    """The sources a catalogue source text names, in order; [] for an empty one (a local setting)."""
    found = []
    for part in (text or "").split(";"):
        part = part.strip()
        if not part:
            continue
        numbered = _NUMBERED.fullmatch(part)
        document = _file_named(numbered.group(1)) if numbered else None
        if document is None:
            found.append(CitedSource(part))
        else:
            found.append(CitedSource(document, (numbered.group(2) or "").strip().strip('"“”')))
    return found


def parameter_sources(parameter) -> list[CitedSource]:
    """What a parameter rests on: its cited sources, or "a local setting" when it names none."""
    cited = cited_sources(parameter.source)
    return cited or [CitedSource(LOCAL_SETTING)]
