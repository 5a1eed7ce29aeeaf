"""One verdict per transfer: validate, flows and the transfer queries agree, on the Wolkenwerk example record and on
the bundled Destiny record, before the EU-US Data Privacy Framework took effect, on that day and today.

Wolkenwerk GmbH (examples/wolkenwerk) is controller for its own processing and processor for its customers' forms
in three data regions; its sub-processor list is a set of engagements (ropa:Engagement), one per entry.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ropa import query as library
from ropa.flows import concentration, flow_graph, flows, impact
from ropa.transfers import ENGAGEMENT_SCOPE, verdicts
from ropa.validate import validate

WW = "https://example.org/wolkenwerk/"
LOC = "https://w3id.org/dpv/loc#"
PD = "https://w3id.org/dpv/pd#"
DATES = (dt.date(2023, 7, 9), dt.date(2023, 7, 10), dt.date.today())
"""The day before the Data Privacy Framework took effect, its first day, and today."""


def _scope(graph) -> dict[str, set[str]]:
    """The activities each transfer and engagement is documented for."""
    scope: dict[str, set[str]] = {}
    for row in graph.select(ENGAGEMENT_SCOPE):
        scope.setdefault(row["engagement"], set()).add(row["activity"])
    for row in graph.select("""SELECT ?t ?a WHERE { ?t a dpv:CrossBorderTransfer .
            { ?a ropa:hasTransfer ?t } UNION { ?e ropa:hasTransfer ?t . ?a ropa:recordedBy ?e } ?a a dpv:Process }"""):
        scope.setdefault(row["t"], set()).add(row["a"])
    return scope


def _agreement(graph, day: dt.date) -> list:
    """Check that validate, the transfers-outside-eea query and flows give each transfer the verdict of
    ropa.transfers on ``day``; return the verdicts."""
    judged = verdicts(graph, day)
    failing = {f.focus for f in validate(graph, as_of=day).findings if f.check == "rs:TransferBasis"}
    rows = library.run(library.get("transfers-outside-eea"), graph, as_of=day)
    queried = {}
    for row in rows.rows:
        record = dict(zip(rows.columns, row))
        queried[(record["transfer"].value, record["destination"].value)] = record["status"].value
    transfers = {r["t"] for r in graph.select("SELECT ?t WHERE { ?t a dpv:CrossBorderTransfer }")}
    fg = flow_graph(graph, day)
    scope = _scope(graph)
    compared = 0
    for verdict in judged:
        assert (verdict.subject in failing) == (verdict.status in ("invalid", "unknown")), (verdict, day)
        if verdict.subject in transfers and verdict.status != "not required":
            assert queried.pop((verdict.subject, verdict.place)) == verdict.status, (verdict, day)
        node = verdict.importer or verdict.subject
        place = f"outside:{verdict.place}" if verdict.outside else verdict.place
        for activity in scope.get(verdict.subject, set()):
            if activity in fg.activities:  # not left out on that day
                assert fg.graph.edges[node, place]["status_of"][activity] == verdict.status, (verdict, activity, day)
                compared += 1
    assert queried == {}  # the query lists no transfer the verdicts do not
    missing = library.run(library.get("transfers-without-valid-basis"), graph, as_of=day)
    listed = {(row[missing.columns.index("transfer")].value, row[missing.columns.index("destination")].value)
              for row in missing.rows}
    assert listed == {(v.subject, v.place) for v in judged
                      if v.subject in transfers and v.status in ("invalid", "unknown")}, day
    assert compared or not judged
    return judged


@pytest.mark.parametrize("day", DATES, ids=[d.isoformat() for d in DATES])
def test_validate_flows_and_queries_agree_on_every_wolkenwerk_transfer(wolkenwerk, day):
    judged = {(v.subject, v.place): v.status for v in _agreement(wolkenwerk, day)}
    assert judged[WW + "xfer-payments", LOC + "US"] == ("invalid" if day < dt.date(2023, 7, 10) else "valid")
    assert judged[WW + "eng-nimbus-jp", LOC + "JP"] == "valid"  # the 2019 adequacy decision for Japan
    assert judged[WW + "eng-nimbus-us", LOC + "US"] == "valid"  # the 2021 clauses
    assert judged[WW + "eng-nimbus-eu", LOC + "DE"] == "not required"


@pytest.mark.parametrize("day", DATES, ids=[d.isoformat() for d in DATES])
def test_validate_flows_and_queries_agree_on_every_destiny_transfer(bundled, day):
    assert _agreement(bundled, day)


def test_flows_inside_the_eea_are_never_transfers(wolkenwerk):
    report = flows(wolkenwerk, outside_eea=True)
    places = {f.place for f in report.flows}
    assert places == {LOC + "US", LOC + "JP"}
    every = flows(wolkenwerk)
    assert {f.status for f in every.flows if f.place in (LOC + "DE", LOC + "IE")} == {"not required"}


def test_each_transfer_reaches_only_its_own_activities(wolkenwerk):
    report = flows(wolkenwerk, outside_eea=True)
    paths = {}
    for flow in report.flows:
        paths.setdefault(flow.activity.iri, set()).add((flow.path[-2], flow.place))
    # the EU region: only the two providers all services use leave the EEA (logs, support)
    assert paths[WW + "formfluss-eu"] == {(WW + "logquell", LOC + "US"), (WW + "wolkenwerk-inc", LOC + "US")}
    assert (WW + "nimbus", LOC + "JP") in paths[WW + "formfluss-jp"]
    assert (WW + "nimbus", LOC + "US") not in paths[WW + "formfluss-jp"]
    # the support transfer is documented for the processor services: the controller activities do not inherit it
    assert paths[WW + "customer-accounts"] == {(WW + "coinrail", LOC + "US")}
    assert paths[WW + "recruitment"] == {(WW + "wolkenwerk-inc", LOC + "US")}  # the occasional, consented transfer
    assert WW + "newsletter" not in paths


def test_impact_lists_only_the_data_the_engagements_receive(wolkenwerk):
    logs = impact(wolkenwerk, "Logquell Inc.")
    assert set(logs.categories()) == {PD + "IPAddress", PD + "UserAgent"}
    assert not any(logs.risks.values())  # the forms hold health data, but the log service never sees them
    hosting = impact(wolkenwerk, "Nimbus Cloud Inc.")
    assert PD + "HealthRecord" in hosting.categories()
    # the payments transfer goes to the provider the engagement names: it carries only what the engagement receives
    payments = impact(wolkenwerk, "Coinrail Inc.")
    assert set(payments.categories()) == {PD + "Name", PD + "PaymentCardNumber"}
    assert any("special-category data" in signs for signs in hosting.risks.values())


def test_vendor_scope_all_controller_activities(wolkenwerk):
    crm = impact(wolkenwerk, "Kundenkreis GmbH")
    assert {a.iri for a in crm.activities} == {WW + "customer-accounts", WW + "newsletter", WW + "recruitment"}
    mail = impact(wolkenwerk, "Postwind Ltd")
    assert {a.iri for a in mail.activities} == {WW + "formfluss-eu", WW + "formfluss-us", WW + "formfluss-jp"}


def test_the_company_is_not_its_own_vendor(wolkenwerk):
    vendors = {r.vendor for r in concentration(wolkenwerk).rows}
    assert WW + "wolkenwerk" not in vendors
    assert WW + "wolkenwerk-inc" in vendors  # the parent company, engaged as a sub-processor


def test_an_engagement_outside_its_dates_is_left_out(wolkenwerk):
    before = flows(wolkenwerk, to_country="US", as_of=dt.date(2021, 2, 28))
    assert not any(f.path[-2] == WW + "nimbus" for f in before.flows)
    after = flows(wolkenwerk, to_country="US", as_of=dt.date(2021, 3, 1))
    assert any(f.path[-2] == WW + "nimbus" for f in after.flows)


DEROGATION = """
@prefix ex: <https://example.org/derogation/> .
@prefix ropa: <https://w3id.org/ropa/vocab#> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix loc: <https://w3id.org/dpv/loc#> .
@prefix eu-gdpr: <https://w3id.org/dpv/legal/eu/gdpr#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

