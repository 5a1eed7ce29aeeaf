"""The bundled Destiny graph: what the five statements say is there, traced to its sentence, and nothing more."""

from __future__ import annotations


SEED_FILES = {
    "000_fcc4f35d8b18e59c.txt": "https://w3id.org/ropa/destiny/destiny-nv",
    "001_c72aaf9619230fd6.txt": "https://w3id.org/ropa/destiny/dstny-dk",
    "002_cd5c2f5dbbc666e9.txt": "https://w3id.org/ropa/destiny/ozmo",
    "003_a5bcf5d453a98a8f.txt": "https://w3id.org/ropa/destiny/proximus-ict",
    "004_e41584eb31da3dfd.txt": "https://w3id.org/ropa/destiny/d-soft",
}
DST = "https://w3id.org/ropa/destiny/"
ROPA = "https://w3id.org/ropa/vocab#"

# Facts an activity or entity links to that must each be traced to a quote (Art. 30(1)(a)-(g) and the bases).
TRACED_PREDICATES = """dpv:hasDataController dpv:hasDataProcessor dpv:hasPurpose dpv:hasDataSubject dpv:hasPersonalData
    dpv:hasLegalBasis dpv:hasRecipient dpv:hasStorageCondition dpv:hasTechnicalOrganisationalMeasure
    dpv:hasTechnicalMeasure dpv:hasOrganisationalMeasure dpv:hasPhysicalMeasure ropa:hasTransfer
    ropa:hasSubProcessor ropa:engagesProcessor ropa:usesServiceProvider dpv:hasAuthority dpv:hasRight"""


# --- Provenance --------------------------------------------------------------------------------------------

def test_every_quote_is_verbatim_in_its_seed_file(bundled, seeds):
    quotes = bundled.select(
        """SELECT ?q ?file ?text ?section WHERE {
             ?q a ropa:Quote ; ropa:quote ?text ; ropa:inDocument/ropa:fileName ?file .
             OPTIONAL { ?q ropa:section ?section } }"""
    )
    assert len(quotes) > 150
    assert {q["file"] for q in quotes} == set(SEED_FILES)
    for quote in quotes:
        text = seeds[quote["file"]]
        assert quote["text"] in text, f"{quote['q']}: quote is not verbatim in {quote['file']}"
        assert quote["section"] is not None and quote["section"] in text, f"{quote['q']}: section heading not verbatim"


def test_every_activity_and_entity_points_to_a_source(bundled):
    unsourced = bundled.select(
        """SELECT ?x WHERE {
             { ?x a dpv:Process } UNION { ?x a dpv:LegalEntity } UNION { ?x a ropa:ServiceProvider }
             UNION { ?x a dpv:StorageDuration } UNION { ?x a dpv:CrossBorderTransfer }
             FILTER(STRSTARTS(STR(?x), STR(dst:)))
             FILTER NOT EXISTS { ?x ropa:source ?q } }"""
    )
    assert unsourced == []


def test_every_fact_of_an_activity_or_entity_is_traced_to_a_quote(bundled):
    untraced = bundled.select(
        f"""SELECT ?s ?p ?o WHERE {{
              VALUES ?p {{ {TRACED_PREDICATES} }}
              ?s ?p ?o .
              FILTER(STRSTARTS(STR(?s), STR(dst:)))
              FILTER NOT EXISTS {{ ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; ropa:source ?src }} }}"""
    )
    assert untraced == []


# What is not a fact taken from a statement: the kind of node (rdf:type), the record's own names and notes for it,
# the organisation whose record it belongs to (given by its source document) and the provenance itself.
NOT_FACTS = "rdf:type rdfs:label skos:prefLabel rdfs:comment ropa:recordedBy ropa:source"


def test_every_fact_on_an_activity_or_entity_is_traced_by_its_own_statement(bundled):
    """docs/modelling.md: every single fact linking an activity or entity to a value (a concept, a node or the
    stated words) has its own rdf:Statement with a quote (or, for a fact from elsewhere, a public source): a quote
    on the node alone does not say which fact it backs."""
    untraced = bundled.select(
        f"""SELECT ?s ?p ?o WHERE {{
              {{ ?s a dpv:Process }} UNION {{ ?s a dpv:LegalEntity }} UNION {{ ?s a ropa:Establishment }}
              UNION {{ ?s a ropa:ServiceProvider }} UNION {{ ?s a dpv:DataProtectionOfficer }} UNION {{ ?s a dpv:Recipient }}
              FILTER(STRSTARTS(STR(?s), STR(dst:)))
              ?s ?p ?o .
              FILTER(?p NOT IN ({", ".join(NOT_FACTS.split())}))
              FILTER NOT EXISTS {{ ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; ropa:source ?q .
                                   ?q a ?kind FILTER(?kind IN (ropa:Quote, ropa:PublicSource)) }} }}"""
    )
    assert untraced == [], f"{len(untraced)} facts without their own statement, e.g. {untraced[:3]}"


