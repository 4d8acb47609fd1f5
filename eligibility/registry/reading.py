"""Reading a department's file: CSV (UTF-8, with or without BOM) or XLSX, a header row, then one person a row.

``registry_file_open`` checks what can be checked before anything is imported
(the type, that it is not empty, the header) and raises ``RegistryFileInvalid``
with a translated reason; the upload form shows it and the command prints it.
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils.translation import gettext as _

from eligibility.facts import FACT_FIELDS

# 20 MB: about 200,000 rows of CSV. Larger files are split by the department.
MAX_FILE_BYTES = 20 * 1024 * 1024
EXTENSIONS = (".csv", ".xlsx")
XLSX_MAGIC = b"PK\x03\x04"

IDENTITY_COLUMN = "id_number"
DETAIL_COLUMNS = ("full_name", "mobile", "email", "language")
# "as_of" and "recorded_on" are two names of one column: the date the department recorded the row.
DATE_COLUMNS = ("as_of", "recorded_on")
CONTROL_COLUMNS = ("source", "action")
KNOWN_COLUMNS = frozenset((IDENTITY_COLUMN, *DETAIL_COLUMNS, *DATE_COLUMNS, *CONTROL_COLUMNS, *FACT_FIELDS))


class RegistryFileInvalid(ValueError):
    """The file cannot be imported at all; ``message`` says why, in the active language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class RegistryFile:
    """An opened file: its columns, how many data rows it has, and its rows with their line numbers."""

    columns: list[str]  # normalised header, "" where a column has no name
    unknown_columns: list[str]
    total: int
    _rows: "callable"
    problems: list[tuple[str, str]] = field(default_factory=list)

    def rows(self) -> Iterator[tuple[int, dict[str, object]]]:
        """(line number, {column: cell}) of each data row that is not blank; the header is line 1."""
        known = [(index, name) for index, name in enumerate(self.columns) if name in KNOWN_COLUMNS]
        for line, cells in self._rows():
            if all(_blank(cell) for cell in cells):
                continue
            yield line, {name: (cells[index] if index < len(cells) else None) for index, name in known}


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _normalise_header(cells) -> list[str]:
    return [str(cell).strip().lstrip("\ufeff").strip().lower() if cell is not None else "" for cell in cells]


def _check_header(columns: list[str]) -> list[str]:
    """The unknown column names; raises for a header the file cannot be read with."""
    named = [name for name in columns if name]
    if IDENTITY_COLUMN not in named:
        raise RegistryFileInvalid(
            _('The first row must name the columns, and one of them must be "%(column)s".')
            % {"column": IDENTITY_COLUMN}
        )
    repeated = sorted({name for name in named if named.count(name) > 1})
    if "as_of" in named and "recorded_on" in named:
        repeated.append("as_of / recorded_on")
    if repeated:
        raise RegistryFileInvalid(
            _("These columns appear more than once: %(columns)s.") % {"columns": ", ".join(repeated)}
        )
    return [name for name in named if name not in KNOWN_COLUMNS]


