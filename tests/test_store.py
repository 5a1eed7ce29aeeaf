"""`ropa validate --store DIR`: after any edit of the files, the incremental run reports exactly the findings of a
full run on the same files, reloading only what changed; a damaged, locked or interrupted store is handled."""

from __future__ import annotations

import copy
import gc
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import ropa
from ropa.cli import app
from ropa.errors import RopaError
import ropa.store
from ropa.retention_policy import load_retention_policy
from ropa.store import MANIFEST, OXIGRAPH, _analyse, _lateral, validate_with_store
from ropa.namespaces import shorten
from ropa.synthetic import generate
from ropa.validate import compile_shapes, evaluation_context, load_shapes, run_queries, shape_files, validate
from findings import comparable

AS_OF = dt.date(2026, 11, 28)
REPOSITORY = Path(__file__).resolve().parent.parent
runner = CliRunner()


def full_run(folder: Path, policy=None):
    try:
        return comparable(validate(ropa.load([folder]), as_of=AS_OF, retention_policy=policy))
    except RopaError as error:
        return str(error)


def stored_run(folder: Path, store: Path, policy=None):
    gc.collect()   # a store is closed once unreferenced: also when a failed example's traceback referenced it
    try:
        _, report, run = validate_with_store([folder], store, as_of=AS_OF, retention_policy=policy)
        return comparable(report), run
    except RopaError as error:
        return str(error), None


def stored_copy(synthetic: Path, tmp_path: Path, policy=None) -> tuple[Path, Path]:
    """A copy of the synthetic record and its store after a first run, for a test to edit."""
    folder, store = tmp_path / "record", tmp_path / "store"
    shutil.copytree(synthetic, folder)
    stored_run(folder, store, policy)
    return folder, store


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    """Retention ceilings the synthetic record's activities exceed, so that rs:RetentionAbovePolicy has findings."""
    path = tmp_path_factory.mktemp("policy") / "retention.toml"
    path.write_text('[[ceiling]]\npersonal_data = "pd:Name"\nmaximum = "P1Y"\n\n'
                    '[[ceiling]]\ndata_subject = "dpv:Employee"\nmaximum = "P3Y"\n', encoding="utf-8")
    return load_retention_policy(path)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("synthetic") / "record"
    generate(3000, folder, seed=11)
    return folder


def triples_of(path: Path) -> list[ox.Triple]:
    return list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))


def write(path: Path, triples) -> None:
    """N-Triples are Turtle: the edited file stays a .ttl file."""
    path.write_bytes(ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES))


RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DPV, ROPA = "https://w3id.org/dpv#", "https://w3id.org/ropa/vocab#"
# Terms the shapes' paths and targets walk to: a data file may state them of its own nodes too.
HIERARCHY = [ox.NamedNode(i) for i in ("http://www.w3.org/2004/02/skos/core#broader",
                                         "http://www.w3.org/2000/01/rdf-schema#subClassOf",
                                         "http://www.w3.org/2000/01/rdf-schema#subPropertyOf")]
TARGETS = [ox.NamedNode(i) for i in (
    "https://w3id.org/dpv/legal/eu/gdpr#A6-1-f", "https://w3id.org/dpv/legal/eu/gdpr#A6-1-a", DPV + "Marketing",
    DPV + "SpecialCategoryPersonalData", ROPA + "NationalIdentificationNumber", DPV + "hasContact", DPV + "Process",
    DPV + "LegitimateInterestAssessment", ROPA + "CriminalOffencePersonalData", DPV + "GovernmentalOrganisation")]
TYPES = [ox.NamedNode(i) for i in (DPV + "Process", DPV + "CrossBorderTransfer", ROPA + "Engagement", DPV + "DataProcessor",
                                   ROPA + "CustomerControllers", DPV + "GovernmentalOrganisation", ROPA + "ServiceProvider")]
