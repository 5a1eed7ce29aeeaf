"""Synthetic records of processing: a corporate group of any size, with known defects, for scale tests and benchmarks.

The bundled Destiny graph is small (a few thousand data triples); the validation engine has to be shown to work and
to agree with plain pyshacl at a million. Real records of that size cannot be shipped, so this module writes one:
about thirty group companies keeping controller records (Art. 30(1)) and one large hosting company keeping a
processor record (Art. 30(2)) for thousands of customer controllers. The processor holds roughly a third of the
triples because "a processor with many customer controllers" is the shape that stresses validation most: long
lists of controllers per activity and thousands of small controller nodes with contact details to check.

The data follow docs/modelling.md and use only terms the loader accepts (DPV 2.3 subset, ropa vocabulary), so
``ropa.load([folder])`` reads the output as it would a real record. A clean record produces no finding at all;
a fraction of the activities (``defect_rate``) each carries exactly one planted defect, cycling through kinds
that a shape catches (see DEFECT_KINDS and DEFECT_CHECKS), so a test can check that every planted defect is
reported and nothing else is.

Output is deterministic for a given seed (one ``random.Random``, no iteration over sets), so benchmark runs and
test failures can be reproduced. Turtle is written with plain string formatting rather than rdflib, because a
million triples must be generated in seconds, not minutes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

SYN = "https://w3id.org/ropa/synthetic/"
"""Namespace of the generated nodes: outside DPV and ropa, so the loader's vocabulary check does not apply to it."""

DEFECT_KINDS: tuple[str, ...] = (
    "missing-purpose",
    "missing-legal-basis",
    "malformed-email",
    "privacy-shield-transfer",
    "indeterminate-retention",
    "marketing-on-contract",
    "national-register-number",
    "processor-without-agreement",
    "subprocessor-without-authorisation",
)
"""The defects planted, in the order they are cycled through."""

DEFECT_CHECKS: dict[str, str] = {
    "missing-purpose": "rs:ControllerActivity-purpose",
    "missing-legal-basis": "rs:LawfulBasis",
    "malformed-email": "rs:EmailAddress-form",
    "privacy-shield-transfer": "rs:InvalidatedTransferInstrument",
    "indeterminate-retention": "rs:RetentionWithoutPeriod",
    "marketing-on-contract": "rs:MarketingOnContract",
    "national-register-number": "rs:NationalIdentificationNumber",
    "processor-without-agreement": "rs:ProcessorAgreement",
    "subprocessor-without-authorisation": "rs:SubProcessorAuthorisation",
}
"""The check (shape, as ``Finding.check`` names it) that must report each planted defect on its focus node."""

_DEFECT_ROLES = {
    "missing-purpose": "controller",          # a processor activity may describe its processing instead (30(2)(b))
    "missing-legal-basis": "controller",      # Art. 6 is checked on the controller's record
    "malformed-email": "processor",           # on one of the activity's customer controllers
    "privacy-shield-transfer": "any",
    "indeterminate-retention": "controller",  # time limits for erasure are an Art. 30(1)(f) field
    "marketing-on-contract": "controller",
    "national-register-number": "any",
    "processor-without-agreement": "processor",
    "subprocessor-without-authorisation": "processor",
}

_PREFIXES = """@prefix syn: <https://w3id.org/ropa/synthetic/> .
@prefix ropa: <https://w3id.org/ropa/vocab#> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix pd: <https://w3id.org/dpv/pd#> .
@prefix loc: <https://w3id.org/dpv/loc#> .
@prefix eu-gdpr: <https://w3id.org/dpv/legal/eu/gdpr#> .
@prefix legal-eu: <https://w3id.org/dpv/legal/eu#> .
@prefix legal-be: <https://w3id.org/dpv/legal/be#> .
@prefix legal-nl: <https://w3id.org/dpv/legal/nl#> .
@prefix legal-dk: <https://w3id.org/dpv/legal/dk#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

"""

# --- Building blocks --------------------------------------------------------------------------------------------

