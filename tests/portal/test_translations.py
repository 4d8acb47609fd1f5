"""The Simplified Chinese catalogue is complete and compiled."""

import gettext
from pathlib import Path

import polib

REPO = Path(__file__).resolve().parents[2]
PO = REPO / "locale/zh_Hans/LC_MESSAGES/django.po"
MO = REPO / "locale/zh_Hans/LC_MESSAGES/django.mo"


def entries():
    return [e for e in polib.pofile(str(PO)) if not e.obsolete]


def test_every_message_has_a_chinese_translation():
    untranslated = [e.msgid for e in entries() if not e.translated()]
    assert untranslated == []


def test_no_translation_is_marked_fuzzy():
    assert [e.msgid for e in entries() if "fuzzy" in e.flags] == []


def placeholders(text: str) -> list[str]:
    return sorted(part.split(")")[0] for part in text.split("%(")[1:])


def test_placeholders_are_kept_in_translations():
    for entry in entries():
        if entry.msgstr:
            assert placeholders(entry.msgid) == placeholders(entry.msgstr), entry.msgid


def test_compiled_catalogue_matches_the_source():
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in entries():
        if entry.msgid_plural:
            continue
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        assert compiled._catalog.get(key) == entry.msgstr, f"run `make messages`: {entry.msgid!r} is stale in the .mo"
