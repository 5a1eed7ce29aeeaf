"""The documents as a person sees them: PDF through Chromium (and WeasyPrint) and poppler, pages in a real headless
Chromium.

These tests need Debian's pango (for WeasyPrint), poppler-utils (pdfinfo, pdftoppm, pdftotext) and chromium. Where a
tool is missing they are skipped on a developer's machine and fail in CI (CI=true), which installs them.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ropa
from ropa import chromium
from ropa.cli import app
from ropa.errors import RopaError
from ropa.register import build_record
from ropa.render import choose_pdf_engine, render, write_pdf
from ropa.validate import validate

AS_OF = dt.date(2026, 11, 28)
XSS = '<script>alert(1)</script> and "><img src=x onerror=alert(1)>'


def require(tool: str) -> str:
    """The tool's path; a failure in CI, a skip elsewhere, when it is missing."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed (Debian: see .ci/run)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def require_weasyprint():
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:
        if os.environ.get("CI"):
            pytest.fail(f"WeasyPrint cannot run: {error}")
        pytest.skip(f"WeasyPrint cannot run: {error}")


def pixels_are_not_blank(png: bytes) -> bool:
    """More than one colour, and a fair share of pixels that are not the background."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    if colours is None:
        return True
    if len(colours) < 2:
        return False
    background = max(colours)[0]
    return background < 0.99 * image.width * image.height


@pytest.fixture(scope="module")
def findings(bundled):
    return validate(bundled, as_of=AS_OF).findings


# --- PDF ----------------------------------------------------------------------------------------------------------

def require_engine(engine: str) -> None:
    if engine == "weasyprint":
        require_weasyprint()
    else:
        require("chromium")


def pdf_text(path: Path, *pages: int) -> str:
    """The text of a PDF (or of its pages ``first, last``) on one line."""
    first_last = ["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []
    text = subprocess.run([require("pdftotext"), *first_last, str(path), "-"],
                          capture_output=True, text=True, timeout=120, check=True).stdout
    return " ".join(text.split())


@pytest.fixture(scope="module")
def pdf_output(bundled, findings, tmp_path_factory) -> Path:
    require("chromium")
    out = tmp_path_factory.mktemp("pdf") / "out"
    render(bundled, out, formats=["pdf"], lang="en", findings=findings, as_of=AS_OF)
    return out / "pdf"


def page_count(path: Path) -> int:
    output = subprocess.run([require("pdfinfo"), str(path)], capture_output=True, text=True, timeout=60, check=True).stdout
    return int(next(line.split()[1] for line in output.splitlines() if line.startswith("Pages:")))


def test_pdf_per_document_with_a_page_count_in_range(pdf_output):
    expected = {
        "index.pdf": (5, 60),
        "controller-destiny-nv.pdf": (10, 60),     # fifteen activities, an entry a page or two
        "controller-dstny-dk.pdf": (2, 8),
        "processor-destiny-nv.pdf": (3, 25),
        "processors-dstny-dk.pdf": (1, 4),
    }
    assert len(list(pdf_output.glob("*.pdf"))) == 15
    for name, (low, high) in expected.items():
        assert low <= page_count(pdf_output / name) <= high, name


def test_pdftoppm_renders_page_one(pdf_output, tmp_path):
    pdftoppm = require("pdftoppm")
    for name in ("index.pdf", "controller-destiny-nv.pdf", "processors-destiny-nv.pdf"):
        subprocess.run([pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf_output / name), str(tmp_path / name)],
                       check=True, timeout=120)
        png = next(tmp_path.glob(f"{name}*.png")).read_bytes()
        assert pixels_are_not_blank(png), name


def test_pdf_text_holds_the_register(pdf_output):
    text = subprocess.run([require("pdftotext"), str(pdf_output / "controller-destiny-nv.pdf"), "-"],
                          capture_output=True, text=True, timeout=120, check=True).stdout
    text = " ".join(text.split())
    for phrase in ("Destiny NV", "Purposes of the processing", "Categories of recipients", "Time limits for erasure",
                   "Customer contact data", "Not documented", "Open gaps", "Privacy statement of Destiny NV (Dstny)"):
        assert phrase in text, phrase


def test_pdf_draws_the_register_diagram_and_leaves_out_the_collapsed_ones(pdf_output):
    text = subprocess.run([require("pdftotext"), str(pdf_output / "controller-destiny-nv.pdf"), "-"],
                          capture_output=True, text=True, timeout=120, check=True).stdout
    text = " ".join(text.split())
    # The words of the SVG, drawn as text: the diagram's title, a cluster, a sub-processor.
    for phrase in ("Data flows of Destiny NV (Dstny)", "Sub-processors of Destiny NV", "Wolters Kluwer"):
        assert phrase in text, phrase
    assert "Data flows of this activity" not in text


def test_pdf_pages_are_numbered_n_of_total(pdf_output):
    total = page_count(pdf_output / "controller-destiny-nv.pdf")
    assert f"1 / {total}" in pdf_text(pdf_output / "controller-destiny-nv.pdf", 1)
    assert f"{total} / {total}" in pdf_text(pdf_output / "controller-destiny-nv.pdf", total)


def test_pdf_links_to_the_other_pdfs_stay_relative(pdf_output):
    listed = subprocess.run([require("pdfinfo"), "-url", str(pdf_output / "index.pdf")],
                            capture_output=True, text=True, timeout=60, check=True).stdout.splitlines()[1:]
    targets = {line.split()[-1] for line in listed}
    assert "controller-destiny-nv.pdf" in targets
    assert not [target for target in targets if target.startswith("file:")]
    for target in targets:
        if not target.startswith(("http://", "https://")):
            assert (pdf_output / target.partition("#")[0]).is_file(), target
    assert sorted(p.suffix for p in pdf_output.iterdir()) == [".pdf"] * 15   # the printed pages are gone


def test_a_build_prints_every_language_s_pdfs_with_one_browser(tmp_path, monkeypatch):
    """Not Destiny: the German SaaS example, in two languages, with the HTML beside it. One browser prints every PDF,
    each language gets one PDF per document, in the order of its HTML pages, and no printed page is left behind."""
    require("chromium")
    from ropa.render import build

    started = []
    original = chromium.Chromium.__init__

    def counted(self, *args, **kwargs):
        started.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(chromium.Chromium, "__init__", counted)
    graph = ropa.load([Path(__file__).resolve().parent.parent / "examples" / "wolkenwerk"])
    result = build(graph, tmp_path / "out", formats=["html", "pdf"], languages=["en", "nl"],
                   findings=validate(graph, as_of=AS_OF).findings, as_of=AS_OF)
    assert len(started) == 1
    for lang in ("en", "nl"):
        pages = [path.stem for path in result.files if path.parent.name == "html" and path.parent.parent.name == lang
                 and path.suffix == ".html"]
        pdfs = [path for path in result.files if path.parent.name == "pdf" and path.parent.parent.name == lang]
        assert len(pages) > 3 and [path.stem for path in pdfs] == pages
        assert all(page_count(path) >= 1 for path in pdfs)
        assert sorted(path.suffix for path in (tmp_path / "out" / lang / "pdf").iterdir()) == [".pdf"] * len(pages)
    title = (tmp_path / "out" / "nl" / "html" / "index.html").read_text(encoding="utf-8").split("<title>")[1].split("<")[0]
    assert title.startswith(("Groepsoverzicht", "Overzicht van het register"))
    assert title.split(" · ")[0].upper() in pdf_text(tmp_path / "out" / "nl" / "pdf" / "index.pdf")  # a heading in capitals


def test_without_chromium_the_pdf_engine_is_weasyprint_and_asking_for_chromium_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("ROPA_CHROMIUM", str(tmp_path / "no-such-chromium"))
    assert choose_pdf_engine() == "weasyprint"
    with pytest.raises(RopaError, match="PDF output needs Chromium"):
        chromium.Chromium()
    result = CliRunner().invoke(app, ["render", "--out", str(tmp_path / "out"), "--format", "pdf",
                                      "--pdf-engine", "chromium"])
    assert result.exit_code == 2 and "needs Chromium" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
    result = CliRunner().invoke(app, ["build", "--out", str(tmp_path / "out"), "--pdf-engine", "prince"])
    assert result.exit_code == 2 and "unknown PDF engine 'prince'" in result.output


def test_relative_links_keep_every_byte_offset():
    folder = "file:///tmp/out/en/pdf/"
    pdf = (b"1 0 obj << /A << /S /URI /URI (" + folder.encode() + b"index.pdf#a-x) >> >> endobj "
           b"2 0 obj << /URI (https://example.org/a) >> endobj 3 0 obj << /URI (file:///elsewhere/x.pdf) >> endobj")
    cut = chromium.relative_links(pdf, folder)
    assert len(cut) == len(pdf)
    assert b"/URI (index.pdf#a-x)" in cut and folder.encode() not in cut
    assert b"(https://example.org/a)" in cut and b"(file:///elsewhere/x.pdf)" in cut
    assert cut.index(b"2 0 obj") == pdf.index(b"2 0 obj")


@pytest.mark.parametrize("engine, stem", [("chromium", "controller-destiny-nv"), ("weasyprint", "index")])
def test_hostile_label_is_text_in_the_pdf(tmp_path, engine, stem):
    """Both engines; WeasyPrint on a short document (it lays out the register several times slower)."""
    require_engine(engine)
    repository = Path(__file__).resolve().parent.parent
    data = tmp_path / "data"
    shutil.copytree(repository / "data" / "destiny", data)
    source = data / "000-destiny-nv.ttl"
    escaped = XSS.replace("\\", "\\\\").replace('"', '\\"')
    source.write_text(source.read_text(encoding="utf-8").replace(
        'rdfs:label "Customer contact data"@en', f'rdfs:label "{escaped}"@en', 1), encoding="utf-8")
    record = build_record(ropa.load([data]), lang="en", as_of=AS_OF)
    [pdf] = write_pdf(record, tmp_path / "pdf", stems=[stem], engine=engine)
    text = subprocess.run([require("pdftotext"), str(pdf), "-"], capture_output=True, text=True, timeout=120, check=True).stdout
    assert "<script>alert(1)</script>" in text
    assert 'onerror=alert(1)>' in text


# --- Chromium -----------------------------------------------------------------------------------------------------

class Browser(chromium.Chromium):
    """The library's headless Chromium, with what the tests look at: console errors, dialogs, screenshots."""

    def evaluate(self, url: str, expression: str):
        """The value of a JavaScript expression on the loaded page."""
        target, session = self.open(url)
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)
        self.send("Target.closeTarget", {"targetId": target})
        return result["result"]["value"]

    def visit(self, url: str, timeout: float = 60) -> tuple[list[str], list[str], bytes]:
        """Load the page in a new tab: its console errors, the dialogs it opened, and a PNG screenshot."""
        target, session = self.open(url, timeout)
        self.send("Runtime.evaluate", {"expression": "document.readyState"}, session=session)
        png = base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"}, session=session)["data"])
        errors, dialogs = [], []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                errors.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append(" ".join(str(arg.get("value", "")) for arg in params.get("args", [])))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                errors.append(params["entry"].get("text", ""))
            elif method == "Page.javascriptDialogOpening":
                dialogs.append(params.get("message", ""))
        self.send("Target.closeTarget", {"targetId": target})
        return errors, dialogs, png