def test_the_quotes_of_a_traced_fact_come_from_its_nodes_own_statement(bundled):
    """A fact is traced to the document of the organisation whose record it is, never to another one's."""
    crossed = bundled.select(   # the node's own documents as a test, not a join: the same answer, ten times faster
        """SELECT DISTINCT ?s ?p ?file WHERE {
             ?s ropa:recordedBy ?entity . ?st rdf:subject ?s ; rdf:predicate ?p ; ropa:source/ropa:inDocument/ropa:fileName ?file .
             FILTER EXISTS { ?s ropa:source/ropa:inDocument/ropa:fileName ?own }
             FILTER NOT EXISTS { ?s ropa:source/ropa:inDocument/ropa:fileName ?file } }"""
    )
    assert crossed == []


def test_traced_statements_describe_triples_that_exist(bundled):
    """A reified statement never claims a fact the graph does not hold (no orphan provenance)."""
    orphans = bundled.select(
        """SELECT ?st ?s ?p ?o WHERE { ?st a rdf:Statement ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
             FILTER NOT EXISTS { ?s ?p ?o } }"""
    )
    assert orphans == []


def test_public_facts_come_from_public_sources_not_quotes(bundled):
    rows = bundled.select(
        """SELECT ?provider ?country ?source WHERE {
             ?provider a ropa:ServiceProvider ; ropa:headquarteredIn ?country .
             ?st rdf:subject ?provider ; rdf:predicate ropa:headquarteredIn ; rdf:object ?country ; ropa:source ?source . }"""
    )
    assert len(rows) >= 10
    for row in rows:
        assert bundled.select("SELECT ?s ?u WHERE { ?s a ropa:PublicSource ; ropa:url ?u }", {"s": _iri(row["source"])}), row


# --- Entities, activities, providers -----------------------------------------------------------------------

def test_every_statement_has_its_document_entity_and_activities(bundled):
    for file_name, entity in SEED_FILES.items():
        rows = bundled.select(
            """SELECT ?file ?entity (COUNT(DISTINCT ?a) AS ?n) WHERE {
                 ?doc ropa:fileName ?file . ?q ropa:inDocument ?doc . ?a a dpv:Process ; ropa:source ?q ;
                 ropa:recordedBy ?entity } GROUP BY ?file ?entity""",
            {"file": _literal(file_name), "entity": _iri(entity)},
        )
        assert int(rows[0]["n"]) >= 2, f"{file_name}: too few activities"
        assert bundled.select("SELECT ?e ?n WHERE { ?e a dpv:LegalEntity ; dpv:hasName ?n ; ropa:source ?q }", {"e": _iri(entity)})


EXPECTED_ACTIVITIES = {
    # Destiny NV (Dstny), as controller and as processor
    "dstny-be-customer-contacts", "dstny-be-usage-data", "dstny-be-technical-data", "dstny-be-traffic-data",
    "dstny-be-location-data", "dstny-be-financial-administration", "dstny-be-conversation-content",
    "dstny-be-website-functional-cookies", "dstny-be-website-nonfunctional-cookies", "dstny-be-job-applicants",
    "dstny-be-recruitment-reserve", "dstny-be-office-visitors", "dstny-be-support-call-recordings",
    "dstny-be-malicious-calls", "dstny-be-newsletter", "dstny-be-processing-for-customers",
    # Dstny in Denmark
    "dstny-dk-telephony", "dstny-dk-telephony-invoicing-compliance", "dstny-dk-customer-contacts",
    # OZMO by Destiny
    "ozmo-cdr", "ozmo-call-recordings-customers", "ozmo-call-recordings-training", "ozmo-customer-contracts",
    "ozmo-supplier-contracts", "ozmo-acquisition", "ozmo-marketing", "ozmo-website-cookies", "ozmo-controller-processing",
    # Proximus ICT
    "proximus-website-visitors", "proximus-cookies", "proximus-website-analysis", "proximus-newsletter",
    "proximus-direct-marketing", "proximus-customer-relations", "proximus-invoicing", "proximus-recruitment",
    "proximus-employee-evaluation", "proximus-legal-obligations", "proximus-privacy-requests",
    "proximus-security-fraud", "proximus-company-management", "proximus-disputes", "proximus-service-improvement",
    # D Soft
    "dsoft-controller-processing", "dsoft-customer-management", "dsoft-supplier-management", "dsoft-legal-obligations",
    "dsoft-disputes", "dsoft-direct-marketing", "dsoft-processing-for-customers",
}


