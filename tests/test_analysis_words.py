"""The analyses and the Art. 28(2) notice leave no English in a Dutch or French run: an empty table's "None.", an
activity's English label, an error of the notice; on the Flemish payroll provider's and the e-learning company's
records."""

from __future__ import annotations

import datetime as dt
import re

import pytest

import ropa
from ropa.diff import make_notice
from ropa.errors import RopaError
from ropa.flows import concentration, impact
from ropa.messages import Messages
from ropa.tabular import to_markdown

from conftest import example_dir, payroll_before_and_after


@pytest.fixture(scope="module")
def payroll():
    return ropa.load([example_dir("loonhuis-schelde")])


def test_an_empty_table_says_none_in_the_language(payroll):
    text = to_markdown(concentration(payroll, lang="nl"))
    assert "None." not in text and "Geen." in text   # the payroll provider has no single point of failure
    text = to_markdown(impact(payroll, "my:kempen-cloud", lang="fr"))
    assert "None." not in text


def test_the_notice_names_the_activities_in_its_language(tmp_path):
    old, new = payroll_before_and_after(tmp_path)
    notice = make_notice(old, new, "my:organisation", dt.date(2027, 3, 1), issued=dt.date(2027, 1, 15), lang="nl")
    engaged_for = {row[2] for row in notice.rows}
    assert engaged_for == {"Loonberekening en sociale aangiften voor werkgevers", "Beheer van ziekteverzuim voor werkgevers"}


def test_the_notices_errors_are_said_in_its_language(tmp_path):
    old, new = payroll_before_and_after(tmp_path)
    with pytest.raises(RopaError) as raised:
        make_notice(old, new, "my:organisation", dt.date(2027, 1, 1), issued=dt.date(2027, 1, 15), lang="fr")
    said = raised.value.said(Messages("fr"))
    assert said.startswith("le changement prend effet le 1er janvier 2027, avant l'envoi de l'avis (15 janvier 2027)")
    with pytest.raises(RopaError) as raised:
        make_notice(new, new, "my:organisation", lang="nl")
    assert raised.value.said(Messages("nl")).startswith("tussen de twee versies is geen subverwerker van Loonhuis")


def test_the_diff_speaks_the_language_asked_and_json_stays_english(tmp_path):
    from ropa.diff import compare
    from ropa.tabular import to_json

    old, new = payroll_before_and_after(tmp_path)
    activities = tmp_path / "new" / "activities.ttl"
    text = activities.read_text(encoding="utf-8")
    text = text.replace('ropa:afterEvent "P5Y"', 'ropa:afterEvent "P7Y"', 1).replace(
        "    dpv:hasStorageCondition my:staff-payroll-retention ;",
        '    dpv:hasStorageCondition my:staff-payroll-retention ;\n    ropa:validFrom "2025-01-01"^^xsd:date ;', 1)
    activities.write_text(text, encoding="utf-8")
    new = ropa.load([tmp_path / "new"])
    dutch = compare(old, new, "v1", "v2", lang="nl")
    shown = to_markdown(dutch, dutch.title())
    assert shown.startswith("# Wijzigingen in het register")
    assert "Van v1 naar v2: verwerking: 1, subverwerker: 2, bewaring: 1." in shown
    assert "| gewijzigd | Personeels- en loonadministratie van het eigen personeel | geldig vanaf |  | 1 januari 2025 |" in shown
    assert ("| gewijzigd | Personeels- en loonadministratie van het eigen personeel | termijn | "
            "5 jaar na einde van de contractuele relatie | 7 jaar na einde van de contractuele relatie |") in shown
    assert "| toegevoegd | Beheer van ziekteverzuim voor werkgevers | Kempen Cloud NV |" in shown
    assert "https://" not in shown and "2025-01-01" not in shown
    english = compare(old, new, "v1", "v2")
    assert to_json(dutch) == to_json(english)
    assert "1 January 2025" in to_markdown(english) and "2025-01-01" in to_json(english)
    retention = next(c for c in english.changes if c.aspect == "retention")
    assert retention.subject_label == "Payroll of our own staff"   # named by its activity, not its IRI


def test_the_french_notice_punctuates_its_contacts_as_french_does(tmp_path):
    old, new = payroll_before_and_after(tmp_path)
    notice = make_notice(old, new, "my:organisation", dt.date(2027, 3, 1), issued=dt.date(2027, 1, 15), lang="fr")
    text = to_markdown(notice)
    assert re.search(r"adresse\s: Kortrijksesteenweg 1200, 9051 Gent", text) and "adresse: " not in text