ex:occasional a dpv:CrossBorderTransfer ; dpv:hasThirdCountry loc:US ; dpv:hasLegalBasis eu-gdpr:A49-1-a ;
    ropa:occasional true .
ex:systematic a dpv:CrossBorderTransfer ; dpv:hasThirdCountry loc:US ; dpv:hasLegalBasis eu-gdpr:A49-1-a ;
    ropa:occasional false .
ex:unstated a dpv:CrossBorderTransfer ; dpv:hasThirdCountry loc:US ; dpv:hasLegalBasis eu-gdpr:A49-1-b .
ex:clauses-too a dpv:CrossBorderTransfer ; dpv:hasThirdCountry loc:US ;
    dpv:hasLegalBasis eu-gdpr:A49-1-a , ropa:SCC-2021-914-EU ; ropa:occasional false .
ex:to-japan a dpv:CrossBorderTransfer ; dpv:hasThirdCountry loc:JP .
ex:to-eu a dpv:CrossBorderTransfer ; dpv:hasThirdCountry loc:EU .
"""


def test_art_49_derogations_serve_only_occasional_transfers(tmp_path):
    import ropa

    path = tmp_path / "derogation.ttl"
    path.write_text(DEROGATION, encoding="utf-8")
    graph = ropa.load([path])
    day = dt.date(2026, 11, 28)
    status = {v.subject.rsplit("/", 1)[-1]: v.status for v in verdicts(graph, day)}
    assert status == {"occasional": "valid", "systematic": "invalid", "unstated": "invalid", "clauses-too": "valid",
                      "to-japan": "valid", "to-eu": "not required"}
    failing = {f.focus.rsplit("/", 1)[-1] for f in validate(graph, as_of=day).findings if f.check == "rs:TransferBasis"}
    assert failing == {"systematic", "unstated"}


def test_notice_adds_only_providers_not_engaged_before(wolkenwerk, tmp_path):
    from conftest import example_dir

    from ropa.diff import make_notice
    from ropa.load import load

    text = (example_dir("wolkenwerk") / "wolkenwerk.ttl").read_text(encoding="utf-8")
    # The new version names Logquell on each service (it was engaged for all of them before) and adds a provider.
    changed = text.replace("ropa:engagementScope ropa:AllProcessorServices ;\n    ropa:receivesData pd:IPAddress",
                           "ropa:serves ww:formfluss-eu , ww:formfluss-us ;\n    ropa:receivesData pd:IPAddress")
    changed += """
