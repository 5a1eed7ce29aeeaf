"""Validation results for people and machines: a rich text table, JSON, JUnit XML, SARIF 2.1.0 and GitHub
workflow annotations, all from the same Report."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ropa import __version__, safe
from ropa.load import RecordGraph, find_line
from ropa.namespaces import shorten
from ropa.periods import format_date
from ropa.validate import SEVERITIES, Finding, Report

OUTPUT_FORMATS = ("text", "json", "junit", "sarif", "github")

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_STYLE = {"violation": "bold red", "warning": "yellow", "info": "cyan"}
_SARIF_LEVEL = {"violation": "error", "warning": "warning", "info": "note"}
_GITHUB_COMMAND = {"violation": "error", "warning": "warning", "info": "notice"}


def locate(graph: RecordGraph, findings: list[Finding]) -> dict[str, tuple[str, int]]:
    """The data file and line where each focus node is described, for annotations that point into the record."""
    data = {f.graph.value: f for f in graph.files if f.kind in ("data", "reference")}
    focuses = sorted({f.focus for f in findings if not f.focus.startswith("_:")})
    where: dict[str, tuple[str, int]] = {}
    for start in range(0, len(focuses), 500):
        values = " ".join(f"<{iri}>" for iri in focuses[start:start + 500])
        # the file that describes the node (types it or names it) before a file that only adds facts about it
        rows = graph.store.query(
            f"""SELECT ?focus ?g (MAX(IF(?p IN (<{RDF_TYPE}>, <{RDFS_LABEL}>), 1, 0)) AS ?describes)
                WHERE {{ VALUES ?focus {{ {values} }} GRAPH ?g {{ ?focus ?p ?o }} }}
                GROUP BY ?focus ?g ORDER BY ?focus DESC(?describes) STR(?g)""")
        for row in rows:
            loaded = data.get(row["g"].value)
            focus = row["focus"].value
            if loaded is not None and focus not in where:
                where[focus] = (loaded.display_path, find_line(loaded.path, focus) or 1)
    return where


def summary_line(report: Report, messages=None) -> str:
    """The counts per severity and the evaluation date; in the catalogue's language (the date in its words) when
    ``messages`` is given."""
    counts = report.counts()
    if messages is not None:
        waived = messages("validate.summary_waived", count=counts["waived"]) if counts["waived"] else ""
        return messages("validate.summary", violations=messages("severity.violation.plural"), v=counts["violation"],
                        warnings=messages("severity.warning.plural"), w=counts["warning"],
                        infos=messages("severity.info.plural"), i=counts["info"], waived=waived,
                        date=format_date(report.as_of, messages))
    parts = [f"{counts[s]} {s}{'s' if counts[s] != 1 else ''}" for s in SEVERITIES]
    line = ", ".join(parts)
    if counts["waived"]:
        line += f" ({counts['waived']} waived)"
    return f"{line} — as of {report.as_of.isoformat()}"


def print_text(report: Report, console: Console, *, expired: dict[str, object] | None = None, messages=None) -> None:
    """One table per organisation, most severe first, then a summary line.

    With ``messages`` (a catalogue of one language, and findings already in its plain words) the headings and
    severities are in that language too; without, the engineering English of the shapes is shown.
    """
    def say(key: str, english: str, **values) -> str:
        return messages(key, **values) if messages is not None else english

    def day(date) -> str:
        return format_date(date, messages) if messages is not None else str(date)

    groups: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        groups[finding.entity_label or say("gap.no_organisation", "(no organisation)")].append(finding)
    for entity in sorted(groups):
        table = Table(title=safe.terminal(entity), title_justify="left", show_lines=True, expand=True)
        table.add_column(say("gap.severity", "severity"), no_wrap=True)
        table.add_column(say("gap.item", "activity / item"), ratio=2)
        table.add_column(say("gap.field", "field"), ratio=1)
        table.add_column(say("gap.article", "article"), ratio=1)   # wrapped: a citation is never cut short
        table.add_column(say("gap.finding", "finding"), ratio=5)
        for finding in groups[entity]:
            severity_name = say(f"severity.{finding.severity}", finding.severity)
            severity = Text(severity_name, style=_STYLE[finding.severity])
            if finding.waived:
                severity = Text(f"{severity_name}\n({say('gap.waived', 'waived')})", style="dim")
            body = safe.terminal(finding.message)
            if finding.fix:
                body.append_text(safe.terminal(f"\n{say('gap.fix', 'Fix')}{say('punct.colon', ':')} {finding.fix}", style="dim"))
            if finding.source is not None:
                body.append_text(safe.terminal(f"\n{say('gap.source', 'Source')}{say('punct.colon', ':')} {finding.source.file} § {finding.source.section}: “{finding.source.quote}”",
                                               style="italic"))
            if finding.waived:
                waiver = finding.waiver
                said = say("gap.waived_by", f"Waived by {waiver.accepted_by} until {waiver.until}: {waiver.reason}",
                           who=waiver.accepted_by, until=day(waiver.until), reason=waiver.reason)
                body.append_text(safe.terminal(f"\n{said}", style="dim"))
            elif expired and finding.id in expired:
                waiver = expired[finding.id]
                said = say("validate.waiver_expired", f"Waiver by {waiver.accepted_by} expired on {waiver.until}",
                           who=waiver.accepted_by, until=day(waiver.until))
                body.append_text(safe.terminal(f"\n{said}", style="bold"))
            table.add_row(severity, safe.terminal(finding.activity_label or finding.focus_label), safe.terminal(finding.field),
                          safe.terminal(finding.article), body)
        console.print(table)
    if expired:
        dates = sorted({waiver.until for waiver in expired.values()})
        english = (f"{len(expired)} finding{'s' if len(expired) != 1 else ''} counted again: waiver expired on "
                   f"{', '.join(d.isoformat() for d in dates)}")
        console.print(say("validate.counted_again." + ("one" if len(expired) == 1 else "other"), english,
                          count=len(expired), dates=", ".join(day(d) for d in dates)), highlight=False, markup=False)
    console.print(summary_line(report, messages), highlight=False)


def to_json(report: Report) -> str:
    """Every finding with all its fields, plus the counts and the evaluation date."""
    findings = []
    for finding in report.findings:
        item = asdict(finding)
        item["id"] = finding.id
        item["waived"] = finding.waived
        item["waiver"] = None if finding.waiver is None else {
            "accepted_by": finding.waiver.accepted_by, "reason": finding.waiver.reason,
            "until": finding.waiver.until.isoformat()}
        findings.append(item)
    document = {
        "as_of": report.as_of.isoformat(),
        "engine": report.engine,
        "shapes": report.shapes,
        "counts": report.counts(),
        "findings": findings,
    }
    return safe.dumps(document, indent=2)


def _labelled(messages) -> Callable[[str, str], str]:
    """``label(key, english)``: a label before a value ("Oplossing: ", "Comment corriger : ") in the catalogue's
    language, or the English one without a catalogue."""
    def label(key: str, english: str) -> str:
        return f"{messages(key)}{messages('punct.colon')} " if messages is not None else f"{english}: "
    return label


def to_junit(report: Report, threshold: str, messages=None) -> str:
    """JUnit XML: one test case per finding, failing when at or above the threshold, skipped when waived. Every
    text is made visible (ropa.safe), so that a control character in the record cannot make the XML invalid. With
    ``messages`` (findings already in its plain words), the labels of the details are in its language too."""
    limit = SEVERITIES.index(threshold)
    v = safe.visible
    label = _labelled(messages)
    suite = ET.Element("testsuite", name="ropa validate", timestamp=report.as_of.isoformat())
    failures = skipped = 0
    for finding in report.findings:
        case = ET.SubElement(suite, "testcase", classname=v(finding.entity_label or "ropa"),
                             name=v(f"{finding.check} {finding.activity_label or finding.focus_label}"))
        detail = v(f"{finding.message}\n{label('gap.article', 'Article')}{finding.article}\n"
                   f"{label('gap.fix', 'Fix')}{finding.fix}\nFocus: {finding.focus}")
        if finding.waived:
            skipped += 1
            waived = (messages("validate.waived_by", by=finding.waiver.accepted_by, until=finding.waiver.until)
                      if messages is not None else f"waived by {finding.waiver.accepted_by} until {finding.waiver.until}")
            ET.SubElement(case, "skipped", message=v(waived))
        elif SEVERITIES.index(finding.severity) <= limit:
            failures += 1
            element = ET.SubElement(case, "failure", message=v(finding.message), type=finding.severity)
            element.text = detail
        else:
            severity = messages(f"severity.{finding.severity}") if messages is not None else finding.severity
            ET.SubElement(case, "system-out").text = f"{severity}: {detail}"
    suite.set("tests", str(len(report.findings)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    root = ET.Element("testsuites", name="ropa", tests=str(len(report.findings)), failures=str(failures))
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def to_sarif(report: Report, where: dict[str, tuple[str, int]]) -> str:
    """SARIF 2.1.0: one rule per shape, one result per finding, located in the data file that describes it."""
    rules: dict[str, dict] = {}
    results = []
    for finding in report.findings:
        if finding.check not in rules:
            rules[finding.check] = {
                "id": finding.check,
                "name": finding.check.split(":")[-1],
                "shortDescription": {"text": finding.field or finding.check},
                "fullDescription": {"text": finding.message},
                "help": {"text": finding.fix or finding.message},
                "properties": {"article": finding.article},
                "defaultConfiguration": {"level": _SARIF_LEVEL[finding.severity]},
            }
        result = {
            "ruleId": finding.check,
            "ruleIndex": list(rules).index(finding.check),
            "level": _SARIF_LEVEL[finding.severity],
            "message": {"text": f"{finding.message} ({finding.article})"},
            "partialFingerprints": {"ropaFinding/v1": finding.id},
            "properties": {"focus": finding.focus, "entity": finding.entity or "", "article": finding.article},
        }
        if finding.focus in where:
            file, line = where[finding.focus]
            result["locations"] = [{
                "physicalLocation": {"artifactLocation": {"uri": Path(file).as_posix()}, "region": {"startLine": line}},
                "logicalLocations": [{"name": shorten(finding.focus), "fullyQualifiedName": finding.focus}],
            }]
        if finding.waived:
            result["suppressions"] = [{
                "kind": "external", "status": "accepted",
                "justification": f"{finding.waiver.reason} (accepted by {finding.waiver.accepted_by} until {finding.waiver.until})",
            }]
        results.append(result)
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "ropa", "version": __version__, "informationUri": "https://w3id.org/ropa",
                                "rules": list(rules.values())}},
            "invocations": [{"executionSuccessful": True, "properties": {"asOf": report.as_of.isoformat()}}],
            "results": results,
        }],
    }
    return safe.dumps(document, indent=2)


def to_github(report: Report, where: dict[str, tuple[str, int]], messages=None) -> str:
    """GitHub Actions workflow commands (::error / ::warning / ::notice), one per unwaived finding. With ``messages``
    (findings already in its plain words), the label of the fix and the summary are in its language too."""
    lines = []
    label = _labelled(messages)
    for finding in report.findings:
        if finding.waived:
            continue
        properties = {"title": f"{finding.check} ({finding.article})"}
        if finding.focus in where:
            file, line = where[finding.focus]
            properties = {"file": Path(file).as_posix(), "line": str(line), **properties}
        rendered = ",".join(f"{key}={_escape_property(value)}" for key, value in properties.items())
        subject = finding.activity_label or finding.focus_label
        about = finding.entity_label if subject == finding.entity_label else f"{finding.entity_label}: {subject}"
        message = f"{about}: {finding.message} {label('gap.fix', 'Fix')}{finding.fix}"
        lines.append(f"::{_GITHUB_COMMAND[finding.severity]} {rendered}::{_escape_data(message)}")
    lines.append(f"ropa validate: {summary_line(report, messages)}")
    return "\n".join(lines) + "\n"


def _escape_data(text: str) -> str:
    text = safe.visible(text)
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")