XSD = "http://www.w3.org/2001/XMLSchema#"
TRANSFER = [(ox.NamedNode(DPV + "hasThirdCountry"), ox.NamedNode("https://w3id.org/dpv/loc#US")),
            (ox.NamedNode(DPV + "hasLegalBasis"), ox.NamedNode("https://w3id.org/dpv/legal/eu/gdpr#A46-2-c")),
            (ox.NamedNode(ROPA + "dataLocation"), ox.NamedNode("https://w3id.org/dpv/loc#IN")),
            (ox.NamedNode(ROPA + "headquarteredIn"), ox.NamedNode("https://w3id.org/dpv/loc#US")),
            (ox.NamedNode(ROPA + "occasional"), ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")))]
KINDS = ["remove", "add", "swap", "drop-file", "new-file", "retarget", "hierarchy", "type", "untype", "transfer",
         "move", "blank", "touch", "chain", "location", "agreement", "statement", "engagement", "retention", "label",
         "basis", "instrument", "keeper"]
"""The kinds of edit; "chain" to "label" change what the checks whose patterns form cycles read
(rs:NoTransferContradiction, rs:RevealedTransfer, rs:ControllerProcessorAgreement, rs:RetentionAbovePolicy); "basis" and
"instrument" change a transfer's basis or what the record says of an instrument (the facts the verdicts are judged
with); "keeper" moves an activity to another organisation's record (whom its findings are attributed to)."""
GDPR = "https://w3id.org/dpv/legal/eu/gdpr#"
BASES = [ox.NamedNode(i) for i in (GDPR + "A46-2-c", GDPR + "A49-1-a", ROPA + "SCC-2021-914-EU", GDPR + "A46-2-f",
                                   GDPR + "A49-1-g")]
INSTRUMENT_FACTS = [(ox.NamedNode(ROPA + "validUntil"), ox.Literal("2025-06-30", datatype=ox.NamedNode(XSD + "date"))),
                    (ox.NamedNode(ROPA + "coversCountry"), ox.NamedNode("https://w3id.org/dpv/loc#US")),
                    (ox.NamedNode(ROPA + "onlyForCertifiedOrganisations"),
                     ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))),
                    (ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                     ox.Literal("Clauses, renamed", language="en"))]
LOC = "https://w3id.org/dpv/loc#"
OUTSIDE = [ox.NamedNode(LOC + c) for c in ("US", "IN", "BR")]
CHAIN = [ox.NamedNode(i) for i in (ROPA + "usesServiceProvider", ROPA + "engagesProcessor", ROPA + "hasSubProcessor",
                                   DPV + "hasDataProcessor")]
LOCATED = [ox.NamedNode(ROPA + "dataLocation"), ox.NamedNode(DPV + "hasLocation")]
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


def _providers(files: list[Path]) -> list[ox.NamedNode]:
    """The service providers and processors the record describes, in every file."""
    kinds = {ROPA + "ServiceProvider", DPV + "DataProcessor"}
    return sorted({t.subject for f in files for t in triples_of(f)
                   if t.predicate == RDF_TYPE and t.object.value in kinds and isinstance(t.subject, ox.NamedNode)},
                  key=lambda n: n.value)