@pytest.fixture(scope="module")
def browser():
    opened = Browser(require("chromium"))
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(scope="module")
def site(bundled, findings, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "out"
    render(bundled, out, formats=["html"], lang="en", findings=findings, as_of=AS_OF)
    return out / "html"


def test_the_check_sees_console_errors_and_dialogs(browser, tmp_path):
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><head><link rel="stylesheet" href="missing.css"></head>'
                    "<body><p>x</p><script>console.error('boom'); alert(1)</script></body></html>")
    errors, dialogs, _ = browser.visit(page.as_uri())
    assert any("boom" in e for e in errors) and any("ERR_FILE_NOT_FOUND" in e for e in errors)
    assert dialogs == ["1"]


@pytest.mark.parametrize("name", ["index.html", "controller-destiny-nv.html", "processors-destiny-nv.html"])
def test_chromium_loads_pages_without_console_errors(browser, site, name, tmp_path):
    errors, dialogs, png = browser.visit((site / name).as_uri())
    assert errors == []
    assert dialogs == []
    (tmp_path / f"{name}.png").write_bytes(png)
    assert pixels_are_not_blank(png)


def test_chromium_fits_the_data_flow_diagram_to_the_column(browser, site):
    page = (site / "controller-destiny-nv.html").as_uri()
    width, height, column, natural_width, natural_height = browser.evaluate(page, """
        (() => {
          const svg = document.querySelector("#data-flows figure svg");
          const box = svg.getBoundingClientRect();
          return [box.width, box.height, svg.parentElement.clientWidth,
                  svg.width.baseVal.value, svg.height.baseVal.value];
        })()""")
    assert natural_width > column               # too wide at its natural size ...
    assert 0.9 * column < width <= column       # ... so shrunk to the column,
    assert abs(height / width - natural_height / natural_width) < 0.01   # keeping its proportions


def test_chromium_shows_the_hostile_label_without_running_it(browser, tmp_path):
    repository = Path(__file__).resolve().parent.parent
    data = tmp_path / "data"
    shutil.copytree(repository / "data" / "destiny", data)
    source = data / "000-destiny-nv.ttl"
    escaped = XSS.replace("\\", "\\\\").replace('"', '\\"')
    source.write_text(source.read_text(encoding="utf-8").replace(
        'rdfs:label "Customer contact data"@en', f'rdfs:label "{escaped}"@en', 1), encoding="utf-8")
    graph = ropa.load([data])
    render(graph, tmp_path / "out", formats=["html"], as_of=AS_OF)
    for name in ("index.html", "controller-destiny-nv.html"):
        errors, dialogs, png = browser.visit((tmp_path / "out" / "html" / name).as_uri())
        assert dialogs == [] and errors == [], name
        assert pixels_are_not_blank(png)