ww:formfluss-eu ropa:hasSubProcessor ww:logquell .
ww:neuwolke a dpv:LegalEntity , dpv:DataSubProcessor ; rdfs:label "Neuwolke AG"@en ; ropa:headquarteredIn loc:AT .
ww:eng-neuwolke a ropa:Engagement ; ropa:engagedBy ww:wolkenwerk ; ropa:provider ww:neuwolke ;
    ropa:dataLocation loc:AT ; ropa:engagementScope ropa:AllProcessorServices .
"""
    assert changed.count("ropa:serves ww:formfluss-eu , ww:formfluss-us") == 1
    (tmp_path / "wolkenwerk.ttl").write_text(changed, encoding="utf-8")
    result = make_notice(wolkenwerk, load([tmp_path]), "Wolkenwerk GmbH", effective=dt.date(2027, 1, 1))
    assert [(row[0], row[1]) for row in result.rows] == [("added", "Neuwolke AG")]


def test_documents_show_engagements_and_keep_each_register_to_its_role(wolkenwerk):
    from ropa.register import build_record

    day = dt.date(2026, 11, 28)
    record = build_record(wolkenwerk, findings=validate(wolkenwerk, as_of=day).findings, as_of=day)
    [controller] = record.controller_registers
    [processor] = record.processor_registers
    services = {WW + n for n in ("formfluss-eu", "formfluss-us", "formfluss-jp")}
    assert controller.gaps and not any(g.activity in services for g in controller.gaps)
    assert not any(g.activity and g.activity not in services for g in processor.gaps)
    assert any(v.text == "Wolkenwerk Inc." and v.detail == "parent company"
               for v in controller.organisation.fields["group"].values)
    [overview] = record.overviews
    providers = {p.iri: p for p in overview.providers}
    assert WW + "wolkenwerk" not in providers
    logs = providers[WW + "logquell"]
    assert {v.iri for v in logs.fields["data"].values} == {PD + "IPAddress", PD + "UserAgent"}
    assert {v.iri for v in providers[WW + "coinrail"].fields["data"].values} == {PD + "Name", PD + "PaymentCardNumber"}
    hosting = providers[WW + "nimbus"]
    assert {v.iri for v in hosting.fields["location"].values} == {LOC + "DE", LOC + "US", LOC + "JP"}
    assert {v.text for v in hosting.fields["services"].values} == {
        "Formfluss, EU data region", "Formfluss, US data region", "Formfluss, Japan data region"}


def test_an_activity_level_processor_is_in_the_documents(tmp_path):
    import ropa
    from conftest import example_dir

    from ropa.register import build_record

    text = (example_dir("wolkenwerk") / "wolkenwerk.ttl").read_text(encoding="utf-8")
    text += """
