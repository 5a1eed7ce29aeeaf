"""Remote access from a third country to data held in the EEA (ropa:accessedFrom; EDPB Guidelines 05/2021): a
transfer judged like any other, shown as access in flows, diagrams and the what-if, and no longer reported by
rs:RemoteAccessTransfer once documented. On the payroll provider (examples/loonhuis-schelde, whose Indian
development team reaches production in Belgium), on records built here, on the SaaS company's support from the US,
and the bundled record unchanged."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ropa
from ropa import query as library
from ropa.cli import app
from ropa.diagrams import diagram, to_dot, to_mermaid
from ropa.flows import flows
from ropa.transfers import verdicts
from ropa.validate import validate
from ropa.whatif import assume_invalid
from records import prefixes

AS_OF = dt.date(2026, 11, 30)
LH = "https://loonhuis-schelde.example/record/"
IN = "https://w3id.org/dpv/loc#IN"
BE = "https://w3id.org/dpv/loc#BE"
SCC = "https://w3id.org/ropa/vocab#SCC-2021-914-EU"
runner = CliRunner()

ENGAGEMENT = "    ropa:dataLocation loc:BE ;\n    ropa:engagementScope ropa:AllProcessorServices ;"
ACCESS = "    ropa:dataLocation loc:BE ;\n    ropa:accessedFrom loc:IN ;\n"


def copy_with(source: Path, target: Path, old: str, new: str) -> Path:
    """A copy of the payroll provider's folder with one replacement made in services.ttl."""
    shutil.copytree(source, target)
    path = target / "services.ttl"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def documented_path(payroll_path, tmp_path_factory) -> Path:
    """The payroll provider with the Indian team's access documented: accessed from India, on the 2021 clauses."""
    return copy_with(payroll_path, tmp_path_factory.mktemp("access") / "lh", ENGAGEMENT,
                     ACCESS + "    ropa:transferMechanism ropa:SCC-2021-914-EU ;\n    ropa:engagementScope ropa:AllProcessorServices ;")


@pytest.fixture(scope="module")
def documented(documented_path):
    return ropa.load([documented_path])


def keys(graph) -> set[tuple[str, str]]:
    return {(f.check, f.focus.removeprefix(LH)) for f in validate(graph, as_of=AS_OF).findings}


# --- The check ------------------------------------------------------------------------------------------------

# Documented, the access shows the organisation's statement that no data leave the EEA wrong (Art. 44): a processor
# service relying on it is served by the Bangalore team (tests/test_access_statement.py).
CONTRADICTED = {("rs:NoTransferContradictedByAccess", "organisation")}


def test_documented_access_removes_exactly_the_remote_access_warning(payroll, documented):
    before = keys(payroll)
    assert ("rs:RemoteAccessTransfer", "bangalore-code-labs") in before
    assert keys(documented) == before - {("rs:RemoteAccessTransfer", "bangalore-code-labs")} | CONTRADICTED


def test_access_documented_without_a_basis_needs_one_like_any_transfer(payroll, payroll_path, tmp_path):
    """The access is documented (no more rs:RemoteAccessTransfer), but a transfer to India without a mechanism has no
    basis: rs:TransferBasis reports the engagement, and flows show the access with an unknown basis."""
    graph = ropa.load([copy_with(payroll_path, tmp_path / "lh", ENGAGEMENT,
                                 ACCESS + "    ropa:engagementScope ropa:AllProcessorServices ;")])
    assert keys(graph) == keys(payroll) - {("rs:RemoteAccessTransfer", "bangalore-code-labs")} \
        | {("rs:TransferBasis", "eng-bangalore")} | CONTRADICTED
    assert {f.key() for f in validate(graph, as_of=AS_OF, engine="pyshacl").findings} == \
        {f.key() for f in validate(graph, as_of=AS_OF, engine="fast").findings}
    report = flows(graph, to_country="IN", as_of=AS_OF)
    assert report.flows and all(f.access and f.status == "unknown" for f in report.flows)


def test_the_access_is_a_destination_judged_and_marked_as_access(documented):
    judged = {(v.subject.removeprefix(LH), v.place): v for v in verdicts(documented, AS_OF)}
    india, belgium = judged["eng-bangalore", IN], judged["eng-bangalore", BE]
    assert (india.status, india.access, [b.instrument for b in india.bases]) == ("valid", True, [SCC])
    assert (belgium.status, belgium.access) == ("not required", False)
    # the support tool's transfer to the US is storage there, not access
    assert not judged["helpwise-transfer", "https://w3id.org/dpv/loc#US"].access