def registry_file_open(*, name: str, data: bytes) -> RegistryFile:
    """Opens a CSV or XLSX file, checking its type, that it has rows, and its header."""
    lowered = (name or "").lower()
    if not lowered.endswith(EXTENSIONS):
        raise RegistryFileInvalid(_("Upload a CSV file (UTF-8) or an Excel workbook (.xlsx)."))
    if not data:
        raise RegistryFileInvalid(_("The file is empty."))
    if len(data) > MAX_FILE_BYTES:
        raise RegistryFileInvalid(
            _("The file is larger than %(size)s MB: split it into smaller files.")
            % {"size": MAX_FILE_BYTES // (1024 * 1024)}
        )
    if lowered.endswith(".xlsx") or data.startswith(XLSX_MAGIC):
        return _open_xlsx(data)
    return _open_csv(data)


def _open_csv(data: bytes) -> RegistryFile:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RegistryFileInvalid(
            _("The file is not in UTF-8. Save it as “CSV UTF-8” (or as .xlsx) and upload it again.")
        ) from None
    if "\x00" in text:
        raise RegistryFileInvalid(_("Upload a CSV file (UTF-8) or an Excel workbook (.xlsx)."))

    def records():
        try:
            for index, cells in enumerate(csv.reader(io.StringIO(text, newline=""))):
                yield index + 1, cells
        except csv.Error as exc:
            raise RegistryFileInvalid(_("The file is not a readable CSV file: %(error)s") % {"error": exc}) from None

    iterator = records()
    header = next(iterator, None)
    if header is None or all(_blank(cell) for cell in header[1]):
        raise RegistryFileInvalid(_("The file is empty."))
    columns = _normalise_header(header[1])
    unknown = _check_header(columns)
    total = sum(1 for _line, cells in iterator if not all(_blank(cell) for cell in cells))
    if total == 0:
        raise RegistryFileInvalid(_("The file has a header but no rows."))

    def rows():
        source = records()
        next(source)
        yield from source

    return RegistryFile(columns=columns, unknown_columns=unknown, total=total, _rows=rows)


def _open_xlsx(data: bytes) -> RegistryFile:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise RegistryFileInvalid(
            _("The file is not a readable Excel workbook (.xlsx). Save it again as .xlsx or as CSV UTF-8.")
        ) from None
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    if sheet is None:
        raise RegistryFileInvalid(_("The file is empty."))

    def records():
        for index, cells in enumerate(sheet.iter_rows(values_only=True)):
            yield index + 1, list(cells)

    iterator = records()
    header = next(iterator, None)
    if header is None or all(_blank(cell) for cell in header[1]):
        raise RegistryFileInvalid(_("The file is empty."))
    columns = _normalise_header(header[1])
    unknown = _check_header(columns)
    total = sum(1 for _line, cells in iterator if not all(_blank(cell) for cell in cells))
    if total == 0:
        raise RegistryFileInvalid(_("The file has a header but no rows."))

    def rows():
        source = records()
        next(source)
        yield from source

    return RegistryFile(columns=columns, unknown_columns=unknown, total=total, _rows=rows)


# --- Cells to the catalogue's wire form ------------------------------------------------------

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "是", "对", "有"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "否", "不", "无"})
GROUP_SEPARATORS = (";", ",", "；", "，")
# "Belongs to no target group" (``groups=[]``, which is known), as opposed to a blank cell (unknown).
NO_GROUP_WORDS = frozenset({"none", "无", "-"})


def cell_text(cell: object) -> str:
    """A cell as text: numbers from a spreadsheet without a trailing ".0", dates as YYYY-MM-DD."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell).strip()


def wire_value(fact_type: str, cell: object) -> object:
    """The cell in the wire type ``parse_facts`` expects, or the text as it is when it is not one:
    ``parse_facts`` then refuses it with the same message the API gives."""
    from eligibility.facts import FactType

    if fact_type == FactType.BOOL:
        if isinstance(cell, bool):
            return cell
        text = cell_text(cell).lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        return text
    if fact_type == FactType.INT:
        if isinstance(cell, int) and not isinstance(cell, bool):
            return cell
        text = cell_text(cell)
        body = text[1:] if text.startswith("-") else text
        return int(text) if body.isascii() and body.isdigit() else text
    if fact_type == FactType.DECIMAL:
        if isinstance(cell, int | float) and not isinstance(cell, bool):
            return cell
        return cell_text(cell)
    if fact_type == FactType.GROUPS:
        text = cell_text(cell)
        if text.lower() in NO_GROUP_WORDS:
            return []
        for separator in GROUP_SEPARATORS[1:]:
            text = text.replace(separator, GROUP_SEPARATORS[0])
        return sorted({code.strip() for code in text.split(GROUP_SEPARATORS[0]) if code.strip()})
    return cell_text(cell)
