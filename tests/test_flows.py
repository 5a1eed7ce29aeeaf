"""Data flows, vendor impact, concentration and the register as of a date: on the bundled data and on fixtures.

Expected answers are derived by hand from the Turtle files (data/destiny/000-*.ttl, 001-*.ttl, 002-*.ttl,
public-facts.ttl and tests/fixtures/flows/*.ttl), not from the code under test.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ropa
from ropa import timeline
from ropa.cli import app
from ropa.errors import RopaError
from ropa.flows import concentration, flows, impact, resolve_party

DST = "https://w3id.org/ropa/destiny/"
EX = "https://example.org/acme/"
GLOBEX = "https://example.org/globex/"
LOC = "https://w3id.org/dpv/loc#"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "flows"
AS_OF = dt.date(2026, 11, 28)
runner = CliRunner()

# 000-destiny-nv.ttl: the activities Destiny NV records (ropa:recordedBy dst:destiny-nv); 15 as controller, one as
# processor for its customers. Its fourteen (sub)processors are linked to the organisation, not to an activity.
DSTNY_ACTIVITIES = {DST + name for name in """dstny-be-customer-contacts dstny-be-usage-data dstny-be-technical-data
    dstny-be-traffic-data dstny-be-location-data dstny-be-financial-administration dstny-be-conversation-content
    dstny-be-malicious-calls dstny-be-website-functional-cookies dstny-be-website-nonfunctional-cookies
    dstny-be-job-applicants dstny-be-recruitment-reserve dstny-be-office-visitors dstny-be-support-call-recordings
    dstny-be-newsletter dstny-be-processing-for-customers""".split()}
DSTNY_SUBPROCESSORS = {DST + name for name in """microsoft salesforce wolters-kluwer mitel equinix palo-alto symantec
    aruba-networks hubspot dmarc-advisor mimecast cisco jobtoolz teneo""".split()}
# public-facts.ttl: the ones headquartered in the United States.
US_HEADQUARTERED = {DST + name for name in "microsoft salesforce equinix palo-alto symantec aruba-networks hubspot cisco".split()}


@pytest.fixture(scope="module")
def chains():
    return ropa.load([FIXTURES / "chains.ttl"])


@pytest.fixture(scope="module")
def validity():
    return ropa.load([FIXTURES / "validity.ttl"])


# --- Flows on the bundled data ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def outside_eea(bundled):
    return flows(bundled, outside_eea=True, as_of=AS_OF)


def test_dstny_us_headquartered_subprocessors_are_possible_flows_with_unknown_basis(bundled):
    report = flows(bundled, to_country="US", as_of=AS_OF)
    assert report.flows
    assert {f.place for f in report.flows} == {LOC + "US"}
    providers = {f.path[-2] for f in report.flows}
    assert providers == US_HEADQUARTERED
    for flow in report.flows:
        assert DST + "destiny-nv" in flow.path
        assert flow.status == "unknown"
        assert flow.possible
    # Every activity Destiny NV records can reach each of them: 16 activities x 8 providers.
    assert {(f.activity.iri, f.path[-2]) for f in report.flows} == {(a, p) for a in DSTNY_ACTIVITIES for p in US_HEADQUARTERED}


def test_dstny_subprocessors_in_adequate_countries_are_valid(outside_eea):
    by_provider = {f.path[-2]: f for f in outside_eea.flows}
    assert by_provider[DST + "mitel"].status == "valid"  # Canada
    assert by_provider[DST + "mimecast"].status == "valid"  # United Kingdom
    assert {b.instrument.rsplit("#", 1)[1] for b in by_provider[DST + "mitel"].bases if b.valid} == {"Adequacy-EU-CA"}


def test_dstny_dk_transfer_privacy_shield_invalid_but_scc_valid(outside_eea):
    dk = [f for f in outside_eea.flows if f.activity.recorder == DST + "dstny-dk"]
    assert {f.activity.iri for f in dk} == {DST + "dstny-dk-telephony", DST + "dstny-dk-telephony-invoicing-compliance",
                                         DST + "dstny-dk-customer-contacts"}
    for flow in dk:
        assert flow.path[-2] == DST + "dstny-dk-subcontractors"
        assert flow.place == "outside:" + LOC + "EEA"
        assert flow.conditional  # "if this occurs"
        bases = {b.instrument.rsplit("#", 1)[1]: b for b in flow.bases}
        assert not bases["PrivacyShield"].valid
        assert "2020-07-16" in bases["PrivacyShield"].reason
        assert bases["A46-2-c"].valid
        assert flow.status == "valid"


def test_no_flow_out_of_the_eea_for_d_soft_and_proximus_as_stated(bundled, outside_eea):
    stating = {r["e"] for r in bundled.select("SELECT ?e WHERE { ?e ropa:statesNoTransferOutside ?region }")}
    assert {DST + "d-soft", DST + "proximus-ict"} <= stating
    leaving = {f.activity.recorder for f in outside_eea.flows}
    assert DST + "d-soft" not in leaving and DST + "proximus-ict" not in leaving
    # They do have flows: D Soft's data stay at its establishments and with Lead Info (NL).
    everywhere = flows(bundled, as_of=AS_OF)
    d_soft = {f.place for f in everywhere.flows if f.activity.recorder == DST + "d-soft"}
    assert d_soft == {LOC + "BE", LOC + "NL"}


def test_provider_named_on_one_activity_does_not_apply_to_all(bundled):
    # 004-d-soft.ttl names Lead Info on the umbrella activity only (the statement names it in the list of data D Soft
    # processes as controller, nowhere for all its processing): only that activity reaches it.
    result = impact(bundled, "dst:lead-info", as_of=AS_OF)
    assert [a.iri for a in result.activities] == [DST + "dsoft-controller-processing"]


# --- Flows on fixtures ------------------------------------------------------------------------------------

def test_chain_counts_even_when_the_first_hop_is_in_the_eea(chains):
    report = flows(chains, to_country="US", as_of=AS_OF)
    [backup] = [f for f in report.flows if f.path[-2] == EX + "us-backup"]
    assert backup.path == [EX + "payroll", EX + "acme", EX + "eu-host", EX + "us-backup", LOC + "US"]
    assert backup.status == "valid"  # SCC 2021/914, in force since 2021-06-27
    earlier = flows(chains, to_country="US", as_of=dt.date(2019, 1, 1))
    [backup] = [f for f in earlier.flows if f.path[-2] == EX + "us-backup"]
    assert backup.status == "invalid"


def test_weakest_link_decides_the_path(chains):
    report = flows(chains, to_country="JP", as_of=AS_OF)
    [japan] = report.flows
    assert japan.last_status == "valid"  # adequacy decision for Japan
    assert japan.status == "unknown"  # US CRM holds the data in the US without a documented basis
    assert japan.weakest_at == EX + "us-crm"


def test_privacy_shield_valid_for_certified_importer_until_schrems_ii(chains):
    def mailer(date):
        return next(f for f in flows(chains, outside_eea=True, as_of=date).flows if f.path[-2] == EX + "old-us-mailer")

    assert mailer(dt.date(2019, 1, 1)).status == "valid"
    assert mailer(AS_OF).status == "invalid"


def test_activity_without_providers_stays_home(chains):
    report = flows(chains, as_of=AS_OF)
    assert {f.place for f in report.flows if f.activity.iri == EX + "newsletter"} == {LOC + "BE"}


# --- Impact -------------------------------------------------------------------------------------------------

def test_impact_of_microsoft_matches_the_hand_derived_answer(bundled):
    result = impact(bundled, "Microsoft", as_of=AS_OF)
    assert result.vendor == DST + "microsoft"
    assert {a.iri for a in result.activities} == DSTNY_ACTIVITIES
    assert result.engaged_by == [DST + "destiny-nv"]
    assert set(result.controllers) == {DST + "destiny-nv", DST + "dstny-be-customer-controllers"}
    assert result.customer_controllers == [DST + "dstny-be-customer-controllers"]
    # Replacing it: Destiny NV owes its customers an Art. 28(2) notice (for its processor activity only).
    assert result.replacement_notice == {DST + "destiny-nv": [DST + "dstny-be-customer-controllers"]}
    dpv, pd, vocab = "https://w3id.org/dpv#", "https://w3id.org/dpv/pd#", "https://w3id.org/ropa/vocab#"
    assert set(result.subjects()) == {dpv + s for s in "Customer User Visitor JobApplicant Subscriber".split()}
    expected = {pd + c for c in """Name TelephoneNumber EmailAddress Password Authenticating MACAddress PrivacyPreference
        Preference BrowsingBehaviour Interest Profile ProfessionalInterview ProfessionalEvaluation
        VoiceCommunicationRecording""".split()}
    expected |= {vocab + c for c in """UsageData DataVolume LicenceData NetworkData SourceCode TrafficData CallingNumber
        CalledNumber CallStartTime CallDuration CallCharge RoamingNetwork TelecomLocationData CommunicationContent
        MaliciousCallData CurriculumVitae""".split()}
    assert set(result.categories()) == expected


def test_impact_names_who_must_be_notified(bundled):
    result = impact(bundled, "dst:microsoft", as_of=AS_OF)
    rows = {(row[0], row[2]) for row in result.notifications}
    assert ("Destiny NV (Dstny)", "Art. 33(2)") in rows
    assert ("Data Protection Authority (APD/GBA)", "Art. 33(1)") in rows
    authority = next(row for row in result.notifications if row[2] == "Art. 33(1)" and "APD" in row[0])
    assert "contact@apd-gba.be" in authority[4]
    subjects = next(row for row in result.notifications if row[2] == "Art. 34(1)")
    assert "location data" in subjects[3]  # the traffic, location and financial activities carry location data
    customers = [row for row in result.notifications if row[0].startswith("Dstny's customers")]
    assert customers and customers[0][2] == "Art. 33(2)"


def test_impact_notifies_up_a_chain_of_processors(chains):
    result = impact(chains, "US Backup", as_of=AS_OF)
    assert [a.iri for a in result.activities] == [EX + "payroll"]
    told = {row[0]: (row[1], row[2]) for row in result.notifications}
    assert told["EU Host"] == ("US Backup", "Art. 33(2), Art. 28(4)")  # the sub-processor tells its processor
    assert told["Acme"] == ("EU Host", "Art. 33(2)")  # which tells the controller
    assert told["Supervisory authority of Acme"] == ("Acme", "Art. 33(1)")  # none recorded for Acme
    assert "privacy@acme.example" in next(row[4] for row in result.notifications if row[0] == "Acme")


def test_impact_of_an_unknown_or_ambiguous_vendor_is_a_clear_error(bundled):
    with pytest.raises(RopaError, match="did you mean 'Microsoft'"):
        impact(bundled, "Microsfot")
    with pytest.raises(RopaError, match="dst:destiny-nv, dst:dstny-dk"):
        resolve_party(bundled, "Dstny")


# --- Concentration ----------------------------------------------------------------------------------------

def test_vendors_ranked_by_dependent_activities(bundled):
    ranked = concentration(bundled, as_of=AS_OF).rows
    top = ranked[:14]
    assert {r.vendor for r in top} == DSTNY_SUBPROCESSORS
    assert all(set(r.activities) == DSTNY_ACTIVITIES for r in top)
    assert all(len(r.activities) <= 16 for r in ranked)
    assert not any(r.single_point_for for r in top)  # fourteen of them: none carries everything alone


def test_single_points_of_failure(bundled):
    rows = {r.vendor: r for r in concentration(bundled, as_of=AS_OF).rows}
    # 002-ozmo.ttl: OZMO stores everything on one unnamed third party's servers (stated for the organisation);
    # none of its nine activities, its processor service included, has another vendor. A processor is not its
    # own vendor: OZMO and Destiny NV are no vendors of the services they perform for their customers.
    ozmo = {DST + n for n in """ozmo-controller-processing ozmo-customer-contracts ozmo-supplier-contracts ozmo-cdr
        ozmo-call-recordings-training ozmo-acquisition ozmo-marketing ozmo-website-cookies
        ozmo-call-recordings-customers""".split()}
    assert set(rows[DST + "ozmo-third-party-servers"].single_point_for) == ozmo
    assert DST + "ozmo" not in rows and DST + "destiny-nv" not in rows


# --- The register as of a date ----------------------------------------------------------------------------

def _activities(graph) -> set[str]:
    return {r["a"] for r in graph.select("SELECT ?a WHERE { ?a a dpv:Process }")}


def _subprocessors(graph) -> set[str]:
    return {r["s"] for r in graph.select(f"SELECT ?s WHERE {{ <{GLOBEX}globex> ropa:hasSubProcessor ?s }}")}


def test_as_of_leaves_out_an_activity_whose_validity_ended(validity):
    before, after = timeline.as_of(validity, dt.date(2024, 6, 1)), timeline.as_of(validity, dt.date(2025, 6, 1))
    assert GLOBEX + "old-campaign" in _activities(before)
    assert GLOBEX + "old-campaign" not in _activities(after)
    assert GLOBEX + "support" in _activities(after)
    assert not after.select(f"SELECT ?p ?o WHERE {{ <{GLOBEX}old-campaign> ?p ?o }}")
    assert not after.select(f"SELECT ?st WHERE {{ ?st rdf:subject <{GLOBEX}old-campaign> }}")


def test_as_of_leaves_out_an_activity_not_yet_valid(validity):
    assert GLOBEX + "new-service" not in _activities(timeline.as_of(validity, dt.date(2025, 6, 1)))
    assert GLOBEX + "new-service" in _activities(timeline.as_of(validity, dt.date(2026, 1, 1)))


def test_as_of_follows_the_validity_of_sub_processor_links(validity):
    assert _subprocessors(timeline.as_of(validity, dt.date(2021, 6, 1))) == {GLOBEX + "legacy-host", GLOBEX + "call-centre"}
    assert _subprocessors(timeline.as_of(validity, dt.date(2023, 6, 1))) == {GLOBEX + "legacy-host"}
    assert _subprocessors(timeline.as_of(validity, dt.date(2025, 6, 1))) == {GLOBEX + "cloud-host", GLOBEX + "call-centre"}


def test_as_of_leaves_the_original_graph_alone(validity):
    size = len(validity)
    timeline.as_of(validity, dt.date(2030, 1, 1))
    assert len(validity) == size
    assert GLOBEX + "old-campaign" in _activities(validity)


def test_as_of_returns_a_register_with_nothing_out_of_date_as_it_is(bundled):
    assert timeline.as_of(bundled, AS_OF) is bundled


def test_flows_and_impact_use_the_register_as_of_the_date(validity):
    def activities_reaching_legacy(date):
        return {a.iri for a in impact(validity, "Legacy Host", as_of=date).activities}

    assert activities_reaching_legacy(dt.date(2024, 6, 1)) == {GLOBEX + "support", GLOBEX + "old-campaign"}
    assert activities_reaching_legacy(dt.date(2025, 6, 1)) == set()
    places = {f.place for f in flows(validity, as_of=dt.date(2025, 6, 1)).flows}
    assert places == {LOC + "BE", LOC + "DE", LOC + "NL"}


# --- Commands ---------------------------------------------------------------------------------------------

def test_flows_command_json(tmp_path):
    result = runner.invoke(app, ["flows", "--to-country", "United States", "--as-of", "2026-11-28", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["as_of"] == "2026-11-28"
    assert {f["place"]["id"] for f in report["flows"]} == {"loc:US"}
    assert {f["basis"] for f in report["flows"]} == {"unknown"}


def test_flows_command_markdown_to_file(tmp_path):
    target = tmp_path / "flows.md"
    result = runner.invoke(app, ["flows", "--outside-eea", "--as-of", "2026-11-28", "--format", "md", "-o", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Data flows to places outside the EEA")
    assert "| Route | Place | Basis |" in text
    assert "EU-U.S. Privacy Shield (invalidated): no valid basis after 2020-07-16" in text


def test_impact_and_vendors_commands(tmp_path):
    result = runner.invoke(app, ["impact", "dst:microsoft", "--as-of", "2026-11-28", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["activities"]) == len(DSTNY_ACTIVITIES)
    result = runner.invoke(app, ["vendors", "--format", "table"])
    assert result.exit_code == 0 and "Single points of failure" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["impact", "Nobody"], "no vendor named 'Nobody'"),
    (["flows", "--to-country", "US", "--outside-eea"], "not both"),
    (["flows", "--as-of", "31/11/2026"], "not a date"),
    (["vendors", "no-such-folder"], "no such file or folder"),
])
def test_command_errors_are_one_line_and_exit_2(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
