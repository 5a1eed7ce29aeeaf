"""Art. 30(1)(c): a data-subject value that names no kind of person (a data category, a name the record never
defines) is reported as what it is, not as "no data subject described"."""

from __future__ import annotations

import pytest

import ropa
from ropa import resources
from ropa.plain import PlainWords
from ropa.register import Messages
from ropa.validate import validate
from records import prefixes

KREEK = prefixes("https://dekreek.example/record/") + """

my:organisation a dpv:Organisation , dpv:DataController ; dpv:hasName "Jeugdhuis De Kreek vzw" ;
    dpv:hasCountry loc:BE ; ropa:email "privacy@dekreek.be" .
my:Vrijwilliger a skos:Concept , dpv:HumanSubject ; skos:broader dpv:HumanSubject ; skos:prefLabel "Vrijwilliger"@nl .

# The officer put the e-mail address among the data subjects, and mistyped the centre's own category.
my:newsletter a dpv:Process ; rdfs:label "Nieuwsbrief"@nl ; ropa:recordedBy my:organisation ; ropa:role ropa:ControllerRole ;
    dpv:hasDataController my:organisation ; dpv:hasPurpose dpv:DirectMarketing ; dpv:hasLegalBasis eu-gdpr:A6-1-a ;
    dpv:hasDataSubject pd:EmailAddress , my:Vrijwiliger , my:Vrijwilliger ; dpv:hasPersonalData pd:Name ;
    ropa:noRecipients true .
"""


@pytest.fixture(scope="module")
def kreek(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kreek")
    (folder / "record.ttl").write_text(KREEK, encoding="utf-8")
    graph = ropa.load([folder])
    return graph, validate(graph).findings


def test_each_value_that_is_no_data_subject_is_its_own_finding(kreek):
    graph, findings = kreek
    kinds = {f.value for f in findings if f.check == "rs:ControllerActivity-subjectKind"}
    assert kinds == {"https://w3id.org/dpv/pd#EmailAddress", "https://dekreek.example/record/Vrijwiliger"}
    assert "rs:ControllerActivity-subjects" not in {f.check for f in findings}   # subjects are described
    assert all(f.article == "Art. 30(1)(c)" for f in findings if f.check == "rs:ControllerActivity-subjectKind")


@pytest.mark.parametrize("lang, category, typo", [
    ("nl", "'E-mailadres' staat bij de betrokkenen, maar is een categorie persoonsgegevens",
     "'Vrijwiliger' staat bij de betrokkenen, maar is een naam die het register nergens omschrijft"),
    ("fr", "« Adresse e-mail » figure parmi les personnes concernées, mais c'est une catégorie de données",
     "« Vrijwiliger » figure parmi les personnes concernées, mais c'est un nom que le registre ne définit nulle part"),
    ("de", "„E-Mail-Adresse“ steht bei den betroffenen Personen, ist aber eine Kategorie personenbezogener Daten",
     "„Vrijwiliger“ steht bei den betroffenen Personen, ist aber ein Name, den das Verzeichnis nirgends bestimmt"),
    ("en", "'Email Address' is given as a category of data subjects, but it is a category of personal data",
     "'Vrijwiliger' is given as a category of data subjects, but it is a name the record does not define"),
])
def test_the_message_names_the_value_and_what_it_is(kreek, lang, category, typo):
    graph, findings = kreek
    plain = PlainWords(graph, lang)
    said = {plain(f).message for f in findings if f.check == "rs:ControllerActivity-subjectKind"}
    assert any(m.startswith(category) for m in said), said
    assert any(m.startswith(typo) for m in said), said
    assert not [m for m in said if "pd:" in m or "https://" in m]
    assert Messages(lang)("check.ControllerActivity-subjects.message") not in said
    fix = {plain(f).fix for f in findings if f.check == "rs:ControllerActivity-subjectKind"}
    assert fix == {Messages(lang)("check.ControllerActivity-subjectKind.fix")}


def test_a_data_category_among_the_bundled_records_subjects_is_reported(tmp_path):
    """The same mistake in a copy of the bundled record: one finding naming the category, in Dutch."""
    extra = tmp_path / "mistake.ttl"
    extra.write_text("""@prefix dst: <https://w3id.org/ropa/destiny/> .
@prefix dpv: <https://w3id.org/dpv#> .
@prefix pd: <https://w3id.org/dpv/pd#> .
dst:dstny-be-customer-contacts dpv:hasDataSubject pd:TelephoneNumber .
""", encoding="utf-8")
    graph = ropa.load([resources.data_dir() / "destiny", extra])
    found = [f for f in validate(graph).findings if f.check == "rs:ControllerActivity-subjectKind"]
    assert [(f.activity, f.value) for f in found] == [
        ("https://w3id.org/ropa/destiny/dstny-be-customer-contacts", "https://w3id.org/dpv/pd#TelephoneNumber")]
    message = PlainWords(graph, "nl")(found[0]).message
    assert message.startswith("'Telefoonnummer' staat bij de betrokkenen, maar is een categorie persoonsgegevens")


@pytest.mark.parametrize("lang, purpose, data", [
    ("nl", "'Lid' staat bij de doeleinden, maar is een categorie betrokkenen, geen doel van de verwerking.",
     "'Ouder' staat bij de persoonsgegevens, maar is een categorie betrokkenen, geen categorie persoonsgegevens."),
    ("fr", "« Membre » figure parmi les finalités, mais c'est une catégorie de personnes concernées",
     "« Parent » figure parmi les données à caractère personnel, mais c'est une catégorie de personnes concernées"),
])
def test_a_purpose_or_a_data_category_of_the_wrong_kind_is_named_too(tmp_path, lang, purpose, data):
    """The same mistake in the columns beside: a data subject written as the purpose or among the personal data."""
    (tmp_path / "record.ttl").write_text(KREEK.replace("dpv:hasPurpose dpv:DirectMarketing", "dpv:hasPurpose dpv:Member")
                                         .replace("dpv:hasPersonalData pd:Name", "dpv:hasPersonalData pd:Name , dpv:ParentOfHuman"),
                                         encoding="utf-8")
    graph = ropa.load([tmp_path])
    findings = validate(graph).findings
    checks = {f.check for f in findings}
    assert {"rs:ControllerActivity-purposeKind", "rs:ControllerActivity-dataKind"} <= checks
    assert not {"rs:ControllerActivity-purpose", "rs:ControllerActivity-data"} & checks
    plain = PlainWords(graph, lang)
    said = {plain(f).message for f in findings}
    assert any(m.startswith(purpose) for m in said) and any(m.startswith(data) for m in said), said
