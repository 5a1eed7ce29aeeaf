"""Headless Chromium over the DevTools protocol on a pipe: the fast PDF printer, and the browser the tests look through.

Chromium lays out a long register in a fraction of a second where a pure-Python layout engine takes many, and it
honours the print stylesheet as written (``@page`` size and margins, the page-number margin box, ``break-*``). It
is driven over ``--remote-debugging-pipe``: no port to open, no extra package, every wait bounded.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from ropa.errors import RopaError

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--remote-debugging-pipe", "--window-size=1280,900"]
BINARIES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_binary() -> str | None:
    """The browser to start: $ROPA_CHROMIUM, or the first of the usual names on PATH."""
    configured = os.environ.get("ROPA_CHROMIUM")
    if configured:
        return shutil.which(configured) or (configured if Path(configured).is_file() else None)
    for name in BINARIES:
        if found := shutil.which(name):
            return found
    return None


def relative_links(pdf: bytes, folder_uri: str) -> bytes:
    """Chromium writes every link as an absolute URI; make those into ``folder_uri`` relative again. Each string keeps
    its byte length (the cut is padded with spaces after the string), so the PDF's cross-reference offsets hold."""
    prefix = re.escape(folder_uri.encode("ascii", "backslashreplace"))

    def cut(match: re.Match) -> bytes:
        return b"/URI (" + match.group(1) + b")" + b" " * (len(match.group(0)) - len(match.group(1)) - 7)

    return re.sub(rb"/URI \(" + prefix + rb"([^()\\]*)\)", cut, pdf)