ww:formbot a dpv:LegalEntity , dpv:DataProcessor ; rdfs:label "Formbot SARL"@en ; ropa:headquarteredIn loc:FR .
ww:newsletter ropa:engagesProcessor ww:formbot .
"""
    (tmp_path / "wolkenwerk.ttl").write_text(text, encoding="utf-8")
    record = build_record(ropa.load([tmp_path]), as_of=dt.date(2026, 11, 28))
    providers = {p.iri: p for p in record.overviews[0].providers}
    assert [v.text for v in providers[WW + "formbot"].fields["services"].values] == ["Newsletter"]


def test_a_sub_processor_list_entry_is_checked_as_a_sub_processor(wolkenwerk):
    found = {f.focus for f in validate(wolkenwerk, as_of=dt.date(2026, 11, 28)).findings
             if f.check == "rs:SubProcessorAuthorisation"}
    # the providers engaged for the processor services need the customers' authorisation (Art. 28(2));
    # the CRM and the payment provider serve the company's own processing only
    assert found == {WW + "nimbus", WW + "postwind", WW + "logquell", WW + "wolkenwerk-inc"}


def test_every_wolkenwerk_quote_is_verbatim_in_its_source(wolkenwerk):
    from conftest import example_dir

    rows = wolkenwerk.select("""SELECT ?q ?quote ?file WHERE {
        ?q a ropa:Quote ; ropa:quote ?quote ; ropa:inDocument/ropa:fileName ?file }""")
    assert len(rows) > 20
    sources = example_dir("wolkenwerk") / "sources"
    for row in rows:
        assert row["quote"] in (sources / row["file"]).read_text(encoding="utf-8"), row["q"]
    untraced = wolkenwerk.select("""SELECT ?node WHERE {
        { ?node a dpv:Process } UNION { ?node a ropa:Engagement } UNION { ?node a dpv:CrossBorderTransfer }
        FILTER(STRSTARTS(STR(?node), "https://example.org/wolkenwerk/"))
        FILTER NOT EXISTS { ?node ropa:source ?quote } }""")
    assert untraced == []


def test_findings_about_providers_belong_to_the_organisation(wolkenwerk, tmp_path):
    import ropa
    from conftest import example_dir

    day = dt.date(2026, 11, 28)
    assert [f for f in validate(wolkenwerk, as_of=day).findings if not f.entity] == []
    text = (example_dir("wolkenwerk") / "wolkenwerk.ttl").read_text(encoding="utf-8")
    text += """
