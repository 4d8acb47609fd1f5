"""Building department files for the registry tests."""

import csv
import io
from datetime import date

from eligibility.registry import services
from eligibility.registry.demo import id_number_for

ALICE = id_number_for("330802", date(1990, 5, 1), 12)
BOB = id_number_for("330881", date(1985, 11, 30), 7)
CAROL = id_number_for("330824", date(2001, 2, 3), 456)


def csv_bytes(rows: list[dict], *, bom: bool = False, columns: list[str] | None = None) -> bytes:
    columns = columns or list(dict.fromkeys(name for row in rows for name in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode()


def run_import(data: bytes, *, source: str = "hrss", name: str = "people.csv", user=None, progress=None):
    registry_import = services.registry_import_create(
        name=name, data=data, source=source, uploaded_by=user, language="en", enqueue=False
    )
    return services.registry_import_run(registry_import=registry_import, progress=progress)


def problems_of(registry_import) -> list[tuple[int, str, str]]:
    return [(p.line, p.field, p.message) for p in registry_import.problems.order_by("line", "id")]