# --- Flows ----------------------------------------------------------------------------------------------------

def test_flows_show_the_stream_in_belgium_until_the_access_is_documented(payroll, documented):
    assert flows(payroll, to_country="IN", as_of=AS_OF).flows == []
    report = flows(documented, to_country="IN", as_of=AS_OF)
    assert {f.activity.iri.removeprefix(LH) for f in report.flows} == {"payroll-service", "absence-service"}
    assert all(f.access and f.path[-2] == LH + "bangalore-code-labs" and f.held_in == [BE] and f.status == "valid"
               for f in report.flows)
    # the same party's path into Belgium, where the data are held, is no access
    held = flows(documented, to_country="BE", as_of=AS_OF).flows
    assert any(f.path[-2] == LH + "bangalore-code-labs" for f in held) and not any(f.access for f in held)


def test_the_note_of_an_access_flow_names_where_the_data_are_held(documented):
    section = flows(documented, to_country="IN", as_of=AS_OF).sections()[0]
    assert section.rows and {row[-1] for row in section.rows} == {"remote access from there to the data held in Belgium"}
    german = flows(documented, to_country="IN", as_of=AS_OF, lang="de").sections()[0]
    assert {row[-1] for row in german.rows} == {"Fernzugriff von dort auf die Daten in: Belgien"}


def test_flows_command_says_access_in_json_text_and_markdown(documented_path):
    args = ["flows", str(documented_path), "--to-country", "India", "--as-of", AS_OF.isoformat()]
    data = json.loads(runner.invoke(app, [*args, "--format", "json"]).output)
    assert data["flows"] and all(f["access"] and f["held_in"] == [{"id": "loc:BE", "label": "Belgium"}]
                                 for f in data["flows"])
    text = runner.invoke(app, args)   # the table wraps its cells: the note's first words on a line of their own
    assert text.exit_code == 0 and "remote access from" in text.output
    markdown = runner.invoke(app, [*args, "--format", "md", "--lang", "nl"]).output
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and "Bangalore" in line]
    assert rows and all(line.endswith("| toegang op afstand van daaruit tot de gegevens in België |") for line in rows)
    outside = json.loads(runner.invoke(app, ["flows", str(documented_path), "--outside-eea", "--as-of", AS_OF.isoformat(),
                                             "--format", "json"]).output)
    assert {f["place"]["id"] for f in outside["flows"] if f["access"]} == {"loc:IN"}
    assert any(f["place"]["id"] == "loc:US" and not f["access"] for f in outside["flows"])


# --- Diagrams -------------------------------------------------------------------------------------------------

def test_the_diagram_draws_the_access_dotted_and_says_it(payroll, documented):
    dutch = diagram(documented, as_of=AS_OF, lang="nl")
    access = [e for e in dutch.edges if e.access]
    assert len(access) == 1 and dutch.nodes[access[0].target][0] == "India"
    assert access[0].label == "toegang op afstand: geldig" and access[0].status == "valid"
    dot = to_dot(dutch)
    assert f'{access[0].source} -> {access[0].target} [label="toegang op afstand: geldig"' in dot
    assert dot.count("style=dotted") == 1
    mermaid = to_mermaid(diagram(documented, as_of=AS_OF))
    assert '-.->|"remote access: valid"|' in mermaid and mermaid.count("stroke-dasharray") == 1
    assert not any(e.access for e in diagram(payroll, as_of=AS_OF).edges)


# --- What if the clauses fell ---------------------------------------------------------------------------------

def test_the_what_if_lists_the_access_resting_on_the_clauses(documented, documented_path):
    result = assume_invalid(documented, "ropa:SCC-2021-914-EU", AS_OF, lang="nl")
    access = [e for e in result.exposures if e.access]
    assert {(e.activity.iri.removeprefix(LH), e.party.removeprefix(LH), e.place) for e in access} == {
        ("payroll-service", "bangalore-code-labs", IN), ("absence-service", "bangalore-code-labs", IN)}
    assert all(e.loses and e.after == "invalid" for e in access)
    losing = next(s for s in result.sections() if s.rows and len(s.columns) == 7)
    assert {row[4] for row in losing.rows} == {"India (toegang op afstand)"}
    output = runner.invoke(app, ["flows", str(documented_path), "--assume-invalid", "SCC-2021-914-EU", "--from",
                                 AS_OF.isoformat(), "--format", "json"]).output
    assert {(f["vendor"]["label"], f["access"]) for f in json.loads(output)["flows"]} == {("Bangalore Code Labs Pvt Ltd", True)}


