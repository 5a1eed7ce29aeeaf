"""Joint controllers (Art. 26): recorded with DPV, shown in the registers and the workbook's joint-controller column,
and the arrangement checked."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

import ropa
from ropa.register import Messages, build_record
from ropa.render import render
from ropa.validate import validate

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "shapes"


def joint_column(folder: Path, lang: str) -> list[str | None]:
    """The joint-controller column of the workbook's generic Art. 30 sheet (always written, whatever the country)."""
    t = Messages(lang)
    sheet = openpyxl.load_workbook(folder / "xlsx" / "register.xlsx")[t("sheet.art30")]
    headers = [cell.value for cell in sheet[1]]
    column = headers.index(t("art30.joint_controllers"))
    return [row[column] for row in sheet.iter_rows(min_row=2, values_only=True)]


@pytest.fixture(scope="module")
def joint_record():
    return ropa.load([FIXTURES / "JointControllersArrangement.pass.ttl"])


def test_the_register_names_the_other_controller_with_contact_and_arrangement(joint_record):
    record = build_record(joint_record, lang="en", findings=validate(joint_record).findings)
    entry = record.controller_registers[0].entries[0]
    field = entry.fields["joint_controllers"]
    assert [v.text for v in field.values] == ["Clinic South"]  # never the organisation keeping the record
    assert field.values[0].detail == "privacy@clinic-south.nl"
    assert "Joint-controller arrangement for the patient portal, 2025" in field.note
    assert field.gaps == []
    assert [v.text for v in entry.fields["controller"].values] == ["Clinic North"]


def test_documents_and_the_workbook_column_show_joint_controllers(joint_record, tmp_path):
    render(joint_record, tmp_path / "nl", formats=["md", "xlsx"], lang="nl", findings=validate(joint_record).findings)
    assert joint_column(tmp_path / "nl", "nl") == [
        "Clinic South — privacy@clinic-south.nl (regeling: Joint-controller arrangement for the patient portal, 2025)"]
    markdown = (tmp_path / "nl" / "md" / "controller-north.md").read_text(encoding="utf-8")
    assert "| Gezamenlijke verwerkingsverantwoordelijken (art. 26; art. 30, lid 1, a)) | Clinic South" in markdown


def test_without_an_arrangement_the_field_links_the_art_26_warning(tmp_path):
    graph = ropa.load([FIXTURES / "JointControllersArrangement.fail.ttl"])
    findings = validate(graph).findings
    assert [(f.check, f.severity, f.article) for f in findings if f.check == "rs:JointControllersArrangement"] == [
        ("rs:JointControllersArrangement", "warning", "Art. 26(1)")]
    field = build_record(graph, lang="en", findings=findings).controller_registers[0].entries[0].fields["joint_controllers"]
    assert [g.check for g in field.gaps] == ["rs:JointControllersArrangement"]


def test_the_joint_controller_column_is_empty_without_joint_controllers(bundled, tmp_path):
    render(bundled, tmp_path / "en", formats=["xlsx", "html"], lang="en")
    cells = joint_column(tmp_path / "en", "en")
    assert len(cells) >= 40
    assert set(cells) <= {None, ""}  # the sole controller is never put in the joint-controller column
    page = (tmp_path / "en" / "html" / "controller-destiny-nv.html").read_text(encoding="utf-8")
    assert "Joint controllers" not in page