def edit(folder: Path, kind: str, seed: int) -> None:
    """One random change of the kind CI sees: triples removed, added from elsewhere, objects swapped or replaced by
    another kind of node, hierarchy and type statements added to data nodes, transfer facts changed, a triple moved
    to another file, blank nodes added, a file removed, added, or rewritten unchanged."""
    rng = random.Random(seed)
    files = sorted(folder.glob("*.ttl"))
    path = rng.choice(files)
    triples = triples_of(path)
    subjects = [t.subject for t in triples if isinstance(t.subject, ox.NamedNode)]
    objects = [t.object for t in triples if isinstance(t.object, ox.NamedNode)]
    if kind == "remove" and triples:
        for _ in range(rng.randint(1, 4)):
            triples.pop(rng.randrange(len(triples)))
        write(path, triples)
    elif kind == "add":
        donor = triples_of(rng.choice(files))
        for _ in range(rng.randint(1, 3)):
            model = rng.choice(donor)
            triples.append(ox.Triple(rng.choice(subjects) if subjects else model.subject, model.predicate, model.object))
        write(path, triples)
    elif kind == "swap" and len(triples) > 1:
        index = rng.randrange(len(triples))
        others = [t.object for t in triples if t.predicate == triples[index].predicate] or [triples[0].object]
        triples[index] = ox.Triple(triples[index].subject, triples[index].predicate, rng.choice(others))
        write(path, triples)
    elif kind == "retarget" and triples:
        index = rng.randrange(len(triples))
        donor = triples_of(rng.choice(files))
        triples[index] = ox.Triple(triples[index].subject, triples[index].predicate, rng.choice(donor).object)
        write(path, triples)
    elif kind == "hierarchy" and objects:
        node = rng.choice(objects + [t.predicate for t in triples])
        triples.append(ox.Triple(node, rng.choice(HIERARCHY), rng.choice(TARGETS + objects)))
        write(path, triples)
    elif kind == "type" and subjects:
        triples.append(ox.Triple(rng.choice(subjects + objects), RDF_TYPE, rng.choice(TYPES)))
        write(path, triples)
    elif kind == "untype":
        typed = [i for i, t in enumerate(triples) if t.predicate == RDF_TYPE]
        if typed:
            triples.pop(rng.choice(typed))
            write(path, triples)
    elif kind == "transfer" and subjects:
        transfers = [t.subject for t in triples if t.predicate == RDF_TYPE and t.object in TYPES[1:3]]
        predicate, value = rng.choice(TRANSFER)
        triples.append(ox.Triple(rng.choice(transfers or subjects), predicate, value))
        write(path, triples)
    elif kind == "move" and triples and len(files) > 1:
        moved = triples.pop(rng.randrange(len(triples)))
        write(path, triples)
        other = rng.choice([f for f in files if f != path])
        write(other, [*triples_of(other), moved])
    elif kind == "blank" and subjects:
        condition, duration = ox.BlankNode(), ox.BlankNode()
        triples += [ox.Triple(rng.choice(subjects), ox.NamedNode(DPV + "hasStorageCondition"), condition),
                    ox.Triple(condition, ox.NamedNode(DPV + "hasDuration"), duration),
                    ox.Triple(duration, RDF_TYPE, ox.NamedNode(DPV + "TemporalDuration"))]
        if rng.random() < 0.5:
            triples.append(ox.Triple(duration, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#value"),
                                     ox.Literal("P1Y", datatype=ox.NamedNode(XSD + "duration"))))
        write(path, triples)
    elif kind == "drop-file" and len(files) > 1:
        path.unlink()
    elif kind == "new-file":
        write(folder / f"zz-new-{seed}.ttl", [t for t in triples if rng.random() < 0.3])
    elif kind == "touch":
        path.write_bytes(path.read_bytes())
    elif kind == "chain" and subjects:   # an organisation or activity names a provider, maybe one outside the EEA
        triples.append(ox.Triple(rng.choice(subjects), rng.choice(CHAIN), rng.choice(_providers(files))))
        write(path, triples)
    elif kind == "location":   # a provider's data location added, or one removed
        located = [i for i, t in enumerate(triples) if t.predicate in LOCATED]
        if located and rng.random() < 0.4:
            triples.pop(rng.choice(located))
        else:
            triples.append(ox.Triple(rng.choice(_providers(files)), rng.choice(LOCATED), rng.choice(OUTSIDE)))
        write(path, triples)
    elif kind == "agreement":   # an agreement, or the processor an agreement names, removed
        named = [i for i, t in enumerate(triples) if t.predicate.value in (ROPA + "hasAgreement", DPV + "hasDataProcessor")]
        if named:
            triples.pop(rng.choice(named))
            write(path, triples)
    elif kind == "statement" and subjects:   # "no data leave the EEA" stated, or a statement removed
        stated = [i for i, t in enumerate(triples) if t.predicate.value == ROPA + "statesNoTransferOutside"]
        if stated and rng.random() < 0.4:
            triples.pop(rng.choice(stated))
        else:
            triples.append(ox.Triple(rng.choice(subjects), ox.NamedNode(ROPA + "statesNoTransferOutside"),
                                     ox.NamedNode(LOC + "EEA")))
        write(path, triples)
    elif kind == "engagement" and subjects:   # a provider engaged, with the data held outside the EEA
        engagement = ox.NamedNode(f"https://w3id.org/ropa/synthetic/engagement-{seed}")
        triples += [ox.Triple(engagement, RDF_TYPE, ox.NamedNode(ROPA + "Engagement")),
                    ox.Triple(engagement, ox.NamedNode(ROPA + "engagedBy"), rng.choice(subjects)),
                    ox.Triple(engagement, ox.NamedNode(ROPA + "provider"), rng.choice(_providers(files))),
                    ox.Triple(engagement, ox.NamedNode(ROPA + "dataLocation"), rng.choice(OUTSIDE))]
        write(path, triples)
    elif kind == "retention":   # a retention period or the data an activity holds changed
        periods = [i for i, t in enumerate(triples) if isinstance(t.object, ox.Literal)
                   and t.object.datatype.value == XSD + "duration"]
        if periods and rng.random() < 0.6:
            index = rng.choice(periods)
            triples[index] = ox.Triple(triples[index].subject, triples[index].predicate,
                                       ox.Literal(rng.choice(["P6M", "P2Y", "P10Y"]), datatype=ox.NamedNode(XSD + "duration")))
        elif subjects:
            triples.append(ox.Triple(rng.choice(subjects), ox.NamedNode(DPV + "hasPersonalData"),
                                     ox.NamedNode("https://w3id.org/dpv/pd#Name")))
        write(path, triples)
    elif kind == "basis":   # a transfer's legal basis replaced, maybe by one no transfer of the record used yet
        based = [i for i, t in enumerate(triples) if t.predicate.value == DPV + "hasLegalBasis"
                 and any(u.subject == t.subject and u.object == TYPES[1] for u in triples)]
        if based:
            index = rng.choice(based)
            triples[index] = ox.Triple(triples[index].subject, triples[index].predicate, rng.choice(BASES))
            write(path, triples)
    elif kind == "instrument":   # what an instrument covers, until when, for whom or its name, stated in a data file
        predicate, value = rng.choice(INSTRUMENT_FACTS)
        triples.append(ox.Triple(rng.choice(BASES), predicate, value))
        write(path, triples)
    elif kind == "keeper":   # an activity moved to another organisation's record, or left without one
        kept = [i for i, t in enumerate(triples) if t.predicate.value == ROPA + "recordedBy"]
        keepers = sorted({t.object for f in files for t in triples_of(f) if t.predicate.value == ROPA + "recordedBy"},
                         key=lambda n: n.value)
        if kept:
            index = rng.choice(kept)
            if rng.random() < 0.3:
                triples.pop(index)
            else:
                triples[index] = ox.Triple(triples[index].subject, triples[index].predicate, rng.choice(keepers))
            write(path, triples)
    elif kind == "label":   # a label changed: providers, places and categories are named in messages
        labelled = [i for i, t in enumerate(triples) if t.predicate == LABEL]
        if labelled:
            index = rng.choice(labelled)
            triples[index] = ox.Triple(triples[index].subject, LABEL, ox.Literal(f"renamed {seed}", language="en"))
            write(path, triples)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 10**6)), min_size=1, max_size=4))