def test_every_activity_the_statements_describe_is_in_the_graph(bundled):
    rows = bundled.select(
        """SELECT ?a ?role WHERE { ?a a dpv:Process ; ropa:recordedBy ?e ; ropa:role ?role ; dpv:hasDataController ?c ;
             ropa:source ?q }"""
    )
    found = {r["a"].removeprefix(DST) for r in rows}
    assert found == EXPECTED_ACTIVITIES
    processor_activities = {r["a"].removeprefix(DST) for r in rows if r["role"] == ROPA + "ProcessorRole"}
    assert {"dstny-be-processing-for-customers", "dstny-dk-telephony", "ozmo-call-recordings-customers",
            "dsoft-processing-for-customers"} <= processor_activities


def test_processor_activities_act_for_customer_controllers(bundled):
    rows = bundled.select(
        """SELECT ?a ?c WHERE { ?a ropa:role ropa:ProcessorRole ; ropa:actsOnBehalfOf ?c ; dpv:hasDataController ?c ;
             dpv:hasDataProcessor ?p . ?c a ropa:CustomerControllers , dpv:DataController }"""
    )
    assert len({r["a"] for r in rows}) >= 4


def test_fifteen_named_service_providers(bundled):
    rows = bundled.select(
        "SELECT ?p ?name WHERE { ?p a ropa:ServiceProvider ; dpv:hasName ?name FILTER NOT EXISTS { ?p a ropa:UnnamedParty } }"
    )
    names = sorted(r["name"] for r in rows)
    assert names == sorted([
        "Microsoft", "Salesforce", "Wolters Kluwer", "Mitel", "Equinix", "Palo Alto", "Symantec", "Aruba Networks",
        "HubSpot", "DMARC Advisor", "Mimecast", "Cisco", "Jobtoolz", "Teneo", "Lead Info",
    ])


def test_dstny_names_its_fourteen_sub_processors(bundled):
    rows = bundled.select("SELECT ?p WHERE { dst:destiny-nv ropa:hasSubProcessor ?p }")
    assert len(rows) == 14


def test_third_party_servers_stay_unnamed_and_unlocated(bundled):
    rows = bundled.select(
        """SELECT ?p WHERE { ?p a ropa:UnnamedParty , ropa:ServiceProvider .
             FILTER NOT EXISTS { ?p ropa:headquarteredIn ?c } FILTER NOT EXISTS { ?p dpv:hasLocation ?l } }"""
    )
    assert DST + "ozmo-third-party-servers" in {r["p"] for r in rows}


def test_teneo_headquarters_stays_unknown(bundled):
    assert not bundled.query("ASK { dst:teneo ropa:headquarteredIn ?c }")
    assert bundled.query("ASK { dst:microsoft ropa:headquarteredIn loc:US }")


def test_every_cdr_field_is_processed_by_ozmo(bundled):
    fields = {r["f"] for r in bundled.select("SELECT ?f WHERE { ?f a ropa:CDRField }")}
    assert len(fields) == 11
    processed = {
        r["f"]
        for r in bundled.select(
            "SELECT ?f WHERE { ?a ropa:recordedBy dst:ozmo ; dpv:hasPersonalData ?f . ?f a ropa:CDRField }"
        )
    }
    assert processed == fields
    assert bundled.query(
        "ASK { ?a ropa:recordedBy dst:ozmo ; dpv:hasPersonalData ropa:CallDetailRecord , ropa:RatedCallDetailRecord }"
    )


def _iri(value: str):
    import pyoxigraph as ox

    return ox.NamedNode(value)


def _literal(value: str):
    import pyoxigraph as ox

    return ox.Literal(value)


