"""Shared fixtures: the bundled graph (loaded once) and the seed statements the provenance quotes come from."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import ropa

REPOSITORY = Path(__file__).resolve().parent.parent


def seeds_dir() -> Path | None:
    """The seed statements: $ROPA_SEEDS, or ../shared/seeds beside the repository (always present in CI)."""
    candidates = [os.environ.get("ROPA_SEEDS"), REPOSITORY.parent / "shared" / "seeds"]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def bundled():
    """The bundled Destiny graph with vocabulary and reference data."""
    return ropa.load()


EXAMPLES = REPOSITORY / "examples"


def example_dir(name: str) -> Path:
    """The folder of an example record in examples/."""
    return EXAMPLES / name


@pytest.fixture(scope="session")
def wolkenwerk():
    """Wolkenwerk GmbH (examples/wolkenwerk): a fictional German SaaS company with a US parent, controller
    activities, processor services in EU, US and Japan data regions, and a per-region sub-processor list."""
    return ropa.load([example_dir("wolkenwerk")])


@pytest.fixture(scope="session")
def seeds() -> dict[str, str]:
    folder = seeds_dir()
    if folder is None:
        if os.environ.get("CI"):
            pytest.fail("the seed statements (../shared/seeds) are missing in CI")
        pytest.skip("the seed statements are not beside this checkout; set ROPA_SEEDS")
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))}



EXAMPLES = REPOSITORY / "examples"


def example_path(name: str) -> Path:
    """The folder of one example record in examples/ (e.g. "chi-belleval")."""
    path = EXAMPLES / name
    assert path.is_dir(), f"no example record {name} in {EXAMPLES}"
    return path


@pytest.fixture(scope="session")
def hospital_path() -> Path:
    """The French public hospital example: governing bodies as controllers, Art. 9/10/87 data, non-EEA processors."""
    return example_path("chi-belleval")


@pytest.fixture(scope="session")
def hospital(hospital_path):
    """The hospital example graph with vocabulary and reference data (read-only: do not modify)."""
    return ropa.load([hospital_path])


@pytest.fixture(scope="session")
def school_workbook() -> Path:
    """The hand-filled workbook of a fictional Dutch primary school (examples/school-nl)."""
    return EXAMPLES / "school-nl" / "kastanjelaar.xlsx"


@pytest.fixture(scope="session")
def talentbridge_path() -> Path:
    """TalentBridge Recruitment Limited (examples/talentbridge-ie): a fictional Irish recruitment agency whose record
    was imported from the workbook its officer filled in (Garda vetting, an applicant tracking system in the United
    States, video interviews in the United Kingdom, a CV-screening tool)."""
    return example_path("talentbridge-ie")


@pytest.fixture(scope="session")
def talentbridge(talentbridge_path):
    return ropa.load([talentbridge_path])


@pytest.fixture(scope="session")
def payroll_path() -> Path:
    """The Flemish payroll provider example (examples/loonhuis-schelde): mostly a processor for employers, with the
    gaps an auditor finds listed in its README."""
    return example_path("loonhuis-schelde")


@pytest.fixture(scope="session")
def payroll(payroll_path):
    """The payroll provider's graph (read-only: do not modify)."""
    return ropa.load([payroll_path])


@pytest.fixture
def add_question(tmp_path, monkeypatch):
    """A copy of the question library for one test; the function returned writes a question (file name, text) into
    it, as a user adds one to the library."""
    from ropa import query

    folder = tmp_path / "queries"
    shutil.copytree(query.QUERY_DIR, folder)
    monkeypatch.setattr(query, "QUERY_DIR", folder)
    return lambda name, text: (folder / name).write_text(text, encoding="utf-8")


def payroll_before_and_after(tmp_path: Path):
    """The payroll provider's record before and after it engaged its cloud sub-processor (the change an Art. 28(2)
    notice announces), loaded."""
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(example_dir("loonhuis-schelde"), new)
    shutil.copytree(new, old)
    services = old / "services.ttl"
    services.write_text(services.read_text(encoding="utf-8").replace("ropa:hasSubProcessor my:kempen-cloud ;", ""),
                        encoding="utf-8")
    return ropa.load([old]), ropa.load([new])


def fill_second_row(book, values: dict[str, dict[str, str]]) -> dict[str, str]:
    """Write one row (the first under the headers) per sheet of a workbook, by header: {sheet: {header: value}};
    returns each header's cell as an import error names it (Sheet!F2)."""
    from openpyxl.utils import get_column_letter

    where = {}
    for title, row in values.items():
        sheet = book[title]
        headers = [c.value for c in sheet[1]]
        for header, value in row.items():
            sheet.cell(row=2, column=headers.index(header) + 1).value = value
            where[header] = f"{title}!{get_column_letter(headers.index(header) + 1)}2"
    return where


def column_input_message(sheet, header: str):
    """The data validation (input message, drop-down list) of a column's first cell under its header."""
    from openpyxl.utils import get_column_letter

    letter = get_column_letter([c.value for c in sheet[1]].index(header) + 1)
    return next(v for v in sheet.data_validations.dataValidation if f"{letter}2" in v.sqref)