def test_incremental_findings_equal_a_full_run_after_random_edits(synthetic, policy, tmp_path_factory, edits):
    work = tmp_path_factory.mktemp("edit")
    folder, store = work / "record", work / "store"
    shutil.copytree(synthetic, folder)
    first, run = stored_run(folder, store, policy)
    assert run is not None and run.full
    assert first == full_run(folder, policy)
    for kind, seed in edits:
        edit(folder, kind, seed)
        incremental, run = stored_run(folder, store, policy)
        assert incremental == full_run(folder, policy), (kind, seed)
        if run is not None and kind not in ("drop-file", "new-file", "move", "touch"):
            assert len(run.reloaded) <= 1   # only the edited file is read again
        if run is not None and kind == "touch":
            assert run.changed_triples == 0
    shutil.rmtree(work)


def test_an_unchanged_record_reloads_nothing_and_reuses_the_local_checks(synthetic, tmp_path):
    store = tmp_path / "store"
    first, _ = stored_run(synthetic, store)
    again, run = stored_run(synthetic, store)
    assert again == first and not run.full and run.reloaded == [] and run.changed_nodes == 0
    assert run.reused_checks > 10 and run.partial_checks == 0


def test_a_one_file_change_reloads_that_file_and_reruns_local_checks_for_its_nodes(synthetic, tmp_path):
    folder, store = stored_copy(synthetic, tmp_path)
    path = sorted(folder.glob("*.ttl"))[3]
    purpose = ox.NamedNode("https://w3id.org/dpv#hasPurpose")
    triples = triples_of(path)
    activity = next(t.subject for t in triples if t.predicate == purpose)
    write(path, [t for t in triples if not (t.subject == activity and t.predicate == purpose)])
    found, run = stored_run(folder, store)
    assert run.reloaded == [str(path)] or run.reloaded[0].endswith(path.name)
    assert not run.full and run.partial_checks > 5 and run.reused_checks > 20 and run.full_checks <= 4, run
    assert not run.verdicts_computed   # no transfer changed
    assert any(activity.value in row and "ControllerActivity-purpose" in row for row in found)
    assert found == full_run(folder)