def test_the_instrument_question_notes_the_access(documented):
    results = library.run(library.get("instrument-what-if"), documented, as_of=AS_OF, lang="nl",
                          params={"instrument": "ropa:SCC-2021-914-EU"})
    rows = [r for r in results.records(lang="nl") if r["importerLabel"] == "Bangalore Code Labs Pvt Ltd"]
    assert len(rows) == 1 and rows[0]["destinationLabel"] == "India"
    assert rows[0]["destinationNote"] == "toegang op afstand vanuit dit land tot gegevens die elders staan"
    assert rows[0]["consequence"] == "verliest zijn grondslag voor doorgifte"
    outside = library.run(library.get("transfers-per-mechanism"), documented, as_of=AS_OF)
    notes = {(r["destination"], r["destinationNote"]) for r in outside.records(iris=True)}
    assert (IN, "remote access from this country to data held elsewhere") in notes
    assert ("https://w3id.org/dpv/loc#US", "") in notes   # the support tool holds its data there


# --- A transfer that says it is access, on a record built here ------------------------------------------------

RECORD = prefixes("https://example.org/clinic/") + """
my:clinic a dpv:LegalEntity , dpv:DataController ; dpv:hasName "Clinic" ; dpv:hasCountry loc:NL .
my:patients a dpv:Process ; rdfs:label "Patient files"@en ;
    ropa:recordedBy my:clinic ; ropa:role ropa:ControllerRole ; dpv:hasDataController my:clinic ;
    dpv:hasPersonalData pd:Name ; dpv:hasDataSubject dpv:Patient ;
    ropa:hasTransfer my:helpdesk-access .
my:helpdesk a dpv:Organisation ; dpv:hasName "Helpdesk Ltd" ; ropa:headquarteredIn loc:CA ; ropa:dataLocation loc:NL .
my:helpdesk-access a dpv:CrossBorderTransfer ;
    dpv:hasDataExporter my:clinic ; dpv:hasDataImporter my:helpdesk ;
    {country} ropa:accessedFrom loc:CA .
"""


@pytest.mark.parametrize("country", ["dpv:hasThirdCountry loc:CA ;", ""])
def test_a_transfer_made_by_access_is_judged_once_for_its_country(tmp_path, country):
    """With or without dpv:hasThirdCountry beside it, the country accessed from is the transfer's one destination,
    valid under Canada's adequacy decision, and flows show it as access, the data held in the Netherlands."""
    (tmp_path / "record.ttl").write_text(RECORD.replace("{country}", country), encoding="utf-8")
    graph = ropa.load([tmp_path])
    judged = [v for v in verdicts(graph, AS_OF) if v.subject.endswith("helpdesk-access")]
    assert [(v.place.rsplit("#", 1)[-1], v.status, v.access) for v in judged] == [("CA", "valid", True)]
    found = flows(graph, to_country="CA", as_of=AS_OF).flows
    assert [(f.access, [p.rsplit("#", 1)[-1] for p in f.held_in]) for f in found] == [(True, ["NL"])]


# --- The SaaS company and the bundled record ------------------------------------------------------------------

def test_the_saas_company_support_from_the_us_is_access(wolkenwerk):
    """Wolkenwerk's support team reaches the customers' accounts from the US (its transfer says so); the payment
    provider and the US hosting region hold the data there."""
    report = flows(wolkenwerk, to_country="US", as_of=AS_OF)
    access = {f.path[-2].rsplit("/", 1)[-1] for f in report.flows if f.access}
    held = {f.path[-2].rsplit("/", 1)[-1] for f in report.flows if not f.access}
    assert access == {"wolkenwerk-inc"} and {"nimbus", "coinrail"} <= held
    # drawn for one service, the parent stands apart from the US sub-processors that hold the data there
    german = diagram(wolkenwerk, activity="Formfluss, EU data region", as_of=AS_OF, lang="de")
    assert [(german.nodes[e.source][0], german.nodes[e.target][0], e.label) for e in german.edges if e.access] == [
        ("Wolkenwerk Inc.", "Vereinigte Staaten", "Fernzugriff: gültig")]
    assert {"Vereinigte Staaten", "Vereinigte Staaten (Fernzugriff)"} <= {c.label for g in german.clusters for c in g.children}
    # for the whole organisation it is not drawn as access only: the recruitment sends applications to the parent
    assert not any(e.access for e in diagram(wolkenwerk, as_of=AS_OF).edges)


