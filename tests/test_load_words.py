"""The rarer load errors of ``ropa serve`` (a folder that cannot be read, a link to a folder, RDF/XML declaring
entities, an RDF 1.2 triple term) said in the page's language, on a record that is not the bundled one; the command
line keeps English."""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import shutil
import warnings
from html import unescape
from pathlib import Path

import pytest

from ropa import web
from ropa.errors import RopaError
from ropa.load import load
from ropa.messages import Messages

from conftest import example_dir

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

AS_OF = dt.date(2026, 11, 28)

ENTITIES = """<?xml version="1.0"?>
<!DOCTYPE r [
 <!ENTITY name "Wolkenwerk">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdf:Description rdf:about="https://example.org/x"><rdfs:label>&name;</rdfs:label></rdf:Description>
</rdf:RDF>
"""


@pytest.fixture
def record(tmp_path) -> Path:
    folder = tmp_path / "record"
    shutil.copytree(example_dir("wolkenwerk"), folder)
    return folder


def problems(client: TestClient, lang: str) -> list[str]:
    page = client.get(f"/{lang}/findings")
    assert page.status_code == 500
    return [unescape(line) for line in re.findall(r"<li><code>(.*?)</code></li>", page.text)]


def served(record: Path) -> TestClient:
    client = TestClient(web.create_app([record], as_of=AS_OF))
    assert client.get("/en/findings").status_code == 200   # it loads before the change
    return client