def test_a_change_to_one_activity_reruns_the_checks_for_that_activity_alone(synthetic, tmp_path, monkeypatch):
    folder, store = stored_copy(synthetic, tmp_path)
    path = sorted(folder.glob("*.ttl"))[5]
    activity = next(t.subject for t in triples_of(path) if t.predicate.value == DPV + "hasPurpose")
    with open(path, "a", encoding="utf-8") as handle:   # the file as written, its blank nodes unchanged
        handle.write(f"\n<{activity.value}> <{DPV}hasLegalBasis> <https://w3id.org/dpv/legal/eu/gdpr#A6-1-a> .\n")
    described = []
    context = ropa.store.finding_context
    monkeypatch.setattr(ropa.store, "finding_context",
                        lambda graph, nodes: described.append(nodes) or context(graph, nodes))
    found, run = stored_run(folder, store)
    assert run.changed_triples == 1 and run.full_checks == 0 and 0 < run.rerun_nodes <= run.partial_checks
    assert len(described) == 1 and len(described[0]) <= 1   # the other findings' entity and source kept
    assert found == full_run(folder)


def test_a_transfer_change_recomputes_the_verdicts_and_a_comment_does_not(synthetic, tmp_path):
    folder, store = stored_copy(synthetic, tmp_path)
    basis = ox.NamedNode(DPV + "hasLegalBasis")
    path, transfer = next((p, t.subject) for p in sorted(folder.glob("*.ttl")) for t in triples_of(p)
                          if t.predicate == RDF_TYPE and t.object.value == DPV + "CrossBorderTransfer"
                          and any(u.subject == t.subject and u.predicate == basis for u in triples_of(p)))
    write(path, [t for t in triples_of(path) if not (t.subject == transfer and t.predicate == basis)])
    found, run = stored_run(folder, store)
    assert run.verdicts_computed and not run.full
    assert any(transfer.value in row and "TransferBasis" in row for row in found)   # no basis any more
    assert found == full_run(folder)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f'\n<{transfer.value}> <http://www.w3.org/2000/01/rdf-schema#comment> "checked" .\n')
    found, run = stored_run(folder, store)
    assert run.changed_triples == 1 and not run.verdicts_computed and run.full_checks == 0
    assert run.rerun_nodes == run.partial_checks   # the checks that read any predicate, for that one node
    assert found == full_run(folder)


def test_a_transfer_to_a_place_written_as_text_is_judged_not_a_crash(synthetic, tmp_path):
    folder, store = stored_copy(synthetic, tmp_path)
    path, transfer = next((p, t.subject) for p in sorted(folder.glob("*.ttl")) for t in triples_of(p)
                          if t.predicate == RDF_TYPE and t.object.value == DPV + "CrossBorderTransfer")
    with open(path, "a", encoding="utf-8") as handle:   # a country's name where its IRI belongs
        handle.write(f'\n<{transfer.value}> <{DPV}hasThirdCountry> "United States: Virginia" .\n')
    found, run = stored_run(folder, store)
    assert run.verdicts_computed and isinstance(found, list) and found == full_run(folder)