ww:surveyco a dpv:LegalEntity , dpv:DataProcessor ; rdfs:label "SurveyCo Inc."@en ; ropa:headquarteredIn loc:US .
ww:newsletter ropa:engagesProcessor ww:surveyco ; ropa:statesNoTransferOutside loc:EEA .
"""
    (tmp_path / "wolkenwerk.ttl").write_text(text, encoding="utf-8")
    findings = validate(ropa.load([tmp_path]), as_of=day).findings
    [possible] = [f for f in findings if f.check == "rs:UndocumentedTransfer" and f.focus == WW + "surveyco"]
    assert possible.entity == WW + "wolkenwerk"


def test_a_transfer_written_as_a_blank_node_is_judged_by_validate(tmp_path):
    import ropa

    path = tmp_path / "blank.ttl"
    path.write_text("""
@prefix ex: <https://example.org/blank/> .
@prefix ropa: <https://w3id.org/ropa/vocab#> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix loc: <https://w3id.org/dpv/loc#> .
ex:acme a dpv:LegalEntity ; ropa:hasTransfer [ a dpv:CrossBorderTransfer ; dpv:hasThirdCountry loc:US ] .
""", encoding="utf-8")
    graph = ropa.load([path])
    [finding] = [f for f in validate(graph, as_of=dt.date(2026, 11, 28)).findings if f.check == "rs:TransferBasis"]
    assert finding.focus.startswith("_:") and "no basis documented" in finding.message


def test_a_sub_processor_deep_in_the_chain_is_checked_whatever_its_type(tmp_path):
    import ropa

    path = tmp_path / "chain.ttl"
    path.write_text("""
@prefix ex: <https://example.org/chain/> .
@prefix ropa: <https://w3id.org/ropa/vocab#> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix loc: <https://w3id.org/dpv/loc#> .
ex:acme a dpv:LegalEntity , dpv:DataController ; ropa:engagesProcessor ex:host .
ex:payroll a dpv:Process ; ropa:recordedBy ex:acme ; ropa:role ropa:ControllerRole ; dpv:hasDataController ex:acme .
ex:host ropa:dataLocation loc:NL ; ropa:hasSubProcessor ex:backup .
ex:backup ropa:dataLocation loc:BE ; ropa:hasSubProcessor ex:us-support .
ex:us-support a dpv:DataSubProcessor ; ropa:headquarteredIn loc:US .
""", encoding="utf-8")
    findings = validate(ropa.load([path]), as_of=dt.date(2026, 11, 28)).findings
    [possible] = [f for f in findings if f.check == "rs:UndocumentedTransfer"]
    assert possible.focus == "https://example.org/chain/us-support"


SCOPED = """
@prefix ex: <https://example.org/scope/> .
@prefix ropa: <https://w3id.org/ropa/vocab#> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix pd: <https://w3id.org/dpv/pd#> .
@prefix loc: <https://w3id.org/dpv/loc#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

ex:org a dpv:LegalEntity ; rdfs:label "Scope BV"@en ; dpv:hasCountry loc:NL ; ropa:engagesProcessor ex:host .
ex:host a dpv:LegalEntity , dpv:DataProcessor ; rdfs:label "Host BV"@en ; ropa:dataLocation loc:NL .
ex:mailer a dpv:LegalEntity , dpv:DataProcessor ; rdfs:label "Mailer GmbH"@en ; ropa:dataLocation loc:DE .
ex:hr a dpv:Process ; rdfs:label "Payroll"@en ; ropa:recordedBy ex:org ; ropa:role ropa:ControllerRole ;
    dpv:hasDataController ex:org ; dpv:hasDataSubject dpv:Employee ; dpv:hasPersonalData pd:Name ;
    ropa:engagesProcessor ex:host , ex:mailer .
