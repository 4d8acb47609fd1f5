"""The Simplified Chinese catalogue is complete and compiled."""

import gettext
from pathlib import Path

import polib
import pytest

REPO = Path(__file__).resolve().parents[2]
# The project catalogue and the eligibility app's own.
CATALOGUES = sorted(
    p.relative_to(REPO) for p in REPO.glob("**/locale/zh_Hans/LC_MESSAGES/django.po") if ".venv" not in p.parts
)


def test_there_is_a_project_catalogue():
    assert Path("locale/zh_Hans/LC_MESSAGES/django.po") in CATALOGUES


def entries(po: Path):
    return [e for e in polib.pofile(str(REPO / po)) if not e.obsolete]


@pytest.mark.parametrize("po", CATALOGUES, ids=str)
def test_every_message_has_a_chinese_translation(po):
    untranslated = [e.msgid for e in entries(po) if not e.translated()]
    assert untranslated == []


@pytest.mark.parametrize("po", CATALOGUES, ids=str)
def test_no_translation_is_marked_fuzzy(po):
    assert [e.msgid for e in entries(po) if "fuzzy" in e.flags] == []


def placeholders(text: str) -> list[str]:
    return sorted(part.split(")")[0] for part in text.split("%(")[1:])


@pytest.mark.parametrize("po", CATALOGUES, ids=str)
def test_placeholders_are_kept_in_translations(po):
    for entry in entries(po):
        if entry.msgstr:
            assert placeholders(entry.msgid) == placeholders(entry.msgstr), entry.msgid


@pytest.mark.parametrize("po", CATALOGUES, ids=str)
def test_compiled_catalogue_matches_the_source(po):
    with (REPO / po).with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in entries(po):
        if entry.msgid_plural:
            continue
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        assert compiled._catalog.get(key) == entry.msgstr, f"run `make messages`: {entry.msgid!r} is stale in the .mo"