# --- Retention as stated (Art. 30(1)(f)) -------------------------------------------------------------------

RETENTION = """
SELECT ?ret ?type ?value ?event ?after ?min ?max WHERE {
  ?activity ropa:recordedBy ?entity ; dpv:hasStorageCondition ?ret .
  ?ret dpv:hasDuration ?d . ?d a ?type .
  FILTER(?type IN (dpv:TemporalDuration, dpv:UntilEventDuration, dpv:IndeterminateDuration, ropa:StatutoryDuration))
  OPTIONAL { ?d rdf:value ?value } OPTIONAL { ?d ropa:untilEvent ?event } OPTIONAL { ?d ropa:afterEvent ?after }
  OPTIONAL { ?d ropa:minimumDuration ?min } OPTIONAL { ?d ropa:maximumDuration ?max }
  {data_filter}
}"""


def retention(graph, entity: str, *, data: str | None = None, activity_label: str | None = None) -> list[dict]:
    """The storage periods of an entity's activities, optionally only those applying to a data category or
    belonging to activities whose English label contains a word."""
    data_filter = ""
    if data:
        data_filter += f"?ret ropa:appliesToData {data} ."
    if activity_label:
        data_filter += f'?activity rdfs:label ?label FILTER(LANG(?label) = "en" && CONTAINS(LCASE(?label), "{activity_label}"))'
    query = RETENTION.replace("{data_filter}", data_filter)
    return graph.select(query.replace("?entity", f"dst:{entity}"))


def durations(rows: list[dict], field: str) -> set[str]:
    return {r[field] for r in rows if r[field]}


def test_dstny_contact_data_agreement_end_plus_two_years(bundled):
    rows = retention(bundled, "destiny-nv", data="pd:Name")
    assert {(r["event"], r["after"]) for r in rows if r["event"]} == {(ROPA + "AgreementEnd", "P2Y")}


def test_dstny_financial_administration_ten_years(bundled):
    rows = retention(bundled, "destiny-nv", activity_label="financial administration")
    assert durations(rows, "value") == {"P10Y"}


def test_dstny_service_data_two_years_after_agreement_and_ten_for_finance(bundled):
    for category in ("ropa:UsageData", "ropa:NetworkData", "ropa:TrafficData", "ropa:TelecomLocationData"):
        rows = retention(bundled, "destiny-nv", data=category)
        assert {(r["event"], r["after"]) for r in rows if r["event"]} == {(ROPA + "AgreementEnd", "P2Y")}, category
        assert durations(rows, "value") == {"P10Y"}, category


def test_dstny_website_visitors_one_year(bundled):
    rows = retention(bundled, "destiny-nv", activity_label="website visitors")
    assert durations(rows, "value") == {"P1Y"}


def test_dstny_applicants_four_weeks_or_one_year_with_consent(bundled):
    rows = retention(bundled, "destiny-nv", activity_label="applicants")
    assert durations(rows, "value") == {"P28D"}
    reserve = retention(bundled, "destiny-nv", activity_label="recruitment reserve")
    assert durations(reserve, "value") == {"P1Y"}
    assert bundled.query(
        """ASK { ?a ropa:recordedBy dst:destiny-nv ; rdfs:label ?l ; dpv:hasLegalBasis ?basis .
                 FILTER(CONTAINS(LCASE(?l), "recruitment reserve")) ?basis skos:broader* eu-gdpr:A6-1-a }"""
    )


def test_ozmo_cdrs_six_months(bundled):
    rows = retention(bundled, "ozmo", data="ropa:CallDetailRecord")
    assert durations(rows, "value") == {"P6M"}


def test_ozmo_recordings_thirty_days_to_twelve_months(bundled):
    rows = retention(bundled, "ozmo", data="pd:VoiceCommunicationRecording")
    ranges = {(r["min"], r["max"]) for r in rows if r["min"]}
    assert ranges == {("P30D", "P1Y")}  # Oxigraph writes the canonical form of P12M


def test_dsoft_direct_marketing_five_years_after_last_contact(bundled):
    rows = retention(bundled, "d-soft", activity_label="direct marketing")
    assert {(r["event"], r["after"]) for r in rows if r["event"]} == {(ROPA + "LastMeaningfulContact", "P5Y")}