ex:sales a dpv:Process ; rdfs:label "Sales"@en ; ropa:recordedBy ex:org ; ropa:role ropa:ControllerRole ;
    dpv:hasDataController ex:org ; dpv:hasDataSubject dpv:Customer ; dpv:hasPersonalData pd:EmailAddress .
"""


def test_naming_a_provider_on_one_activity_keeps_its_organisation_wide_link(tmp_path):
    import ropa
    from ropa.register import build_record

    path = tmp_path / "scope.ttl"
    path.write_text(SCOPED, encoding="utf-8")
    graph = ropa.load([path])
    ex = "https://example.org/scope/"
    both = {ex + "hr", ex + "sales"}
    assert {a.iri for a in impact(graph, "Host BV").activities} == both
    assert {a.iri for a in impact(graph, "Mailer GmbH").activities} == {ex + "hr"}
    assert {r.vendor: set(r.activities) for r in concentration(graph).rows} == {ex + "host": both, ex + "mailer": {ex + "hr"}}
    rows = library.run(library.get("breach-impact"), graph, params={"processor": "<" + ex + "host>"})
    assert sorted(int(row[rows.columns.index("activities")].value) for row in rows.rows) == [1, 1]  # one per subject
    record = build_record(graph, as_of=dt.date(2026, 11, 28))
    [overview] = record.overviews
    served = {p.iri: {v.iri for v in p.fields["services"].values} for p in overview.providers}
    assert served == {ex + "host": both, ex + "mailer": {ex + "hr"}}
    entries = {e.iri: e for e in record.controller_registers[0].entries}
    assert {v.iri for v in entries[ex + "hr"].fields["processors"].values} == {ex + "host", ex + "mailer"}
    sales = entries[ex + "sales"].fields["processors"]
    assert [v.iri for v in sales.values] == [ex + "host"] and sales.note  # stated for all processing


def test_the_queries_honour_each_engagement_s_scope_and_data(wolkenwerk):
    def rows(name, **params):
        result = library.run(library.get(name), wolkenwerk, params=params)
        return [dict(zip(result.columns, (t.value if t is not None else None for t in row))) for row in result.rows]

    # all controller activities: the CRM reaches the customers and the applicants, never the processor services
    crm = {(r["subjectLabel"], r["activities"]) for r in rows("breach-impact", processor="ww:kundenkreis")}
    assert crm == {("Customer", "2"), ("Job Applicant", "1")}
    health = {(r["receiver"], r["activity"]) for r in rows("recipients-of-data-category", category="pd:HealthRecord")}
    assert {(WW + "nimbus", WW + s) for s in ("formfluss-eu", "formfluss-us", "formfluss-jp")} <= health
    assert not {r for r, _ in health} & {WW + "logquell", WW + "postwind", WW + "kundenkreis", WW + "coinrail"}
    addresses = {(r["receiver"], r["activity"]) for r in rows("recipients-of-data-category", category="pd:IPAddress")}
    assert {(WW + "logquell", WW + s) for s in ("formfluss-eu", "formfluss-us", "formfluss-jp")} <= addresses
    providers = {(r["provider"], r["relation"].rsplit("#", 1)[1]) for r in rows("processors-of-entity", entity="ww:wolkenwerk")}
    assert {(WW + "nimbus", "hasSubProcessor"), (WW + "kundenkreis", "engagesProcessor"),
            (WW + "coinrail", "engagesProcessor")} <= providers
    # the queries' scope is the one flows read (ropa.transfers.ENGAGEMENT_SCOPE)
    scope = _scope(wolkenwerk)
    for engagement in ("eng-postwind", "eng-kundenkreis", "eng-coinrail"):
        provider = wolkenwerk.select(f"SELECT ?p WHERE {{ <{WW}{engagement}> ropa:provider ?p }}")[0]["p"]
        every = {r["activity"] for r in rows("recipients-of-data-category", category="any") if r["receiver"] == provider}
        assert every == scope[WW + engagement], engagement
