"""What the commands print on the terminal (files written, option errors) speaks the command's language, on records
that are not the bundled one; the engineers' outputs (JSON) are not touched."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from ropa.cli import app

from conftest import example_dir

AS_OF = "2026-11-28"


def run(args: list[str], code: int = 0) -> str:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == code, result.output
    return result.output


def test_files_written_are_announced_in_the_command_language(tmp_path):
    payroll = str(example_dir("loonhuis-schelde"))
    flows = tmp_path / "stromen.md"
    said = run(["flows", payroll, "--lang", "nl", "--format", "md", "-o", str(flows), "--as-of", AS_OF])
    assert said.strip() == f"{flows} geschreven"
    book = tmp_path / "registre.xlsx"
    said = run(["export", str(example_dir("classe-ouverte")), "--format", "xlsx", "--lang", "fr", "-o", str(book)])
    assert said.splitlines()[0] == f"{book} écrit"
    assert "wrote" not in said and "note:" not in said
    said = run(["import", str(book), "-o", str(tmp_path / "importé")])
    assert said.strip() == f"{tmp_path / 'importé' / 'registre.ttl'} écrit"
    template = tmp_path / "vorlage.xlsx"
    assert run(["template", "--lang", "de", "-o", str(template)]).strip() == f"{template} geschrieben"


def test_english_runs_keep_their_words(tmp_path):
    target = tmp_path / "merged.ttl"
    said = run(["export", str(example_dir("loonhuis-schelde")), "-o", str(target)])
    assert said.startswith("wrote ") and said.strip().endswith(f"triples to {target}")


def test_an_option_error_is_one_line_in_the_command_language():
    said = run(["flows", str(example_dir("classe-ouverte")), "--lang", "fr", "--to-country", "US", "--outside-eea"], 2)
    assert said.strip() == "ropa: erreur: choisissez --to-country ou --outside-eea, pas les deux"
    said = run(["flows", str(example_dir("loonhuis-schelde")), "--lang", "nl", "--assume-invalid", "DPF",
                "--from", "31/02/2026"], 2)
    assert said.strip() == "ropa: fout: --from '31/02/2026' is geen datum: schrijf JJJJ-MM-DD of DD/MM/JJJJ"


def test_a_library_error_is_said_in_the_command_language():
    said = run(["flows", str(example_dir("loonhuis-schelde")), "--lang", "de", "--assume-invalid", "no such thing"], 2)
    assert said.startswith("ropa: Fehler: Im Verzeichnis heißt kein Element"), said


def test_an_error_no_catalogue_says_keeps_english_around_it():
    said = run(["validate", str(example_dir("loonhuis-schelde")), "--lang", "nl", "--store", " "], 2)
    assert said.startswith("ropa: error: --store needs the name of a folder"), said


def test_json_stays_the_same_in_every_language():
    record = str(example_dir("loonhuis-schelde"))
    answers = {lang: json.loads(run(["flows", record, "--lang", lang, "--format", "json", "--as-of", AS_OF]))
               for lang in ("en", "nl")}
    assert answers["en"] == answers["nl"]


def test_validate_says_waivers_and_its_date_in_the_language(tmp_path):
    waivers = tmp_path / "aanvaard.toml"
    waivers.write_text('''[[waiver]]
check = "rs:RecipientInThirdCountry"
focus = "<https://loonhuis-schelde.example/record/schelde-holdings>"
accepted_by = "Piet"
reason = "de holding bewaart niets"
until = 2027-06-30

[[waiver]]
check = "rs:NoTransferContradiction"
entity = "<https://loonhuis-schelde.example/record/organisation>"
accepted_by = "An"
reason = "oud"
until = 2026-01-31

[[waiver]]
check = "rs:NoSuchCheck"
entity = "<https://loonhuis-schelde.example/record/organisation>"
accepted_by = "An"
reason = "vergeten"
until = 2027-01-31
''', encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(example_dir("loonhuis-schelde")), "--lang", "nl", "--as-of", AS_OF,
                                      "--waivers", str(waivers)])
    said = " ".join(result.output.replace("│", " ").split())
    assert "Aanvaard door Piet tot 30 juni 2027:" in said   # a cell of the findings' table
    assert "Aanvaarding door An verlopen op 31 januari 2026" in said
    assert "1 bevinding opnieuw geteld: de aanvaarding verliep op 31 januari 2026" in said
    assert "— op 28 november 2026" in said
    assert f"ropa: opmerking: {waivers}:15: de aanvaarding van rs:NoSuchCheck past op geen enkele bevinding" in said
    assert not re.search(r"\b(Waived|Waiver|expired|counted again|waiver for)\b", said), said


def test_an_english_warning_keeps_its_english_marker(tmp_path):
    (tmp_path / "leeg.ttl").write_text("@prefix dpv: <https://w3id.org/dpv#> .\n<https://example.org/org> a dpv:Organisation .\n",
                                       encoding="utf-8")
    result = CliRunner().invoke(app, ["vendors", str(tmp_path), "--lang", "nl"])
    warning = next(line for line in result.output.splitlines() if "no processing activity" in line)
    assert warning.startswith("ropa: warning: "), warning