def test_dsoft_customer_and_supplier_management_ten_years_after_relationship(bundled):
    for word in ("customer management", "supplier management"):
        rows = retention(bundled, "d-soft", activity_label=word)
        assert {(r["event"], r["after"]) for r in rows if r["event"]} == {(ROPA + "ContractualRelationshipEnd", "P10Y")}, word


def test_vague_retention_stays_visibly_unknown(bundled):
    for entity in ("dstny-dk", "proximus-ict"):
        rows = retention(bundled, entity)
        assert rows and {r["type"] for r in rows} == {"https://w3id.org/dpv#IndeterminateDuration"}, entity
        assert not durations(rows, "value")


# --- Gaps the statements leave, kept as gaps ---------------------------------------------------------------

def test_ozmo_states_no_legal_basis(bundled):
    assert not bundled.query("ASK { ?a ropa:recordedBy dst:ozmo ; dpv:hasLegalBasis ?b }")
    assert len(bundled.select("SELECT ?a WHERE { ?a ropa:recordedBy dst:ozmo ; dpv:hasPurpose ?p }")) >= 5


def test_dstny_dk_transfer_rests_on_sccs_and_privacy_shield_as_stated(bundled):
    rows = bundled.select(
        """SELECT ?t ?basis WHERE { dst:dstny-dk ropa:hasTransfer ?t . ?t a dpv:CrossBorderTransfer ;
             dpv:hasLegalBasis ?basis ; ropa:outsideRegion loc:EEA . FILTER NOT EXISTS { ?t dpv:hasThirdCountry ?c } }"""
    )
    assert {r["basis"] for r in rows} == {"https://w3id.org/dpv/legal/eu/gdpr#A46-2-c", ROPA + "PrivacyShield"}
    assert bundled.query(
        """ASK { ?st rdf:subject ?t ; rdf:predicate dpv:hasLegalBasis ; rdf:object ropa:PrivacyShield ; ropa:source ?q .
                 ?q ropa:quote ?text FILTER(CONTAINS(?text, "EU-U.S. Privacy Shield")) }"""
    )


def test_proximus_dpo_address_is_kept_as_printed(bundled):
    rows = bundled.select("SELECT ?mail WHERE { dst:proximus-ict dpv:hasDataProtectionOfficer/ropa:email ?mail }")
    assert [r["mail"] for r in rows] == ["dpo@proximus-ICT nv / sa.be"]


def test_proximus_candidates_national_register_number(bundled):
    assert bundled.query(
        """ASK { ?a ropa:recordedBy dst:proximus-ict ; dpv:hasDataSubject dpv:JobApplicant ;
                 dpv:hasPersonalData ropa:BelgianNationalRegisterNumber }"""
    )


def test_proximus_newsletter_on_contract_and_direct_marketing_on_consent(bundled):
    newsletter = bundled.select(
        """SELECT ?b WHERE { ?a ropa:recordedBy dst:proximus-ict ; rdfs:label ?l ; dpv:hasLegalBasis ?b .
             FILTER(LANG(?l) = "en" && CONTAINS(LCASE(?l), "newsletter")) }"""
    )
    assert {r["b"] for r in newsletter} <= {
        "https://w3id.org/dpv/legal/eu/gdpr#A6-1-b", "https://w3id.org/dpv/legal/eu/gdpr#A6-1-b-contract-performance"}
    assert newsletter
    assert bundled.query(
        """ASK { ?a ropa:recordedBy dst:proximus-ict ; dpv:hasPurpose ?p ; dpv:hasLegalBasis ?b .
                 ?p skos:broader* dpv:Marketing . ?b skos:broader* eu-gdpr:A6-1-a }"""
    )


def test_no_transfer_outside_the_eea_for_proximus_and_d_soft(bundled):
    assert bundled.query("ASK { dst:proximus-ict ropa:statesNoTransferOutside loc:EU }")
    assert bundled.query("ASK { dst:d-soft ropa:statesNoTransferOutside loc:EEA }")
    assert not bundled.query("ASK { VALUES ?e { dst:proximus-ict dst:d-soft } ?e ropa:hasTransfer ?t }")


def test_group_membership_only_where_stated(bundled):
    members = {r["e"] for r in bundled.select("SELECT ?e WHERE { ?e ropa:isPartOfGroup dst:destiny-group }")}
    assert members == {DST + "dstny-dk", DST + "ozmo"}


