"""Change tracking: ropa diff between two versions (folders or git revisions) and the Art. 28(2) notice."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ropa.cli import app
from ropa.diff import diff, load_version, make_notice, notice
from ropa.errors import RopaError
from ropa.load import load

REPOSITORY = Path(__file__).resolve().parent.parent
DATA = REPOSITORY / "data" / "destiny"
DST = "https://w3id.org/ropa/destiny/"
runner = CliRunner()

NEW_SUBPROCESSOR = """
dst:acme-cloud a ropa:ServiceProvider , dpv:DataProcessor ;
    rdfs:label "Acme Cloud"@en ;
    ropa:headquarteredIn loc:US ;
    ropa:source dst:q-000-subprocessors-list .
dst:destiny-nv ropa:hasSubProcessor dst:acme-cloud .
"""


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"expected exactly one {old!r} in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="module")
def changed(tmp_path_factory) -> Path:
    """A copy of the bundled data with one sub-processor added, one removed and one retention period changed."""
    folder = tmp_path_factory.mktemp("changed") / "destiny"
    shutil.copytree(DATA, folder)
    statement = folder / "000-destiny-nv.ttl"
    edit(statement, "dst:jobtoolz ,\n        dst:teneo ;", "dst:jobtoolz ;")
    edit(statement, 'rdfs:label "Website visitor data: 1 year"@en , "Gegevens van websitebezoekers: 1 jaar"@nl ;\n'
                    '    dpv:hasDuration [ a dpv:TemporalDuration ; rdf:value "P1Y"^^xsd:duration ]',
         'rdfs:label "Website visitor data: 1 year"@en , "Gegevens van websitebezoekers: 1 jaar"@nl ;\n'
         '    dpv:hasDuration [ a dpv:TemporalDuration ; rdf:value "P2Y"^^xsd:duration ]')
    statement.write_text(statement.read_text(encoding="utf-8") + NEW_SUBPROCESSOR, encoding="utf-8")
    return folder


def test_diff_reports_exactly_the_three_changes(changed):
    result = diff(DATA, changed)
    found = {(c.aspect, c.kind, c.subject, c.item, c.old, c.new) for c in result.changes}
    assert found == {
        ("sub-processor", "added", DST + "destiny-nv", DST + "acme-cloud", "", ""),
        ("sub-processor", "removed", DST + "destiny-nv", DST + "teneo", "", ""),
        ("retention", "changed", DST + "ret-dstny-be-website", "", "1 year", "2 years"),
    }


def test_diff_of_identical_versions_is_empty():
    assert diff(DATA, DATA).changes == []


def test_diff_reports_activities_legal_bases_and_fields(tmp_path):
    folder = tmp_path / "destiny"
    shutil.copytree(DATA, folder)
    statement = folder / "004-d-soft.ttl"
    # D Soft's dispute management gets consent as a second basis; its supplier management is dropped.
    edit(statement, "dpv:hasPurpose dpv:DisputeManagement ;\n    dpv:hasLegalBasis eu-gdpr:A6-1-f ;",
         "dpv:hasPurpose dpv:DisputeManagement ;\n    dpv:hasLegalBasis eu-gdpr:A6-1-f , eu-gdpr:A6-1-a ;")
    edit(statement, "dst:dsoft-supplier-management a dpv:Process ;", "dst:dsoft-supplier-management a dpv:Entity ;")
    edit(statement, "dpv:hasPurpose dpv:DirectMarketing , dpv:SocialMediaMarketing ;",
         "dpv:hasPurpose dpv:DirectMarketing ;")
    found = {(c.aspect, c.kind, c.subject, c.item_label, c.old) for c in diff(DATA, folder).changes}
    assert ("legal basis", "added", DST + "dsoft-disputes", "Consent", "") in found
    assert ("activity", "removed", DST + "dsoft-supplier-management", "", "") in found
    purpose = [f for f in found if f[0] == "activity" and f[1] == "changed"]
    assert [(s, i) for _, _, s, i, _ in purpose] == [(DST + "dsoft-direct-marketing", "purpose")]
    assert "Social Media Marketing" in purpose[0][4]


def _git(folder: Path, *args: str) -> str:
    run = subprocess.run(["git", "-C", str(folder), "-c", "user.name=ropa tests", "-c", "user.email=tests@example.org",
                          *args], capture_output=True, text=True, check=True)
    return run.stdout.strip()


@pytest.fixture
def repository(tmp_path, changed) -> Path:
    """A git repository whose first commit holds the bundled data and whose working tree holds the changed copy."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    shutil.copytree(DATA, repo / "data")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "bundled data")
    shutil.rmtree(repo / "data")
    shutil.copytree(changed, repo / "data")
    return repo