@pytest.mark.parametrize("lang", ["nl", "de"])
def test_a_link_to_a_folder_is_said_in_the_page_language(record, tmp_path, lang):
    client = served(record)
    (tmp_path / "elsewhere").mkdir()
    (record / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert problems(client, lang) == [f"{record / 'linked'}: " + Messages(lang)("error.load.folder_link")]
    assert problems(client, "en") == [f"{record / 'linked'}: " + Messages("en")("error.load.folder_link")]
    assert problems(client, lang) != problems(client, "en")


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_rdf_xml_with_entities_is_said_in_the_page_language(record, lang):
    client = served(record)
    (record / "extra.rdf").write_text(ENTITIES, encoding="utf-8")
    [line] = problems(client, lang)
    assert line == f"{record / 'extra.rdf'}:3: " + Messages(lang)("error.load.entities")
    assert "refused" not in line


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_an_unreadable_subfolder_is_said_in_the_page_language(record, lang, monkeypatch):
    client = served(record)
    (record / "locked").mkdir()
    (record / "odd").mkdir()
    real_scandir = os.scandir

    def scandir(path="."):
        if isinstance(path, int):   # a folder opened as a descriptor (shutil.rmtree)
            return real_scandir(path)
        if Path(path).name == "locked":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        if Path(path).name == "odd":
            raise OSError(errno.EIO, "Input/output error", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    said = Messages(lang)
    assert problems(client, lang) == [f"{record / 'locked'}: " + said("error.load.folder_denied")]
    shutil.rmtree(record / "locked")
    assert problems(client, lang) == [f"{record / 'odd'}: "
                                      + said("error.load.unreadable_folder", detail="Input/output error")]


def test_the_command_line_keeps_the_english_of_these_errors(record, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (record / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(RopaError, match="symbolic link to a folder") as caught:
        load([record])
    assert caught.value.key == "error.load.folder_link"


WAIVER = ('[[waiver]]\ncheck = "rs:PlaceholderEmail"\nfocus = "https://example.org/wolkenwerk/dpo"\n'
          'accepted_by = "Datenschutz-Team"\nreason = "The address is being set up."\nuntil = 2027-06-30\n')


@pytest.mark.parametrize("lang", ["nl", "de"])
def test_a_mistake_in_the_waiver_file_is_said_in_the_page_language(record, tmp_path, lang):
    say = Messages(lang)
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(WAIVER, encoding="utf-8")
    client = TestClient(web.create_app([record], as_of=AS_OF, waivers=waivers))
    assert client.get(f"/{lang}/findings").status_code == 200
    waivers.write_text(WAIVER.replace("until = 2027-06-30\n", ""), encoding="utf-8")
    assert problems(client, lang) == [f"{waivers}:1: " + say("error.waiver.missing", fields="until")]
    waivers.write_text(WAIVER.replace("2027-06-30", '"soon"'), encoding="utf-8")
    assert problems(client, lang) == [f"{waivers}:1: " + say("error.waiver.until", value="soon")]
    waivers.write_text(WAIVER + "[other]\n", encoding="utf-8")
    what = say("error.toml.what.waiver")
    assert problems(client, lang) == [f"{waivers}:7: " + say("error.toml.unknown_section", section="other", what=what,
                                                             name="waiver")]
    waivers.write_text(WAIVER.replace("check =", "check"), encoding="utf-8")
    [line] = problems(client, lang)
    assert line.startswith(f"{waivers}:2: ") and say("error.toml.malformed", what=what, detail="").rstrip() in line
    waivers.unlink()
    assert problems(client, lang) == [f"{waivers}: " + say("error.toml.missing", what=what)]


TRIPLE_TERMS = {   # RDF 1.2: each way of writing a triple term, and the line it is on
    "term": ('ex:note ex:says <<( ex:wolkenwerk ex:claims ex:nothing )>> .\n', 3),
    "annotation": ('ex:wolkenwerk ex:claims ex:nothing {| ex:saidBy ex:note |} .\n', 3),
    "reifier": ('<< ex:wolkenwerk ex:claims ex:nothing >> ex:saidBy ex:note .\n', 3),
}


@pytest.mark.parametrize("lang", ["nl", "fr"])
@pytest.mark.parametrize("form", sorted(TRIPLE_TERMS))
def test_an_rdf_1_2_triple_term_is_said_in_the_page_language_with_its_file_and_line(record, lang, form):
    client = served(record)
    written, line = TRIPLE_TERMS[form]
    (record / "extra.ttl").write_text("@prefix ex: <https://example.org/extra/> .\n# a note\n" + written, encoding="utf-8")
    said = problems(client, lang)
    assert said == [f"{record / 'extra.ttl'}:{line}: " + Messages(lang)("error.load.triple_term")]
    assert said != problems(client, "en") and "not supported" not in said[0]


def test_a_triple_term_is_refused_on_the_command_line_in_english_and_a_literal_that_looks_like_one_is_not(record):
    (record / "extra.ttl").write_text('@prefix ex: <https://example.org/extra/> .\nex:a ex:b "<<( ex:c ex:d ex:e )>>" .\n',
                                      encoding="utf-8")
    assert load([record]).select('SELECT ?o WHERE { ?s <https://example.org/extra/b> ?o }')   # text, kept as written
    (record / "extra.ttl").write_text("@prefix ex: <https://example.org/extra/> .\n" + TRIPLE_TERMS["term"][0],
                                      encoding="utf-8")
    with pytest.raises(RopaError, match="RDF 1.2 triple terms") as caught:
        load([record])
    assert (caught.value.key, caught.value.line) == ("error.load.triple_term", 2)
    assert caught.value.path.endswith("extra.ttl")


def test_a_triple_term_in_a_graph_built_elsewhere_is_the_same_error_when_written_out():
    """A graph that did not come through load() (from a store built in code) meets the same refusal, in words a page
    can say, when it is turned into rdflib for an export."""
    import pyoxigraph as ox

    from ropa.load import RecordGraph

    graph = RecordGraph(store=ox.Store())
    ex = "https://example.org/extra/"
    term = ox.Triple(ox.NamedNode(ex + "a"), ox.NamedNode(ex + "b"), ox.NamedNode(ex + "c"))
    graph.store.add(ox.Quad(ox.NamedNode(ex + "note"), ox.NamedNode(ex + "says"), term, ox.NamedNode(ex + "g")))
    with pytest.raises(RopaError) as caught:
        graph.to_rdflib()
    assert caught.value.key == "error.load.triple_term"
    assert caught.value.said(Messages("de")) == Messages("de")("error.load.triple_term")