# (label, purposes, data subjects, personal data, legal bases). Bases match purposes so that a clean activity
# passes every check: consent goes with the organisation's ropa:withdrawalMeans, legitimate interests with an
# assessment (dpv:hasImpactAssessment), and no template uses special-category or location data (which would
# call for a DPIA and is not a defect this generator plants).
_CONTROLLER_TEMPLATES: tuple[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = (
    ("Customer management", ("dpv:CustomerManagement",), ("dpv:Customer", "ropa:Prospect"),
     ("pd:Name", "pd:EmailAddress", "pd:TelephoneNumber", "pd:PhysicalAddress"), ("eu-gdpr:A6-1-b",)),
    ("Service provision", ("dpv:ServiceProvision",), ("dpv:Customer", "dpv:User"),
     ("pd:Name", "pd:EmailAddress", "pd:IPAddress", "pd:Username", "ropa:UsageData"), ("eu-gdpr:A6-1-b",)),
    ("Invoicing and payments", ("dpv:PaymentManagement",), ("dpv:Customer",),
     ("pd:Name", "pd:BankAccount", "pd:PhysicalAddress", "pd:PaymentCardNumber"), ("eu-gdpr:A6-1-b", "eu-gdpr:A6-1-c")),
    ("Personnel administration", ("dpv:HumanResourceManagement", "dpv:PersonnelManagement"), ("dpv:Employee",),
     ("pd:Name", "pd:Salary", "pd:BankAccount", "pd:Job", "pd:WorkHistory"), ("eu-gdpr:A6-1-b", "eu-gdpr:A6-1-c")),
    ("Recruitment", ("dpv:HumanResourceManagement",), ("dpv:JobApplicant",),
     ("pd:Name", "pd:EmailAddress", "pd:WorkHistory", "ropa:CurriculumVitae"), ("eu-gdpr:A6-1-b",)),
    ("Newsletter and direct marketing", ("dpv:DirectMarketing",), ("dpv:Customer", "ropa:Prospect"),
     ("pd:Name", "pd:EmailAddress", "pd:Language"), ("eu-gdpr:A6-1-a",)),
    ("Fraud prevention", ("dpv:FraudPreventionAndDetection",), ("dpv:Customer", "dpv:User"),
     ("pd:IPAddress", "pd:Name", "pd:PaymentCardNumber"), ("eu-gdpr:A6-1-f",)),
    ("Legal and tax obligations", ("dpv:LegalCompliance",), ("dpv:Customer", "ropa:Supplier"),
     ("pd:Name", "pd:PhysicalAddress", "pd:BankAccount"), ("eu-gdpr:A6-1-c",)),
    ("Service improvement", ("dpv:ServiceOptimisation",), ("dpv:User",),
     ("pd:IPAddress", "ropa:UsageData", "pd:Language"), ("eu-gdpr:A6-1-f",)),
    ("Supplier management", ("dpv:FulfilmentOfContractualObligation",), ("ropa:Supplier",),
     ("pd:Name", "pd:EmailAddress", "pd:TelephoneNumber", "pd:Job"), ("eu-gdpr:A6-1-b",)),
)

_OBLIGATION_LAW = "The accounting, tax and labour law of the organisation's country"
"""The law a synthetic activity on a legal obligation names (Art. 6(3)): the record is fictional, and so is its law."""

_SERVICES = (
    "Hosted telephony", "Cloud backup", "E-mail hosting", "Managed workplace", "Payroll processing", "CRM hosting",
    "Web hosting", "Contact-centre platform", "Document archiving", "Video conferencing",
)
_PROCESSOR_DATA = ("pd:Name", "pd:EmailAddress", "pd:TelephoneNumber", "pd:IPAddress", "pd:Username", "ropa:UsageData")
_PROCESSOR_SUBJECTS = ("dpv:Employee", "dpv:Customer", "dpv:User")
_PERIODS = ("P30D", "P6M", "P1Y", "P2Y", "P5Y", "P7Y", "P10Y")
_EVENTS = ("ropa:AgreementEnd", "ropa:ContractualRelationshipEnd", "ropa:LastMeaningfulContact")
_MEASURES = (
    "dpv:Encryption", "dpv:AccessControlMethod", "dpv:MultiFactorAuthentication", "dpv:DataBackupProtocols",
    "dpv:InformationSecurityPolicy", "dpv:SecurityKnowledgeTraining", "dpv:PhysicalMeasure", "dpv:Pseudonymisation",
    "dpv:IncidentManagementProcedures", "ropa:Firewall", "ropa:MalwareProtection", "ropa:ISO27001Certification",
)
# (country, legal basis): every basis is valid on any date after 2023-07-10 (the US framework needs an importer
# certified under it, which the US provider is).
_TRANSFERS = (
    ("loc:US", "ropa:Adequacy-EU-US-DPF"), ("loc:IN", "ropa:SCC-2021-914-EU"), ("loc:JP", "legal-eu:Adequacy-EU-JP"),
    ("loc:PH", "eu-gdpr:A46-2-c"), ("loc:BR", "ropa:SCC-2021-914-EU"),
)
# Service providers the group companies use as processors: (local name, name, headquarters, certified under the
# EU-US Data Privacy Framework (ropa:certifiedUnder)). Those outside the EEA carry ropa:dataLocation so that they
# are no undocumented transfer when no activity happens to document one.
_PROVIDERS = (
    ("provider-crm", "Cirrus CRM Inc.", "loc:US", True),
    ("provider-payroll", "Paystream BV", "loc:NL", False),
    ("provider-itsupport", "Bharat IT Services Pvt Ltd", "loc:IN", False),
    ("provider-translation", "Nihon Lingua KK", "loc:JP", False),
    ("provider-contactcentre", "Manila Contact Solutions Inc.", "loc:PH", False),
    ("provider-analytics", "Sao Paulo Analytics Ltda", "loc:BR", False),
    ("provider-printing", "Druckhaus Mitte GmbH", "loc:DE", False),
    ("provider-archive", "Archivum SA", "loc:BE", False),
)
_IMPORTER = {"loc:US": "provider-crm", "loc:IN": "provider-itsupport", "loc:JP": "provider-translation",
             "loc:PH": "provider-contactcentre", "loc:BR": "provider-analytics"}
_COUNTRIES = (  # (country, authority, city, postcode, street, legal form, e-mail top-level domain)
    ("loc:BE", "legal-be:DPA-BE", "Brussels", "1000", "Rue de la Loi", "NV", "be"),
    ("loc:BE", "legal-be:DPA-BE", "Ghent", "9000", "Kortrijksesteenweg", "BV", "be"),
    ("loc:BE", "legal-be:DPA-BE", "Antwerp", "2000", "Meir", "NV", "be"),
    ("loc:NL", "legal-nl:DPA-NL", "Utrecht", "3511", "Oudegracht", "BV", "nl"),
    ("loc:DK", "legal-dk:DPA-DK", "Aarhus", "8000", "Strandvejen", "ApS", "dk"),
)
_WORDS = (
    "Alder", "Birch", "Cedar", "Dune", "Ember", "Fjord", "Granite", "Harbour", "Iris", "Juniper", "Kestrel", "Linden",
    "Maple", "Nova", "Orchard", "Pioneer", "Quartz", "Raven", "Summit", "Tidal", "Umber", "Vale", "Willow", "Xenon",
    "Yarrow", "Zephyr", "Aurora", "Beacon", "Cobalt", "Delta",
)
_TRADES = ("Telecom", "Software", "Logistics", "Retail", "Energy", "Consulting", "Media", "Finance", "Health IT", "Security")
_GROUP_ORGANISATIONS = 30
_MALFORMED = ("{local}(at){domain}", "{local}@{host}", "{local} @{domain}", "{local}@@{domain}")


@dataclass
class _Activity:
    """One activity before it is written: what is decided for it, so that a planted defect can change it."""

    name: str
    org: str
    role: str
    label: str
    purposes: list[str]
    subjects: list[str]
    data: list[str]
    bases: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    processors: list[str] = field(default_factory=list)
    period: str = "P2Y"
    event: str | None = None
    applies_to: str = "pd:Name"
    indeterminate: bool = False
    transfer: tuple[str, str, str] | None = None  # (country, basis, importer)
    lia: str | None = None
    # What the analysis questions look for (children, automated decisions, joint controllers): set by the activity's
    # number, not drawn, so that adding them left every other choice of a seed as it was.
    children: bool = False
    automated: bool = False
    joint: bool = False
    # Processor activities
    controllers: list[int] = field(default_factory=list)
    new_customers: list[int] = field(default_factory=list)
    processing: list[str] = field(default_factory=list)
    subprocessors: list[str] = field(default_factory=list)
    description: str = ""
    with_agreement: bool = True
    unauthorised_subprocessor: bool = False
    bad_email_customer: int | None = None
    defect: str | None = None


def _subject(subject: str, pairs: list[tuple[str, list[str] | tuple[str, ...]]]) -> tuple[str, int]:
    """One Turtle subject block and its number of triples (one per object; empty properties are left out)."""
    parts = []
    count = 0
    for predicate, objects in pairs:
        if objects:
            parts.append(f"{predicate} {' , '.join(objects)}")
            count += len(objects)
    return f"{subject} " + " ;\n    ".join(parts) + " .\n", count


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- Rendering ---------------------------------------------------------------------------------------------------

def _render_controller(a: _Activity) -> tuple[str, int]:
    node = f"syn:{a.name}"
    retention = f"syn:{a.name}-ret"
    pairs = [
        ("a", ["dpv:Process"]),
        ("rdfs:label", [_quoted(a.label) + "@en"]),
        ("ropa:recordedBy", [f"syn:{a.org}"]),
        ("ropa:role", ["ropa:ControllerRole"]),
        ("dpv:hasDataController", [f"syn:{a.org}"]),
        ("dpv:hasPurpose", a.purposes),
        ("dpv:hasDataSubject", a.subjects + (["dpv:Child"] if a.children else [])),
        ("dpv:hasPersonalData", a.data),
        ("dpv:hasLegalBasis", a.bases),
        # a legal obligation names the law that lays it down (Art. 6(3))
        ("ropa:legalBasisLaw", [_quoted(_OBLIGATION_LAW) + "@en"] if "eu-gdpr:A6-1-c" in a.bases else []),
        ("dpv:hasImpactAssessment", ([f"syn:{a.lia}"] if a.lia else []) + ([f"syn:{a.org}-dpia"] if a.automated else [])),
        ("dpv:hasContext", ["dpv:AutomatedDecisionMaking"] if a.automated else []),
        ("dpv:hasProcessing", ["dpv:Profiling"] if a.automated else []),
        ("dpv:hasJointDataControllers", [f"syn:{a.name}-joint"] if a.joint else []),
        ("dpv:hasRecipient", a.recipients),
        ("dpv:hasDataProcessor", a.processors),
        ("dpv:hasStorageCondition", [retention]),
        ("ropa:hasTransfer", [f"syn:{a.name}-xfer"] if a.transfer else []),
        ("ropa:statesNoTransferOutside", [] if a.transfer else ["loc:EEA"]),
    ]
    text, count = _subject(node, pairs)
    if a.indeterminate:
        duration, inner = '[ a dpv:IndeterminateDuration ; ropa:statedAs "as long as necessary" ]', 2
    elif a.event:
        duration = f'[ a dpv:UntilEventDuration ; ropa:untilEvent {a.event} ; ropa:afterEvent "{a.period}"^^xsd:duration ]'
        inner = 3
    else:
        duration, inner = f'[ a dpv:TemporalDuration ; rdf:value "{a.period}"^^xsd:duration ]', 2
    block, n = _subject(retention, [("a", ["dpv:StorageDuration"]), ("dpv:hasDuration", [duration]),
                                    ("ropa:appliesToData", [a.applies_to])])
    text += block
    count += n + inner
    if a.transfer:
        block, n = _transfer(f"syn:{a.name}-xfer", f"syn:{a.org}", *a.transfer)
        text += block
        count += n
    if a.joint:   # decided together with the group's holding company, under the group's arrangement (Art. 26)
        block, n = _subject(f"syn:{a.name}-joint", [("a", ["dpv:JointDataControllers"]),
                                                     ("dpv:hasDataController", [f"syn:{a.org}", "syn:org00"]),
                                                     ("ropa:hasAgreement", ["syn:group-joint-arrangement"])])
        text += block
        count += n
    return text + "\n", count


def _transfer(node: str, exporter: str, country: str, basis: str, importer: str) -> tuple[str, int]:
    return _subject(node, [
        ("a", ["dpv:CrossBorderTransfer"]),
        ("dpv:hasDataExporter", [exporter]),
        ("dpv:hasDataImporter", [f"syn:{importer}"]),
        ("dpv:hasThirdCountry", [country]),
        ("dpv:hasLegalBasis", [basis]),
    ])


def _customer_iri(number: int) -> str:
    return f"syn:customer-{number:06d}"


def _render_customer(number: int, rng_values: tuple[str, str], malformed: int | None = None) -> tuple[str, int]:
    """A customer controller (name, address, e-mail) and its controller-processor agreement with the processor."""
    street, city = rng_values
    # A domain like the organisations' own: an example domain (RFC 2606) would be reported as a placeholder.
    local, host = "privacy", f"customer-{number:06d}"
    email = f"{local}@{host}.eu"
    if malformed is not None:
        email = _MALFORMED[malformed % len(_MALFORMED)].format(local=local, host=host, domain=f"{host}.eu")
    text, count = _subject(_customer_iri(number), [
        ("a", ["dpv:DataController", "dpv:LegalEntity"]),
        ("dpv:hasName", [f'"Customer {number:06d} BV"']),
        ("dpv:hasAddress", [_quoted(f"{street}, {city}")]),
        ("ropa:email", [_quoted(email)]),
    ])
    block, n = _subject(f"syn:dpa-{number:06d}", [
        ("a", ["dpv:ControllerProcessorAgreement"]),
        ("dpv:hasDataController", [_customer_iri(number)]),
        ("dpv:hasDataProcessor", ["syn:nimbus"]),
    ])
    return text + block, count + n


def _render_processor(a: _Activity, addresses: dict[int, tuple[str, str]]) -> tuple[str, int]:
    node = f"syn:{a.name}"
    controllers = [_customer_iri(c) for c in a.controllers]
    subprocessors = [f"syn:{s}" for s in a.subprocessors]
    if a.unauthorised_subprocessor:
        subprocessors.append(f"syn:{a.name}-sub")
    pairs = [
        ("a", ["dpv:Process"]),
        ("rdfs:label", [_quoted(a.label) + "@en"]),
        ("ropa:recordedBy", ["syn:nimbus"]),
        ("ropa:role", ["ropa:ProcessorRole"]),
        ("dpv:hasDataProcessor", ["syn:nimbus"]),
        ("dpv:hasDataController", controllers),
        ("ropa:actsOnBehalfOf", controllers),
        ("ropa:hasAgreement", [f"syn:dpa-{c:06d}" for c in a.controllers] if a.with_agreement else []),
        ("dpv:hasProcessing", a.processing),
        ("dpv:hasPurpose", a.purposes),
        ("ropa:purposeDescription", [_quoted(a.description) + "@en"]),
        ("dpv:hasDataSubject", a.subjects),
        ("dpv:hasPersonalData", a.data),
        ("ropa:hasSubProcessor", subprocessors),
        ("ropa:hasTransfer", [f"syn:{a.name}-xfer"] if a.transfer else []),
    ]
    text, count = _subject(node, pairs)
    for number in a.new_customers:
        block, n = _render_customer(number, addresses[number], number if number == a.bad_email_customer else None)
        text += block
        count += n
    if a.unauthorised_subprocessor:
        # Engaged for this service only, with an agreement but without the controller's authorisation (Art. 28(2)).
        block, n = _subject(f"syn:{a.name}-sub", [
            ("a", ["ropa:ServiceProvider", "dpv:DataProcessor"]),
            ("dpv:hasName", [_quoted(f"Subcontractor for {a.label}")]),
            ("ropa:hasAgreement", [f"syn:{a.name}-sub-agreement"]),
        ])
        text += block
        count += n
        block, n = _subject(f"syn:{a.name}-sub-agreement", [("a", ["dpv:SubProcessorAgreement"]),
                                                           ("dpv:hasDataProcessor", [f"syn:{a.name}-sub"])])
        text += block
        count += n
    if a.transfer:
        block, n = _transfer(f"syn:{a.name}-xfer", "syn:nimbus", *a.transfer)
        text += block
        count += n
    return text + "\n", count


def _render_organisation(org: str, name: str, country: tuple, rng: random.Random, *, processor: bool) -> tuple[str, int]:
    """The record keeper: name, contact details, authority, DPO, security measures (stated once for all processing)."""
    country_iri, authority, city, postcode, street, _, tld = country
    domain = name.lower().replace(" ", "-").replace(".", "") + f".{tld}"
    measures = rng.sample(_MEASURES, rng.randint(3, 6))
    types = ["dpv:LegalEntity", "dpv:Organisation", "dpv:DataProcessor" if processor else "dpv:DataController"]
    pairs = [
        ("a", types),
        ("rdfs:label", [_quoted(name) + "@en"]),
        ("dpv:hasName", [_quoted(name)]),
        ("dpv:hasAddress", [_quoted(f"{street} {rng.randint(1, 250)}, {postcode} {city}")]),
        ("dpv:hasCountry", [country_iri]),
        ("ropa:email", [_quoted(f"privacy@{domain}")]),
        ("ropa:telephone", [_quoted(f"+32 2 555 {rng.randint(10, 99)} {rng.randint(10, 99)}")]),
        ("dpv:hasAuthority", [authority]),
        ("dpv:hasDataProtectionOfficer", [f"syn:{org}-dpo"]),
        ("ropa:isPartOfGroup", ["syn:group"]),
        ("dpv:hasTechnicalOrganisationalMeasure", measures),
    ]
    if processor:
        pairs.append(("ropa:hasTransfer", [f"syn:{org}-xfer-support"]))
    else:
        pairs.append(("ropa:withdrawalMeans", ['"an unsubscribe link in every message, or an e-mail to the privacy address"@en']))
        pairs.append(("dpv:hasRight", ["eu-gdpr:A15", "eu-gdpr:A16", "eu-gdpr:A17", "eu-gdpr:A21", "eu-gdpr:A22"]))
        pairs.append(("ropa:responseTime", ['"P1M"^^xsd:duration']))
    text, count = _subject(f"syn:{org}", pairs)
    for block, n in (
        _subject(f"syn:{org}-dpo", [("a", ["dpv:DataProtectionOfficer"]),
                                    ("dpv:hasName", [_quoted(f"Data protection officer of {name}")]),
                                    ("ropa:email", [_quoted(f"dpo@{domain}")])]),
    ):
        text += block
        count += n
    if not processor:
        for block, n in (
            _subject(f"syn:{org}-dpia", [("a", ["dpv:DPIA"]),
                                         ("rdfs:label", [_quoted(f"Impact assessment of automated fraud scoring at {name}") + "@en"])]),
            _subject(f"syn:{org}-lia", [("a", ["dpv:LegitimateInterestAssessment"]),
                                        ("rdfs:label", [_quoted(f"Legitimate interests assessment of {name}") + "@en"])]),
            _subject(f"syn:{org}-rcpt-authorities", [("a", ["dpv:Recipient"]),
                                                     ("rdfs:label", ['"Public authorities (tax, social security)"@en'])]),
            _subject(f"syn:{org}-rcpt-advisers", [("a", ["dpv:Recipient"]),
                                                  ("rdfs:label", ['"External advisers (accountants, lawyers)"@en'])]),
        ):
            text += block
            count += n
    return text + "\n", count


def _render_group() -> tuple[str, int]:
    """The group node and the service providers the group companies share (written in the parent's file)."""
    text, count = _subject("syn:group", [("a", ["ropa:CorporateGroup"]), ("rdfs:label", ['"Synthgroup"@en'])])
    block, n = _subject("syn:group-joint-arrangement", [
        ("a", ["dpv:JointDataControllersAgreement"]),
        ("rdfs:label", ['"Group arrangement on jointly decided marketing"@en'])])
    text += block
    count += n
    for local, name, hq, certified in _PROVIDERS:
        pairs = [
            ("a", ["ropa:ServiceProvider", "dpv:DataProcessor"]),
            ("dpv:hasName", [_quoted(name)]),
            ("ropa:headquarteredIn", [hq]),
            ("ropa:dataLocation", [hq] if hq in _IMPORTER else []),
            ("ropa:certifiedUnder", ["ropa:Adequacy-EU-US-DPF"] if certified else []),
            ("ropa:hasAgreement", [f"syn:{local}-agreement"]),
        ]
        block, n = _subject(f"syn:{local}", pairs)
        text += block
        count += n
        block, n = _subject(f"syn:{local}-agreement", [("a", ["dpv:ControllerProcessorAgreement"]),
                                                       ("dpv:hasDataProcessor", [f"syn:{local}"])])
        text += block
        count += n
    return text + "\n", count


def _render_processor_organisation(rng: random.Random) -> tuple[str, int, list[str]]:
    """The hosting company, its general authorisation of sub-processors, its sub-processors and its support transfer."""
    text, count = _render_organisation("nimbus", "Nimbus Cloud Services NV", _COUNTRIES[0], rng, processor=True)
    block, n = _transfer("syn:nimbus-xfer-support", "syn:nimbus", "loc:IN", "ropa:SCC-2021-914-EU", "nimbus-sub-support")
    text += block
    count += n
    block, n = _subject("syn:nimbus-general-authorisation", [
        ("a", ["dpv:ControllerProcessorAgreement"]),
        ("rdfs:label", ['"Standard processing agreement, clause 9: general written authorisation of sub-processors"@en']),
        ("dpv:hasDataProcessor", ["syn:nimbus"]),
    ])
    text += block
    count += n
    subprocessors = []
    for local, name, hq in (
        ("nimbus-sub-support", "Bharat Cloud Support Pvt Ltd", "loc:IN"), ("nimbus-sub-datacentre", "Brussels Datacentre NV", "loc:BE"),
        ("nimbus-sub-backup", "Nordic Backup ApS", "loc:DK"), ("nimbus-sub-network", "Rhine Networks GmbH", "loc:DE"),
        ("nimbus-sub-mail", "Lowlands Mail BV", "loc:NL"), ("nimbus-sub-sms", "Paris SMS SAS", "loc:FR"),
    ):
        subprocessors.append(local)
        block, n = _subject(f"syn:{local}", [
            ("a", ["ropa:ServiceProvider", "dpv:DataProcessor"]),
            ("dpv:hasName", [_quoted(name)]),
            ("ropa:headquarteredIn", [hq]),
            ("ropa:dataLocation", [hq] if hq == "loc:IN" else []),
            ("ropa:authorisedBy", ["syn:nimbus-general-authorisation"]),
            ("ropa:hasAgreement", [f"syn:{local}-agreement"]),
        ])
        text += block
        count += n
        block, n = _subject(f"syn:{local}-agreement", [("a", ["dpv:SubProcessorAgreement"]),
                                                       ("dpv:hasDataProcessor", [f"syn:{local}"])])
        text += block
        count += n
    return text + "\n", count, subprocessors


# --- Planning ----------------------------------------------------------------------------------------------------

def _controller_activity(rng: random.Random, org: str, number: int) -> _Activity:
    label, purposes, subjects, data, bases = _CONTROLLER_TEMPLATES[rng.randrange(len(_CONTROLLER_TEMPLATES))]
    chosen_subjects = [s for s in subjects if rng.random() < 0.7] or [subjects[0]]
    chosen_data = [d for d in data if rng.random() < 0.75]
    if len(chosen_data) < 2:
        chosen_data = list(data[:2])
    provider = _PROVIDERS[rng.randrange(len(_PROVIDERS))][0]
    recipients = [f"syn:{org}-rcpt-{rng.choice(('authorities', 'advisers'))}"]
    activity = _Activity(
        name=f"{org}-a{number:05d}",
        org=org,
        role="controller",
        label=f"{label} ({number})",
        purposes=list(purposes),
        subjects=chosen_subjects,
        data=chosen_data,
        bases=list(bases),
        recipients=recipients,
        processors=[f"syn:{provider}"] if rng.random() < 0.6 else [],
        period=rng.choice(_PERIODS),
        applies_to=chosen_data[0],
        lia=f"{org}-lia" if "eu-gdpr:A6-1-f" in bases else None,
    )
    activity.children = label == "Service provision" and number % 7 == 0
    activity.automated = label == "Fraud prevention" and number % 3 == 0
    if activity.automated:   # a payment refused by automated scoring is necessary for the contract (Art. 22(2)(a))
        activity.bases.append("eu-gdpr:A6-1-b")
    activity.joint = label == "Newsletter and direct marketing" and number % 4 == 0 and org != "org00"
    if rng.random() < 0.25:
        activity.event = rng.choice(_EVENTS)
    if rng.random() < 0.2:
        country, basis = _TRANSFERS[rng.randrange(len(_TRANSFERS))]
        activity.transfer = (country, basis, _IMPORTER[country])
    elif activity.processors:
        # A processor that keeps the data outside the EEA receives a transfer: the activity documents it
        # (Art. 30(1)(e)); otherwise the activity states that its data stay in the EEA.
        located = {f"syn:{name}": country for country, name in _IMPORTER.items()}
        country = located.get(activity.processors[0])
        if country:
            activity.transfer = (country, dict(_TRANSFERS)[country], activity.processors[0].removeprefix("syn:"))
    return activity


def _processor_activity(rng: random.Random, number: int, customers: list[int], next_customer: int,
                        subprocessors: list[str]) -> tuple[_Activity, int]:
    """A service the processor runs for many customers: some of them new, some already served by other services."""
    size = rng.randint(3, 24)
    fresh = max(1, (size + 1) // 2)
    reused = min(size - fresh, len(customers))
    controllers = [customers[i] for i in sorted(rng.sample(range(len(customers)), reused))] if reused else []
    new = list(range(next_customer, next_customer + fresh))
    service = _SERVICES[rng.randrange(len(_SERVICES))]
    data = [d for d in _PROCESSOR_DATA if rng.random() < 0.5] or ["pd:Name", "pd:EmailAddress"]
    subjects = [s for s in _PROCESSOR_SUBJECTS if rng.random() < 0.5] or ["dpv:Employee"]
    activity = _Activity(
        name=f"nimbus-s{number:05d}",
        org="nimbus",
        role="processor",
        label=f"{service} for customers (contract batch {number})",
        purposes=["dpv:ServiceProvision"],
        subjects=subjects,
        data=data,
        controllers=controllers + new,
        new_customers=new,
        processing=["dpv:Store", "dpv:Use"] if rng.random() < 0.5 else ["dpv:Store"],
        subprocessors=sorted(rng.sample(subprocessors, rng.randint(1, 2))),
        description=f"{service} as ordered by each customer under its processing agreement",
    )
    return activity, next_customer + fresh


def _plant(activity: _Activity, kind: str) -> str:
    """Give the activity one defect of the kind; return the focus node the shape reports it on."""
    activity.defect = kind
    node = SYN + activity.name
    if kind == "missing-purpose":
        activity.purposes = []
    elif kind == "missing-legal-basis":
        activity.bases = []
        activity.lia = None
    elif kind == "malformed-email":
        activity.bad_email_customer = activity.new_customers[0]
        return SYN + f"customer-{activity.bad_email_customer:06d}"
    elif kind == "privacy-shield-transfer":
        activity.transfer = ("loc:US", "ropa:PrivacyShield", "provider-crm")
        return node + "-xfer"
    elif kind == "indeterminate-retention":
        activity.indeterminate = True
    elif kind == "marketing-on-contract":
        activity.purposes = [p for p in activity.purposes if p != "dpv:DirectMarketing"] + ["dpv:DirectMarketing"]
        # Only on the contract: consent or legitimate interests beside it would make the marketing lawful.
        activity.bases = [b for b in activity.bases if b not in ("eu-gdpr:A6-1-a", "eu-gdpr:A6-1-f")]
        activity.lia = None
        if "eu-gdpr:A6-1-b" not in activity.bases:
            activity.bases.append("eu-gdpr:A6-1-b")
    elif kind == "national-register-number":
        activity.data = activity.data + ["ropa:BelgianNationalRegisterNumber"]
    elif kind == "processor-without-agreement":
        activity.with_agreement = False
    elif kind == "subprocessor-without-authorisation":
        activity.unauthorised_subprocessor = True
        return node + "-sub"
    return node


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


# --- Entry point -------------------------------------------------------------------------------------------------

def generate(target_triples: int, folder: Path, *, seed: int = 7, defect_rate: float = 0.02) -> dict:
    """Write a synthetic group record of about ``target_triples`` triples into ``folder``, one Turtle file per organisation.

    Thirty group companies share two thirds of the triples (controller activities, weighted so that sizes differ);
    one hosting company, Nimbus Cloud Services, holds the last third as processor activities for thousands of
    customer controllers. About ``defect_rate`` of the activities get one planted defect each, cycling through
    DEFECT_KINDS; whenever defects are planted at all, each kind is planted at least once, so that even a small
    graph exercises every check. Files of the same names are overwritten; other files in ``folder`` are left alone.

    Returns a summary: the files written, the number of triples (distinct, as the loader counts them), activities
    by role, customer controllers, defects by kind and the planted defects with the focus node each is reported on.
    """
    if target_triples <= 0:
        raise ValueError("target_triples must be positive")
    if not 0 <= defect_rate <= 1:
        raise ValueError("defect_rate must be between 0 and 1")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)

    processor_share = target_triples // 3
    group_share = target_triples - processor_share
    weights = [rng.uniform(0.4, 2.0) for _ in range(_GROUP_ORGANISATIONS)]
    total_weight = sum(weights)

    # Pass 1: organisations and activities, with each block's triple count, until each organisation's quota is met.
    files: list[tuple[str, list[str], list[int], list[_Activity | None]]] = []  # (name, blocks, counts, activities)
    controllers: list[_Activity] = []
    for index in range(_GROUP_ORGANISATIONS):
        org = f"org{index:02d}"
        country = _COUNTRIES[index % len(_COUNTRIES)] if index else _COUNTRIES[0]
        legal_form = country[5]
        name = ("Synthgroup Holding" if index == 0 else f"{_WORDS[index]} {_TRADES[index % len(_TRADES)]}") + f" {legal_form}"
        blocks, counts, activities = [], [], []
        text, n = _render_organisation(org, name, country, rng, processor=False)
        blocks.append(text), counts.append(n), activities.append(None)
        if index == 0:
            text, n = _render_group()
            blocks.append(text), counts.append(n), activities.append(None)
        quota = group_share * weights[index] / total_weight
        number = 0
        while sum(counts) < quota:
            number += 1
            activity = _controller_activity(rng, org, number)
            text, n = _render_controller(activity)
            blocks.append(text), counts.append(n), activities.append(activity)
            controllers.append(activity)
        files.append((f"{index:02d}-{_slug(name)}.ttl", blocks, counts, activities))

    text, n, subprocessors = _render_processor_organisation(rng)
    blocks, counts, activities = [text], [n], [None]
    processors: list[_Activity] = []
    addresses: dict[int, tuple[str, str]] = {}
    customers: list[int] = []
    next_customer = 1
    number = 0
    while sum(counts) < processor_share or not processors:
        number += 1
        activity, next_customer = _processor_activity(rng, number, customers, next_customer, subprocessors)
        for customer in activity.new_customers:
            country = _COUNTRIES[customer % len(_COUNTRIES)]
            addresses[customer] = (f"{country[4]} {rng.randint(1, 400)}", f"{country[3]} {country[2]}")
        customers.extend(activity.new_customers)
        text, n = _render_processor(activity, addresses)
        blocks.append(text), counts.append(n), activities.append(activity)
        processors.append(activity)
    files.append((f"{_GROUP_ORGANISATIONS:02d}-nimbus-cloud-services.ttl", blocks, counts, activities))

    # Pass 2: plant defects on activities drawn from shuffled pools, cycling through the kinds.
    activity_count = len(controllers) + len(processors)
    wanted = 0
    if defect_rate > 0:
        wanted = max(len(DEFECT_KINDS), round(activity_count * defect_rate))
    pools = {"controller": controllers[:], "processor": processors[:]}
    for pool in pools.values():
        rng.shuffle(pool)
    planted: list[dict] = []
    defects = {kind: 0 for kind in DEFECT_KINDS}
    for j in range(wanted):
        kind = DEFECT_KINDS[j % len(DEFECT_KINDS)]
        role = _DEFECT_ROLES[kind]
        if role == "any":
            role = "controller" if (j // len(DEFECT_KINDS)) % 2 == 0 else "processor"
            if not pools[role]:
                role = "processor" if role == "controller" else "controller"
        if not pools[role]:
            continue
        activity = pools[role].pop()
        focus = _plant(activity, kind)
        defects[kind] += 1
        planted.append({"kind": kind, "check": DEFECT_CHECKS[kind], "activity": SYN + activity.name, "focus": focus})

    # Write: re-render only the activities that got a defect.
    written: list[str] = []
    triples = 0
    for file_name, blocks, counts, activities in files:
        for i, activity in enumerate(activities):
            if activity is not None and activity.defect is not None:
                if activity.role == "controller":
                    blocks[i], counts[i] = _render_controller(activity)
                else:
                    blocks[i], counts[i] = _render_processor(activity, addresses)
        path = folder / file_name
        with path.open("w", encoding="utf-8") as out:
            out.write(f"# Synthetic record of processing activities (ropa.synthetic, seed {seed}). Not real data.\n\n")
            out.write(_PREFIXES)
            out.writelines(blocks)
        written.append(str(path))
        triples += sum(counts)

    return {
        "folder": str(folder),
        "seed": seed,
        "target_triples": target_triples,
        "defect_rate": defect_rate,
        "files": written,
        "triples": triples,
        "activities": activity_count,
        "controller_activities": len(controllers),
        "processor_activities": len(processors),
        "organisations": _GROUP_ORGANISATIONS + 1,
        "customer_controllers": len(customers),
        "defects": defects,
        "planted": planted,
    }


def _main() -> None:
    """``python -m ropa.synthetic TRIPLES FOLDER [--seed N] [--defect-rate R]``: write a record and print the summary."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=_main.__doc__)
    parser.add_argument("triples", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--defect-rate", type=float, default=0.02)
    args = parser.parse_args()
    summary = generate(args.triples, args.folder, seed=args.seed, defect_rate=args.defect_rate)
    summary.pop("planted")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    _main()
