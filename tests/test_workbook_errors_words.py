"""A workbook's import errors speak the workbook's language whole: the sentence around the cell, the names of the
choices, the "did you mean" and the count, on the French e-learning company's and the Flemish payroll provider's
records (exported in their language, then spoilt)."""

from __future__ import annotations

import re

import openpyxl
import pytest
from typer.testing import CliRunner

import ropa
from ropa.cli import app
from ropa.workbook import WorkbookErrors, export_workbook, import_workbook

from conftest import example_dir

ENGLISH = re.compile(r"\b(unknown|did you mean|write|for example|problems?|nothing was written|not on the sheet|"
                     r"cannot read|the events|or|error)\b")


def spoilt(tmp_path, name: str, lang: str, edits: dict[tuple[str, str], str | None]):
    """The record exported as a workbook in ``lang``, with cells (sheet, column header) of its first row replaced."""
    path = tmp_path / f"{name}-{lang}.xlsx"
    export_workbook(ropa.load([example_dir(name)]), path, lang=lang)
    book = openpyxl.load_workbook(path)
    for (sheet_name, header), value in edits.items():
        sheet = book[sheet_name]
        headers = [c.value for c in sheet[1]]
        sheet.cell(row=2, column=headers.index(header) + 1).value = value
    book.save(path)
    return path


def problems(path) -> list[str]:
    with pytest.raises(WorkbookErrors) as raised:
        import_workbook(path)
    return raised.value.lines()


def test_a_french_workbooks_errors_are_french(tmp_path):
    path = spoilt(tmp_path, "classe-ouverte", "fr", {
        ("Traitements", "Rôle"): "Responsible du traitment",
        ("Traitements", "Base juridique (art. 6)"): "Consentment",
        ("Traitements", "Transferts hors EEE (pays : base)"): "Etats-Unsi : Clauses contractuelles types (UE) 2021/914",
        ("Organisation", "Pays"): "Irelande",
    })
    lines = problems(path)
    assert "Organisation!J2: terme inconnu « Irelande » pour « Pays » ; vouliez-vous dire « Irlande »" in lines[0]
    assert any(l.endswith("Traitements!C2: rôle inconnu « Responsible du traitment » ; écrivez "
                          "« Responsable du traitement » ou « Sous-traitant »") for l in lines), lines
    assert any("pays inconnu « Etats-Unsi » ; vouliez-vous dire « États-Unis » ?" in l for l in lines), lines
    assert lines[-1] == f"4 problèmes dans {path.name} ; rien n'a été écrit"
    assert [l for l in lines if ENGLISH.search(l.replace(path.name, ""))] == []


def test_a_dutch_workbooks_errors_are_dutch(tmp_path):
    path = spoilt(tmp_path, "loonhuis-schelde", "nl", {
        ("Verwerkingen", "Bewaartermijn"): "2 jaar na het pensioen",
        ("Verwerkingen", "Alleen onder voorwaarde"): "misschien",
        ("Verwerkingen", "Geldig vanaf"): "31-02-2026",
        ("Verwerkingen", "Doorgiften buiten de EER (land: grondslag)"): "Indiee: Modelcontractbepalingen",
    })
    lines = problems(path)
    assert any("onbekende gebeurtenis 'pensioen' (de gebeurtenissen: " in l and "schrijf bijvoorbeeld '10 jaar'" in l
               for l in lines), lines
    assert any(l.endswith("'misschien' is niet ja of nee") for l in lines), lines
    assert any("kan de datum '31-02-2026' niet lezen; schrijf JJJJ-MM-DD" in l for l in lines), lines
    assert any("onbekend land 'Indiee'; bedoelt u 'India'" in l for l in lines), lines
    assert lines[-1] == f"4 problemen in {path.name}; er is niets geschreven"
    assert [l for l in lines if ENGLISH.search(l.replace(path.name, ""))] == []


def test_the_command_prints_them_with_a_dutch_marker(tmp_path):
    path = spoilt(tmp_path, "loonhuis-schelde", "nl", {("Verwerkingen", "Rol"): "Baas"})
    result = CliRunner().invoke(app, ["import", str(path), "-o", str(tmp_path / "uit")])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines[0].endswith("Verwerkingen!C2: onbekende rol 'Baas'; schrijf 'Verwerkingsverantwoordelijke' of 'Verwerker'")
    assert all(line.startswith("ropa: fout: ") for line in lines) and not (tmp_path / "uit").exists()