def test_d_soft_establishments_with_company_numbers(bundled):
    rows = bundled.select(
        """SELECT ?country ?number WHERE { dst:d-soft ropa:hasEstablishment ?e . ?e dpv:hasCountry ?country ;
             ropa:companyNumber ?number }"""
    )
    assert {(r["country"].rsplit("#")[-1], r["number"]) for r in rows} == {("BE", "0455.351.751"), ("NL", "59326395")}


def test_labels_in_the_statement_language_and_english(bundled):
    missing = bundled.select(
        """SELECT ?a WHERE { ?a a dpv:Process FILTER(STRSTARTS(STR(?a), STR(dst:)))
             FILTER NOT EXISTS { ?a rdfs:label ?en FILTER(LANG(?en) = "en") }
             FILTER NOT EXISTS { ?a rdfs:label ?nl FILTER(LANG(?nl) = "nl") } }"""
    )
    assert missing == []


# --- The corrections of the audit against the statements ----------------------------------------------------

def test_dstny_dk_invoicing_and_legal_compliance_are_its_own_purposes_as_controller(bundled):
    rows = bundled.select(
        """SELECT ?a ?role ?purpose WHERE { ?st rdf:subject ?a ; rdf:predicate dpv:hasPurpose ; rdf:object ?purpose ;
             ropa:source dst:q-001-telephony-purposes . ?a ropa:recordedBy dst:dstny-dk ; ropa:role ?role }"""
    )
    by_purpose = {(r["purpose"].rsplit("#", 1)[1], r["role"].rsplit("#", 1)[1]) for r in rows}
    assert by_purpose == {("ServiceProvision", "ProcessorRole"), ("PaymentManagement", "ControllerRole"),
                          ("LegalCompliance", "ControllerRole")}
    assert not bundled.query("ASK { dst:dstny-dk-telephony dpv:hasPurpose dpv:PaymentManagement }")
    assert bundled.query("ASK { dst:dstny-dk-telephony-invoicing-compliance dpv:hasDataController dst:dstny-dk }")


def test_dstny_backups_keep_what_erasure_removes_elsewhere(bundled):
    rows = bundled.select(
        """SELECT ?right ?condition WHERE { ?st rdf:subject dst:destiny-nv ; rdf:predicate dpv:hasRight ; rdf:object ?right ;
             ropa:condition ?condition ; ropa:source dst:q-000-backups }"""
    )
    assert {r["right"].rsplit("#", 1)[1] for r in rows} == {"A16", "A17", "A18"}
    assert all("never in previously created backups or archive files" in r["condition"] for r in rows)
    assert bundled.query(
        """ASK { dst:destiny-nv dpv:hasStorageCondition ?ret . ?ret ropa:source dst:q-000-backups ;
                 dpv:hasDuration/rdf:type dpv:IndeterminateDuration }"""
    )


def test_dstny_session_cookies_expire_after_one_session(bundled, seeds):
    rows = bundled.select(
        """SELECT ?quote WHERE { dst:destiny-nv dpv:hasStorageCondition ?ret . ?ret dpv:hasDuration ?d ;
             ropa:source/ropa:quote ?quote . ?d ropa:untilEvent ropa:SessionEnd ; ropa:afterEvent ?after }"""
    )
    assert [r["quote"] for r in rows] == ["session cookies (temporary cookies that expire after one session)"]
    assert rows[0]["quote"] in seeds["000_fcc4f35d8b18e59c.txt"]


def test_ozmo_keeps_its_one_list_of_personal_data_where_the_statement_puts_it(bundled):
    parts = {r["a"] for r in bundled.select("SELECT ?a WHERE { dst:ozmo-controller-processing dpv:hasProcess ?a }")}
    assert parts == {DST + n for n in ("ozmo-customer-contracts", "ozmo-supplier-contracts", "ozmo-acquisition", "ozmo-marketing")}
    # No purpose activity asserts data of its own: the statement does not map its list to purposes.
    assert not bundled.query(
        "ASK { dst:ozmo-controller-processing dpv:hasProcess ?a . ?a dpv:hasPersonalData ?d }")
    assert bundled.query("ASK { dst:ozmo-controller-processing dpv:hasPersonalData pd:Gender , pd:Name , ropa:LicenceData }")
    holders = {r["a"] for r in bundled.select("SELECT ?a WHERE { ?a ropa:recordedBy dst:ozmo ; dpv:hasPersonalData pd:Gender }")}
    assert holders == {DST + "ozmo-controller-processing"}
