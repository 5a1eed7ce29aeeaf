"""`ropa validate --store DIR`: after any edit of the files, the incremental run reports exactly the findings of a
full run on the same files, reloading only what changed; a damaged, locked or interrupted store is handled."""

from __future__ import annotations

import dataclasses
import gc
import datetime as dt
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import ropa
from ropa.cli import app
from ropa.errors import RopaError
from ropa.store import MANIFEST, OXIGRAPH, validate_with_store
from ropa.synthetic import generate
from ropa.validate import validate

AS_OF = dt.date(2026, 11, 28)
REPOSITORY = Path(__file__).resolve().parent.parent
runner = CliRunner()


def comparable(report) -> list[str]:
    rows = []
    for finding in report.findings:
        row = dataclasses.asdict(finding)
        if row["focus"].startswith("_:"):
            row["focus"] = "_:"
        rows.append(json.dumps(row, sort_keys=True, default=str))
    return sorted(rows)


def full_run(folder: Path):
    try:
        return comparable(validate(ropa.load([folder]), as_of=AS_OF))
    except RopaError as error:
        return str(error)


def stored_run(folder: Path, store: Path):
    gc.collect()   # a store is closed once unreferenced: also when a failed example's traceback referenced it
    try:
        _, report, run = validate_with_store([folder], store, as_of=AS_OF)
        return comparable(report), run
    except RopaError as error:
        return str(error), None


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


def edit(folder: Path, kind: str, seed: int) -> None:
    """One random change of the kind CI sees: triples removed, added from elsewhere, objects swapped, a file
    removed or added."""
    rng = random.Random(seed)
    files = sorted(folder.glob("*.ttl"))
    path = rng.choice(files)
    triples = triples_of(path)
    if kind == "remove" and triples:
        for _ in range(rng.randint(1, 4)):
            triples.pop(rng.randrange(len(triples)))
        write(path, triples)
    elif kind == "add":
        donor = triples_of(rng.choice(files))
        subjects = [t.subject for t in triples if isinstance(t.subject, ox.NamedNode)]
        for _ in range(rng.randint(1, 3)):
            model = rng.choice(donor)
            triples.append(ox.Triple(rng.choice(subjects) if subjects else model.subject, model.predicate, model.object))
        write(path, triples)
    elif kind == "swap" and len(triples) > 1:
        index = rng.randrange(len(triples))
        others = [t.object for t in triples if t.predicate == triples[index].predicate] or [triples[0].object]
        triples[index] = ox.Triple(triples[index].subject, triples[index].predicate, rng.choice(others))
        write(path, triples)
    elif kind == "drop-file" and len(files) > 1:
        path.unlink()
    elif kind == "new-file":
        write(folder / f"zz-new-{seed}.ttl", [t for t in triples if rng.random() < 0.3])


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.sampled_from(["remove", "add", "swap", "drop-file", "new-file"]),
                                st.integers(0, 10**6)), min_size=1, max_size=3))
def test_incremental_findings_equal_a_full_run_after_random_edits(synthetic, tmp_path_factory, edits):
    work = tmp_path_factory.mktemp("edit")
    folder, store = work / "record", work / "store"
    shutil.copytree(synthetic, folder)
    first, run = stored_run(folder, store)
    assert run is not None and run.full
    assert first == full_run(folder)
    for kind, seed in edits:
        edit(folder, kind, seed)
        incremental, run = stored_run(folder, store)
        assert incremental == full_run(folder), (kind, seed)
        if run is not None and kind in ("remove", "add", "swap"):
            assert len(run.reloaded) <= 1   # only the edited file is read again
    shutil.rmtree(work)


def test_an_unchanged_record_reloads_nothing_and_reuses_the_local_checks(synthetic, tmp_path):
    store = tmp_path / "store"
    first, _ = stored_run(synthetic, store)
    again, run = stored_run(synthetic, store)
    assert again == first and not run.full and run.reloaded == [] and run.changed_nodes == 0
    assert run.reused_checks > 10 and run.partial_checks == 0


def test_a_one_file_change_reloads_that_file_and_reruns_local_checks_for_its_nodes(synthetic, tmp_path):
    folder = tmp_path / "record"
    shutil.copytree(synthetic, folder)
    store = tmp_path / "store"
    stored_run(folder, store)
    path = sorted(folder.glob("*.ttl"))[3]
    purpose = ox.NamedNode("https://w3id.org/dpv#hasPurpose")
    triples = triples_of(path)
    activity = next(t.subject for t in triples if t.predicate == purpose)
    write(path, [t for t in triples if not (t.subject == activity and t.predicate == purpose)])
    found, run = stored_run(folder, store)
    assert run.reloaded == [str(path)] or run.reloaded[0].endswith(path.name)
    assert run.partial_checks > 10 and not run.full
    assert any(activity.value in row and "ControllerActivity-purpose" in row for row in found)
    assert found == full_run(folder)


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
