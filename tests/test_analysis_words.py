"""The analyses and the Art. 28(2) notice leave no English in a Dutch or French run: an empty table's "None.", an
activity's English label, an error of the notice; on the Flemish payroll provider's and the e-learning company's
records."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

import ropa
from ropa.diff import make_notice
from ropa.errors import RopaError
from ropa.flows import concentration, impact
from ropa.messages import Messages
from ropa.tabular import to_markdown

from conftest import example_dir


@pytest.fixture(scope="module")
def payroll():
    return ropa.load([example_dir("loonhuis-schelde")])


def test_an_empty_table_says_none_in_the_language(payroll):
    text = to_markdown(concentration(payroll, lang="nl"))
    assert "None." not in text and "Geen." in text   # the payroll provider has no single point of failure
    text = to_markdown(impact(payroll, "my:kempen-cloud", lang="fr"))
    assert "None." not in text


def versions(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(example_dir("loonhuis-schelde"), new)
    shutil.copytree(new, old)
    services = old / "services.ttl"
    services.write_text(services.read_text(encoding="utf-8").replace("ropa:hasSubProcessor my:kempen-cloud ;", ""),
                        encoding="utf-8")
    return ropa.load([old]), ropa.load([new])


def test_the_notice_names_the_activities_in_its_language(tmp_path):
    old, new = versions(tmp_path)
    notice = make_notice(old, new, "my:organisation", dt.date(2027, 3, 1), issued=dt.date(2027, 1, 15), lang="nl")
    engaged_for = {row[2] for row in notice.rows}
    assert engaged_for == {"Loonberekening en sociale aangiften voor werkgevers", "Beheer van ziekteverzuim voor werkgevers"}


def test_the_notices_errors_are_said_in_its_language(tmp_path):
    old, new = versions(tmp_path)
    with pytest.raises(RopaError) as raised:
        make_notice(old, new, "my:organisation", dt.date(2027, 1, 1), issued=dt.date(2027, 1, 15), lang="fr")
    said = raised.value.said(Messages("fr"))
    assert said.startswith("le changement prend effet le 1er janvier 2027, avant l'envoi de l'avis (15 janvier 2027)")
    with pytest.raises(RopaError) as raised:
        make_notice(new, new, "my:organisation", lang="nl")
    assert raised.value.said(Messages("nl")).startswith("tussen de twee versies is geen subverwerker van Loonhuis")