def test_a_side_can_be_a_git_revision_and_the_working_tree_is_untouched(repository):
    before = (repository / "data" / "000-destiny-nv.ttl").read_text(encoding="utf-8")
    result = diff(f"HEAD:{repository / 'data'}", repository / "data")
    assert {(c.aspect, c.kind) for c in result.changes} == {
        ("sub-processor", "added"), ("sub-processor", "removed"), ("retention", "changed")}
    assert (repository / "data" / "000-destiny-nv.ttl").read_text(encoding="utf-8") == before
    assert _git(repository, "status", "--porcelain", "--untracked-files=no")  # still modified, never checked out


def test_git_command_option_compares_a_path_with_itself_at_a_revision(repository, monkeypatch):
    monkeypatch.chdir(repository)
    result = runner.invoke(app, ["diff", "--git", "HEAD", "data", "--format", "json"])
    assert result.exit_code == 0, result.output
    changes = json.loads(result.stdout)["changes"]
    assert {(c["aspect"], c["item"]) for c in changes} == {
        ("sub-processor", "dst:acme-cloud"), ("sub-processor", "dst:teneo"), ("retention", None)}


def test_bad_sides_are_clear_errors(repository):
    with pytest.raises(RopaError, match="not a git revision"):
        load_version(repository / "nothing-here")
    with pytest.raises(RopaError, match="is not a commit in the git repository"):
        load_version(f"no-such-revision:{repository / 'data'}")


# --- Notice -----------------------------------------------------------------------------------------------

def test_notice_says_what_changes_from_when_and_how_to_object(changed):
    result = make_notice(load([DATA]), load([changed]), "dst:destiny-nv", effective=dt.date(2027, 1, 15),
                         issued=dt.date(2026, 12, 1))
    rows = {(row[0], row[1]) for row in result.rows}
    assert rows == {("added", "Acme Cloud"), ("removed", "Teneo")}
    added = next(row for row in result.rows if row[1] == "Acme Cloud")
    assert added[3] == "United States"  # headquarters
    assert added[5] == "United States: unknown"  # no location or basis documented
    assert result.controllers == ["Dstny's customers as data controllers (or third-party controllers designated by them)"]
    text = "\n".join(s.text for s in result.sections())
    assert "Art. 28(2)" in text and "object" in text
    assert "15 January 2027" in text   # a date in a sentence, in words
    assert "Belgicastraat 17, 1930 Zaventem" in text  # the statement's postal contact
    assert "\ne-mail: Not documented" in text  # the statement prints no e-mail address


def test_notice_takes_effect_thirty_days_after_issue_by_default(changed):
    result = make_notice(load([DATA]), load([changed]), "Destiny NV (Dstny)", issued=dt.date(2026, 12, 1))
    assert result.effective == dt.date(2026, 12, 31)


def test_notice_without_a_sub_processor_change_is_an_error():
    with pytest.raises(RopaError, match="no notice is owed"):
        notice(DATA, DATA, "dst:destiny-nv")


def test_notice_command_writes_markdown_atomically(changed, tmp_path):
    target = tmp_path / "notice.md"
    effective = (dt.date.today() + dt.timedelta(days=45)).isoformat()
    result = runner.invoke(app, ["notice", str(DATA), str(changed), "--processor", "dst:destiny-nv",
                                 "--effective", effective, "--format", "md", "-o", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert "## How to object" in text and "| added | Acme Cloud |" in text
    assert [p.name for p in tmp_path.iterdir()] == ["notice.md"]  # no temporary file left behind


def test_diff_command_errors_exit_2():
    result = runner.invoke(app, ["diff", str(DATA)])
    assert result.exit_code == 2
    assert "give OLD and NEW" in result.stderr