class Chromium:
    """One headless browser process, driven over the DevTools pipe (fd 3 for commands, fd 4 for replies)."""

    def __init__(self, binary: str | None = None):
        binary = binary or find_binary()
        if binary is None:
            raise RopaError("PDF output needs Chromium (apt-get install chromium), or set ROPA_CHROMIUM to its path")
        self.profile = tempfile.mkdtemp(prefix="ropa-chromium-")
        command_read, self.commands = os.pipe()
        self.replies, reply_write = os.pipe()

        def wire():
            # Go through high fds so that neither dup2 clobbers the other pipe end.
            high_read = fcntl.fcntl(command_read, fcntl.F_DUPFD, 10)
            high_write = fcntl.fcntl(reply_write, fcntl.F_DUPFD, 10)
            os.dup2(high_read, 3)
            os.dup2(high_write, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        try:
            self.process = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, preexec_fn=wire, close_fds=False)
        except OSError as error:
            for descriptor in (command_read, self.commands, self.replies, reply_write):
                os.close(descriptor)
            shutil.rmtree(self.profile, ignore_errors=True)
            raise RopaError(f"cannot start Chromium ({binary}): {error.strerror}") from None
        os.close(command_read)
        os.close(reply_write)
        self.buffer = b""
        self.last_id = 0
        self.events: list[dict] = []

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30) -> dict:
        """Send one command and wait for its reply; events that arrive meanwhile are kept in ``events``."""
        sent = self.post(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            reply = self.read(deadline)
            if reply.get("id") == sent:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def read(self, deadline: float) -> dict:
        """The next message from the browser, waiting at most until ``deadline`` (time.monotonic)."""
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

    def new_tab(self, background: bool = False) -> tuple[str, str]:
        """A fresh tab: its target and (flattened) session, with the Page, Runtime and Log events on. A background
        tab is never painted on screen, which printing does not need (a fifth less work per page)."""
        target = self.send("Target.createTarget", {"url": "about:blank", "background": background})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=session)
        return target, session

    def navigate(self, session: str, url: str, timeout: float = 60) -> None:
        """Load ``url`` in the tab and wait for its load event, accepting any dialog the page opens."""
        self.events = []
        self.send("Page.navigate", {"url": url}, session=session)
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == "Page.loadEventFired" and e.get("sessionId") == session for e in self.events):
            event = self.read(deadline)
            self.events.append(event)
            if event.get("method") == "Page.javascriptDialogOpening":
                self.send("Page.handleJavaScriptDialog", {"accept": True}, session=session)

    def open(self, url: str, timeout: float = 60) -> tuple[str, str]:
        """Load the page in a new tab: the tab's target and session."""
        target, session = self.new_tab()
        self.navigate(session, url, timeout)
        return target, session

    PRINT = {"printBackground": True, "preferCSSPageSize": True, "displayHeaderFooter": False,
             "generateDocumentOutline": True, "generateTaggedPDF": False}
    """As the print stylesheet lays the page out: its page size and margins, backgrounds, the page numbers of its
    margin boxes (no browser header or footer), and an outline from the headings."""

    PAGE = ".print.html"
    """The blank page a printing tab opens in the PDFs' folder (written there while printing, removed after). Each
    document takes the place of its content, so the document's links to the folder's files (the stylesheet, the other
    PDFs) resolve in the folder. The page names its character set: the documents' text is read in the page's."""

    def print_pdfs(self, jobs: Iterable[tuple[str, Path]], tabs: int = 2, timeout: float = 120,
                   done: Callable[[Path], None] | None = None) -> None:
        """Print each (HTML text, PDF file) pair, ``tabs`` documents at a time, each tab in its own renderer process.
        A tab opens the blank page ``PAGE`` of the PDF's folder once, then takes each document in place of the page's
        content: no navigation, so no new document and renderer per PDF (a fifth of the browser's work). ``jobs`` is
        read as tabs come free, so a generator can render each document while the browser prints the others. Links
        to files in the folder stay relative, so the PDFs of a folder keep linking to each other once moved. ``done``
        is called with each PDF written; no document may take longer than ``timeout`` seconds to load or print."""
        waiting = iter(jobs)
        folder_of: dict[str, Path] = {}            # the folder of each tab's page
        job_of: dict[str, tuple[str, Path]] = {}   # what each busy tab prints
        loading: dict[str, bool] = {}              # tabs waiting for a load event: True while their blank page loads
        printing: dict[int, str] = {}              # printToPDF command → its tab
        filling: dict[int, str] = {}               # setDocumentContent command → its tab
        pages: list[Path] = []

        def start(session: str) -> None:
            job = next(waiting, None)
            if job is None:
                job_of.pop(session, None)
                return
            job_of[session] = (job[0], Path(job[1]))
            folder = job_of[session][1].parent.resolve()
            if folder_of.get(session) != folder:
                page = folder / self.PAGE
                if page not in pages:
                    page.write_text('<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head></html>\n',
                                    encoding="utf-8")
                    pages.append(page)
                folder_of[session] = folder
                loading[session] = True
                self.post("Page.navigate", {"url": page.as_uri()}, session)
            else:
                fill(session)

        def fill(session: str) -> None:
            loading[session] = False
            filling[self.post("Page.setDocumentContent", {"frameId": frames[session], "html": job_of[session][0]},
                              session)] = session

        opened = [self.new_tab(background=True) for _ in range(max(1, tabs))]
        frames = {session: target for target, session in opened}  # a tab's main frame has the tab's id
        try:
            for _, session in opened:
                # Laid out for print from the start: the page is not first laid out for a screen nobody sees.
                self.send("Emulation.setEmulatedMedia", {"media": "print"}, session=session)
            for _, session in opened:  # only now: an event that arrived during a send() above would be missed
                start(session)
            while job_of:
                message = self.read(time.monotonic() + timeout)
                method, session = message.get("method"), message.get("sessionId")
                if method == "Page.loadEventFired" and session in loading:
                    if loading.pop(session):
                        fill(session)
                    else:
                        printing[self.post("Page.printToPDF", self.PRINT, session)] = session
                elif method == "Page.javascriptDialogOpening":
                    self.post("Page.handleJavaScriptDialog", {"accept": True}, session)
                elif message.get("id") in filling:
                    session = filling.pop(message["id"])
                    if "error" in message:
                        raise RuntimeError(f"loading {job_of[session][1].stem}: {message['error']}")
                elif message.get("id") in printing:
                    session = printing.pop(message["id"])
                    pdf = job_of[session][1]
                    if "error" in message:
                        raise RuntimeError(f"printing {pdf.stem}: {message['error']}")
                    pdf.write_bytes(relative_links(base64.b64decode(message["result"]["data"]),
                                                   folder_of[session].as_uri() + "/"))
                    if done is not None:
                        done(pdf)
                    start(session)
            for target, _ in opened:
                self.send("Target.closeTarget", {"targetId": target})
        finally:
            for page in pages:
                page.unlink(missing_ok=True)

    def post(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        """Send one command without waiting for its reply: the command's id."""
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            os.write(self.commands, json.dumps(message).encode() + b"\0")
        except BrokenPipeError:
            raise RuntimeError("Chromium closed the DevTools pipe") from None
        return self.last_id

    def close_pipe_copy(self) -> None:
        """In a forked process: close this copy of the pipe to the browser, which only the process that started it
        talks over (and which the browser must see closed once that process is gone)."""
        for descriptor in (self.commands, self.replies):
            try:
                os.close(descriptor)
            except OSError:
                pass

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