def test_an_edit_in_the_same_size_and_clock_tick_is_seen(synthetic, tmp_path):
    folder = tmp_path / "record"
    shutil.copytree(synthetic, folder)
    path = sorted(folder.glob("*.ttl"))[2]
    later = time.time_ns() + 60 * 10**9   # written while the run looked at it (or by a clock ahead of this one)
    os.utime(path, ns=(later, later))
    store = tmp_path / "store"
    stored_run(folder, store)
    text = path.read_bytes()
    stat = path.stat()
    edited = text.replace(b"dpv:hasPurpose", b"dpv:hasPurpos_", 1)   # an unknown term: the load must fail
    assert len(edited) == len(text) and edited != text
    path.write_bytes(edited)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    message, _ = stored_run(folder, store)
    assert "hasPurpos_" in message


def test_files_seen_settled_are_not_read_again(synthetic, tmp_path, monkeypatch):
    folder = tmp_path / "record"
    shutil.copytree(synthetic, folder)
    past = time.time() - 3600
    for path in folder.glob("*.ttl"):
        os.utime(path, (past, past))
    store = tmp_path / "store"
    stored_run(folder, store)
    read = []
    monkeypatch.setattr(ropa.store, "_hash", lambda path: read.append(path) or "")
    again, run = stored_run(folder, store)
    assert read == [] and run.reloaded == [] and again == full_run(folder)


def test_a_run_that_fails_midway_leaves_a_store_that_is_rebuilt(synthetic, tmp_path, monkeypatch):
    folder, store = stored_copy(synthetic, tmp_path)
    path = sorted(folder.glob("*.ttl"))[4]
    write(path, triples_of(path)[:-20])

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ropa.store, "describe", crash)   # after the store was updated, before the results are kept
    with pytest.raises(KeyboardInterrupt):
        validate_with_store([folder], store, as_of=AS_OF)
    monkeypatch.undo()
    found, run = stored_run(folder, store)
    assert run.full and found == full_run(folder)


def test_a_pattern_reaches_the_focus_node_within_the_groups_matched_with_it():
    def route(analysis, predicate):
        routes = analysis["routes"][next(i for i, p in enumerate(analysis["patterns"]) if p[1] == ["iri", predicate])]
        return None if routes is None else [r[:2] for r in routes]

    cycle = _analyse("SELECT ?this WHERE { ?this <urn:p> ?a . ?a <urn:q> ?b . ?b <urn:r> ?this }")
    assert route(cycle, "urn:q") in ([["s", [["iri", "urn:p"]]]], [["o", [["inv", ["iri", "urn:r"]]]]])
    assert route(cycle, "urn:r") == [["o", []]]
    branches = _analyse("SELECT ?this WHERE { ?this <urn:s> ?r . { ?this <urn:p> ?x } UNION "
                        "{ ?y <urn:q> ?this . ?y <urn:t> ?x } ?x <urn:l> ?label }")
    assert sorted(route(branches, "urn:l")) == [["s", [["iri", "urn:p"]]],
                                                ["s", [["iri", "urn:t"], ["inv", ["iri", "urn:q"]]]]]
    # ?g of one FILTER NOT EXISTS is another variable than ?g of the other: no route from the second to ?this
    apart = _analyse("SELECT ?this WHERE { ?this <urn:p> ?a FILTER NOT EXISTS { ?a <urn:q> ?g } "
                     "FILTER NOT EXISTS { ?g <urn:r> ?z } }")
    assert route(apart, "urn:q") == [["s", [["iri", "urn:p"]]]] and route(apart, "urn:r") is None
    # a changed triple must fit the constants its context gives the pattern's ends
    typed = _analyse("SELECT ?this WHERE { ?this <urn:p> ?c . ?k a <urn:Ceiling> ; <urn:q> ?c }")
    fitted = next(i for i, p in enumerate(typed["patterns"]) if p[1] == ["iri", "urn:q"])
    assert typed["routes"][fitted][0][2] == [["s", "out", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "urn:Ceiling"]]


def test_one_focus_node_is_checked_with_the_query_as_written():
    """With ?this bound, a FILTER NOT EXISTS reads that node's triples where a MINUS would read the whole record."""
    checks = compile_shapes(load_shapes(shape_files()))
    rewritten = [c for c in checks if "MINUS" in c.query.replace(c.target, "")]
    assert rewritten and all("MINUS" not in c.written.replace(c.target, "") and "FILTER NOT EXISTS" in c.written
                             for c in rewritten)
    assert all(c.target in c.written for c in checks if c.target)   # the DISTINCT target: each node bound once


