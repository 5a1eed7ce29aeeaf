"""The documents as a person sees them: PDF through WeasyPrint and poppler, pages in a real headless Chromium.

These tests need Debian's pango (for WeasyPrint), poppler-utils (pdfinfo, pdftoppm, pdftotext) and chromium. Where a
tool is missing they are skipped on a developer's machine and fail in CI (CI=true), which installs them.
"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import io
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import ropa
from ropa.register import build_record
from ropa.render import render, write_pdf
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

@pytest.fixture(scope="module")
def pdf_output(bundled, findings, tmp_path_factory) -> Path:
    require_weasyprint()
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
    # The words of the SVG, drawn by WeasyPrint: the diagram's title, a cluster, a sub-processor.
    for phrase in ("Data flows of Destiny NV (Dstny)", "Sub-processors of Destiny NV", "Wolters Kluwer"):
        assert phrase in text, phrase
    assert "Data flows of this activity" not in text


def test_hostile_label_is_text_in_the_pdf(tmp_path):
    require_weasyprint()
    repository = Path(__file__).resolve().parent.parent
    data = tmp_path / "data"
    shutil.copytree(repository / "data" / "destiny", data)
    source = data / "000-destiny-nv.ttl"
    escaped = XSS.replace("\\", "\\\\").replace('"', '\\"')
    source.write_text(source.read_text(encoding="utf-8").replace(
        'rdfs:label "Customer contact data"@en', f'rdfs:label "{escaped}"@en', 1), encoding="utf-8")
    record = build_record(ropa.load([data]), lang="en", as_of=AS_OF)
    [pdf] = write_pdf(record, tmp_path / "pdf", stems=["controller-destiny-nv"])
    text = subprocess.run([require("pdftotext"), str(pdf), "-"], capture_output=True, text=True, timeout=120, check=True).stdout
    assert "<script>alert(1)</script>" in text
    assert 'onerror=alert(1)>' in text


# --- Chromium -----------------------------------------------------------------------------------------------------

class Chromium:
    """Headless Chromium driven over the DevTools protocol on a pipe: no port, no extra package, every wait bounded."""

    FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--remote-debugging-pipe", "--window-size=1280,900"]

    def __init__(self, binary: str):
        self.profile = tempfile.mkdtemp(prefix="ropa-chromium-")
        command_read, self.commands = os.pipe()
        self.replies, reply_write = os.pipe()

        def wire():
            # Chromium reads commands on fd 3 and writes replies on fd 4; go through high fds so neither clobbers the other.
            high_read = fcntl.fcntl(command_read, fcntl.F_DUPFD, 10)
            high_write = fcntl.fcntl(reply_write, fcntl.F_DUPFD, 10)
            os.dup2(high_read, 3)
            os.dup2(high_write, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.process = subprocess.Popen([binary, *self.FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        preexec_fn=wire, close_fds=False)
        os.close(command_read)
        os.close(reply_write)
        self.buffer = b""
        self.last_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30) -> dict:
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self.last_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self.replies], [], [], left)
            if ready:
                chunk = os.read(self.replies, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def open(self, url: str, timeout: float = 60) -> tuple[str, str]:
        """Load the page in a new tab, accepting any dialog it opens: the tab's target and session."""
        self.events = []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            event = self._read(deadline)
            self.events.append(event)
            if event.get("method") == "Page.javascriptDialogOpening":
                self.send("Page.handleJavaScriptDialog", {"accept": True}, session=session)
        return target, session

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

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except (OSError, RuntimeError, TimeoutError):
            pass
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        os.close(self.commands)
        os.close(self.replies)
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    chromium = Chromium(require("chromium"))
    try:
        yield chromium
    finally:
        chromium.close()


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