def test_the_bundled_record_documents_no_remote_access(bundled):
    """Nothing of Destiny says access from a country: no verdict, flow or diagram edge is access, and no
    rs:RemoteAccessTransfer finding."""
    assert not bundled.select("SELECT ?s WHERE { ?s ropa:accessedFrom ?c }")
    assert not any(v.access for v in verdicts(bundled, AS_OF))
    assert not any(f.access for f in flows(bundled, as_of=AS_OF).flows)
    assert not any(e.access for e in diagram(bundled, controller="dst:destiny-nv", as_of=AS_OF).edges)
    assert "rs:RemoteAccessTransfer" not in {f.check for f in validate(bundled, as_of=AS_OF).findings}


def test_diff_tells_that_a_transfer_became_access(tmp_path):
    """ropa diff names the access a new version of the record documents on a transfer."""
    from ropa.diff import diff

    with_access = RECORD.replace("{country}", "dpv:hasThirdCountry loc:CA ;")
    without = with_access.replace(" ropa:accessedFrom loc:CA .", "")
    assert without != with_access and without.rstrip().endswith("dpv:hasThirdCountry loc:CA ;")
    for name, text in (("old", without.rstrip()[:-1] + "."), ("new", with_access)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "record.ttl").write_text(text, encoding="utf-8")
    changes = diff(str(tmp_path / "old"), str(tmp_path / "new")).as_dict()["changes"]
    assert [(c["aspect"], c["item_label"], c["old"], c["new"]) for c in changes] == [
        ("transfer", "accessed from", None, "Canada")]


def test_vendors_say_where_a_vendor_reaches_the_data_from(documented):
    from ropa.flows import concentration

    english = {r["label"]: r["located"] for r in concentration(documented, as_of=AS_OF).as_dict()["vendors"]}
    assert english["Bangalore Code Labs Pvt Ltd"] == "Belgium (engagement); India (engagement, remote access)"
    dutch = concentration(documented, as_of=AS_OF, lang="nl").sections()[0]
    assert ["Bangalore Code Labs Pvt Ltd", "België (inschakeling); India (inschakeling, toegang op afstand)"] in \
        [row[:2] for row in dutch.rows]


def _provider_row(graph, folder: Path) -> str:
    from ropa.render import render

    render(graph, folder, formats=["md"], lang="nl", findings=validate(graph, as_of=AS_OF).findings, as_of=AS_OF)
    page = (folder / "md" / "processors-organisation.md").read_text(encoding="utf-8")
    return next(line for line in page.splitlines() if "Bangalore Code Labs Pvt Ltd |" in line)


def test_the_documents_name_the_access_and_its_basis(documented, payroll_path, tmp_path):
    """The processors' list gives the access from India with its clauses; documented without a mechanism, the access
    is not called a transfer that needs no basis because the data are held in Belgium."""
    row = _provider_row(documented, tmp_path / "documented")
    assert "| India (toegang op afstand) — grondslag: Modelcontractbepalingen (EU) 2021/914 |" in row
    bare = ropa.load([copy_with(payroll_path, tmp_path / "lh", ENGAGEMENT,
                                ACCESS + "    ropa:engagementScope ropa:AllProcessorServices ;")])
    row = _provider_row(bare, tmp_path / "bare")
    assert "toegang op afstand" not in row and "niet vereist" not in row


def test_the_sub_processor_notice_says_the_new_team_reaches_the_data_from_india(documented_path, tmp_path):
    """The employers are told of the Indian team as a new sub-processor: its basis per place, India as remote access."""
    from ropa.diff import make_notice

    old = tmp_path / "old"
    shutil.copytree(documented_path, old)
    services = (old / "services.ttl").read_text(encoding="utf-8")
    (old / "services.ttl").write_text(services[:services.index("my:eng-bangalore a ropa:Engagement")], encoding="utf-8")
    told = make_notice(ropa.load([old]), ropa.load([documented_path]), "Loonhuis Schelde NV", dt.date(2026, 12, 31),
                       issued=AS_OF, lang="nl")
    row = next(r for r in told.rows if r[1] == "Bangalore Code Labs Pvt Ltd")
    assert row[-1] == "België: niet vereist; India (toegang op afstand): geldig (Modelcontractbepalingen (EU) 2021/914)"