def test_a_check_run_for_one_focus_node_with_its_optional_groups_lateral_gives_the_rows_as_written(synthetic, policy):
    """The store runs a check for a few focus nodes with each OPTIONAL read per solution (LATERAL): the same rows,
    for every check and every focus node with a result, ceilings in force (rs:RetentionAbovePolicy's labels)."""
    graph = ropa.load([synthetic])
    checks = compile_shapes(load_shapes(shape_files()))
    rewritten = [c for c in checks if "OPTIONAL" in c.written]
    assert len(rewritten) > 5 and all("LATERAL { OPTIONAL {" in _lateral(c.written) for c in rewritten)
    compared = set()
    with evaluation_context(graph, AS_OF, policy):
        for check in rewritten:
            lateral = copy.copy(check)
            object.__setattr__(lateral, "written", _lateral(check.written))
            nodes = {r.focus for r in run_queries(graph, [check])}
            for focus in sorted(nodes)[:40]:
                node = ox.NamedNode(focus) if not focus.startswith("_:") else ox.BlankNode(focus[2:])
                expected = sorted(map(repr, run_queries(graph, [check], this=node)))
                assert expected and sorted(map(repr, run_queries(graph, [lateral], this=node))) == expected, focus
                compared.add(shorten(check.shape))
    assert "rs:RetentionAbovePolicy" in compared and len(compared) > 5


CYCLIC = {"rs:NoTransferContradiction", "rs:RevealedTransfer", "rs:ControllerProcessorAgreement",
          "rs:RetentionAbovePolicy"}


@pytest.mark.parametrize("kind", ["chain", "location", "agreement", "statement", "engagement", "retention", "label"])
def test_an_edit_the_cyclic_checks_read_reruns_them_only_where_it_reaches(synthetic, policy, tmp_path, kind):
    folder, store = stored_copy(synthetic, tmp_path, policy)
    for seed in range(2):
        edit(folder, kind, seed)
        found, run = stored_run(folder, store, policy)
        assert found == full_run(folder, policy), (kind, seed)
        assert not run.full and not CYCLIC & set(run.ran_in_full), run


@pytest.mark.parametrize("kind", ["basis", "instrument", "keeper", "label"])
def test_a_change_to_the_facts_of_the_verdicts_or_the_findings_context_is_read_where_it_reaches(synthetic, tmp_path,
                                                                                             kind):
    folder, store = stored_copy(synthetic, tmp_path)
    judged = []
    for seed in range(3):
        edit(folder, kind, seed)
        found, run = stored_run(folder, store)
        assert found == full_run(folder), (kind, seed)
        assert not run.full and run.full_checks == 0, run
        judged.append(run.verdicts_computed)
    assert any(judged) or kind != "basis"   # a fact of an instrument no transfer uses alters no verdict


def test_the_instruments_read_for_a_few_bases_are_those_of_the_whole_record(synthetic):
    from ropa.transfers import read_instruments

    graph = ropa.load([synthetic])
    every = read_instruments(graph)
    asked = sorted(every)[::2] + [b.value for b in BASES] + [DPV + "Process"]
    assert len(every) > 3 and read_instruments(graph, asked) == {b: every[b] for b in asked if b in every}
    assert read_instruments(graph, []) == {}


def test_a_changed_file_is_compared_with_its_snapshot_or_else_with_the_store(synthetic, tmp_path, monkeypatch):
    folder, store = stored_copy(synthetic, tmp_path)
    path = sorted(folder.glob("*.ttl"))[4]
    edit(folder, "blank", 5)
    read_back = []
    triples = ropa.store._triples
    monkeypatch.setattr(ropa.store, "_triples", lambda store, name: read_back.append(name) or triples(store, name))
    found, run = stored_run(folder, store)
    assert found == full_run(folder) and run.changed_triples > 0 and read_back == []   # the snapshot was read
    for snapshot in (store / ropa.store.SNAPSHOTS).iterdir():
        snapshot.write_bytes(b"<urn:not> <urn:the> <urn:graph> .\n")   # damaged: the store is read instead
    write(path, triples_of(path)[:-3])
    found, run = stored_run(folder, store)
    assert found == full_run(folder) and len(read_back) == 1 and run.changed_triples == 3


@pytest.mark.parametrize("line", ['<urn:x:a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#value> "P4W2D"^^<{XSD}duration> .',
                                  '<urn:x:a> <{DPV}hasPurpos_> <{DPV}Marketing> .',
                                  '<urn:x:a> <{DPV}hasPurpose> <{DPV}Marketting> .'])
def test_an_ill_typed_literal_or_unknown_term_a_change_adds_is_the_load_s_error(synthetic, tmp_path, line):
    folder, store = stored_copy(synthetic, tmp_path)
    path = sorted(folder.glob("*.ttl"))[2]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("\n" + line.format(XSD=XSD, DPV=DPV) + "\n")
    message, run = stored_run(folder, store)
    assert run is None and message == full_run(folder) and path.name in message
    assert ("P4W2D" in message) if "P4W" in line else ("hasPurpos_" in message or "Marketting" in message)


def test_another_date_runs_every_check(synthetic, tmp_path):
    store = tmp_path / "store"
    stored_run(synthetic, store)
    _, report, run = validate_with_store([synthetic], store, as_of=dt.date(2019, 1, 1))
    assert run.full and "as_of" in run.reason
    assert comparable(report) == comparable(validate(ropa.load([synthetic]), as_of=dt.date(2019, 1, 1)))


def test_an_interrupted_run_is_rebuilt(synthetic, tmp_path):
    store = tmp_path / "store"
    stored_run(synthetic, store)
    (store / MANIFEST).unlink()   # what a run killed while it updates the store leaves
    found, run = stored_run(synthetic, store)
    assert run.full and found == full_run(synthetic)


def test_a_damaged_store_is_one_line_and_exit_2(tmp_path):
    store = tmp_path / "store"
    (store / OXIGRAPH).mkdir(parents=True)
    (store / OXIGRAPH / "CURRENT").write_text("not a database\n")
    result = runner.invoke(app, ["validate", "examples/wolkenwerk", "--store", str(store)])
    assert result.exit_code == 2
    assert "cannot be opened" in result.stderr and "remove the folder" in result.stderr
    assert "Traceback" not in result.output


def test_a_damaged_manifest_is_one_line(synthetic, tmp_path):
    store = tmp_path / "store"
    stored_run(synthetic, store)
    (store / MANIFEST).write_text("{ broken")
    message, _ = stored_run(synthetic, store)
    assert "manifest or results cannot be read" in message


def test_a_store_in_use_is_refused(tmp_path):
    store = tmp_path / "store"
    made = subprocess.run([sys.executable, "-m", "ropa", "validate", str(REPOSITORY / "examples" / "wolkenwerk"),
                           "--store", str(store)], capture_output=True, text=True)
    assert made.returncode == 1, made.stderr
    holder = ox.Store(str(store / OXIGRAPH))   # another run holds the store's lock
    try:
        result = runner.invoke(app, ["validate", str(REPOSITORY / "examples" / "wolkenwerk"), "--store", str(store)])
        assert result.exit_code == 2
        assert "in use by another run" in result.stderr
    finally:
        del holder


def test_a_folder_of_other_files_is_not_taken_over(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["validate", "examples/wolkenwerk", "--store", str(tmp_path)])
    assert result.exit_code == 2 and "holds other files" in result.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_the_command_with_a_store_reports_as_without(tmp_path):
    args = ["validate", str(REPOSITORY / "examples" / "wolkenwerk"), "--as-of", AS_OF.isoformat(), "--format", "json"]
    outputs = []
    for extra in ([], ["--store", str(tmp_path / "store")], ["--store", str(tmp_path / "store")]):
        result = runner.invoke(app, [*args, *extra])
        assert result.exit_code == 1, result.output
        outputs.append(json.loads(result.stdout))
        del result   # its traceback holds the run's store open
        gc.collect()
    assert outputs[0] == outputs[1] == outputs[2]


def test_an_empty_store_name_is_refused_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)   # '' read as a path is the current folder
    result = runner.invoke(app, ["validate", str(REPOSITORY / "examples" / "wolkenwerk"), "--store", ""])
    assert result.exit_code == 2 and "--store needs the name of a folder" in result.stderr
    assert list(tmp_path.iterdir()) == []
