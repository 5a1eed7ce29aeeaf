"""``ropa serve`` as a real server: uvicorn on a free port, driven by Debian's Chromium (headless, through Selenium
and chromium-driver), asked by a standard SPARQL client (SPARQLWrapper) and by ``ropa query --endpoint``."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from ropa import query as library
from ropa import web
from ropa.load import load
from ropa.register import Messages
from servers import free_port, stop

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
AS_OF = dt.date(2026, 11, 28)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@contextmanager
def running(application):
    """The application served by uvicorn on 127.0.0.1 in a thread; its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def destiny_server():
    with running(web.create_app(as_of=AS_OF, hosts=web.allowed_hosts(None))) as base:
        yield base


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    """A record built here whose organisation and activity labels are markup meant to run."""
    folder = tmp_path_factory.mktemp("hostile-live")
    (folder / "record.ttl").write_text(HOSTILE_RECORD, encoding="utf-8")
    with running(web.create_app([folder], as_of=AS_OF)) as base:
        yield base


PAYLOAD = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'
HOSTILE_RECORD = """
@prefix dpv: <https://w3id.org/dpv#> .
@prefix pd: <https://w3id.org/dpv/pd#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ropa: <https://w3id.org/ropa#> .
@prefix ex: <https://example.org/hostile/> .

ex:org a dpv:LegalEntity ; rdfs:label "Hostile Labels Ltd PAYLOAD"@en ; dpv:hasName "Hostile Labels Ltd" .
ex:payroll a dpv:Process ;
    rdfs:label "Payroll PAYLOAD"@en ;
    ropa:recordedBy ex:org ; ropa:role ropa:ControllerRole ;
    dpv:hasDataController ex:org ;
    dpv:hasPurpose dpv:HumanResourceManagement ;
    dpv:hasPersonalData pd:Salary ;
    dpv:hasDataSubject dpv:Employee .
""".replace("PAYLOAD", PAYLOAD.replace('"', '\\"'))


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None or not Path(CHROMEDRIVER).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium and chromium-driver are needed for the browser tests in CI")
        pytest.skip("Chromium or chromium-driver is not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


# --- In the browser ----------------------------------------------------------------------------------------------

def test_the_register_opens_and_the_language_switches(browser, destiny_server):
    from selenium.webdriver.common.by import By

    browser.get(destiny_server + "/")
    assert browser.current_url == destiny_server + "/en/"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert Messages("en")("heading.entities") in browser.find_element(By.ID, "entities").text
    browser.find_element(By.CSS_SELECTOR, 'a[href="controller-destiny-nv.html"]').click()
    assert browser.current_url.endswith("/en/controller-destiny-nv.html")
    browser.find_element(By.ID, "lang-nl").click()
    assert browser.current_url.endswith("/nl/controller-destiny-nv.html")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nl"
    assert Messages("nl")("doc.controller").casefold() in browser.find_element(By.TAG_NAME, "h1").text.casefold()
    browser.find_element(By.ID, "lang-fr").click()
    assert Messages("fr")("web.nav.findings") in browser.find_element(By.CSS_SELECTOR, "nav.web-bar").text


def test_a_question_form_gives_a_sortable_table(browser, destiny_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(destiny_server + "/en/question/activities-of-controller")
    Select(browser.find_element(By.ID, "param-controller")).select_by_value("<https://w3id.org/ropa/destiny/ozmo>")
    Select(browser.find_element(By.ID, "param-lang")).select_by_value("nl")
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser.find_element(By.ID, "ask").click()   # a form submission: the answer is a new page, waited for
    table = WebDriverWait(browser, 60).until(expected_conditions.presence_of_element_located((By.ID, "answer-table")))
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    expected = library.run(library.get("activities-of-controller"), load(),
                           params={"controller": "<https://w3id.org/ropa/destiny/ozmo>"}, lang="nl")
    assert len(rows) == len(expected.rows) > 1
    assert {row.find_elements(By.TAG_NAME, "td")[1].text for row in rows} == {r["activityLabel"] for r in expected.records()}

    heading = table.find_element(By.CSS_SELECTOR, 'th[data-column="activityLabel"]')
    heading.find_element(By.TAG_NAME, "button").click()
    assert heading.get_attribute("aria-sort") == "ascending"
    shown = [row.find_elements(By.TAG_NAME, "td")[1].text for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert shown == sorted(shown, key=str.casefold)
    heading.find_element(By.TAG_NAME, "button").click()
    again = [row.find_elements(By.TAG_NAME, "td")[1].text for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert heading.get_attribute("aria-sort") == "descending" and again == shown[::-1]
    assert "SELECT" in browser.find_element(By.CSS_SELECTOR, "details.sparql").text


def test_a_label_with_markup_stays_text_in_the_browser(browser, hostile_server):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    for path in ("/en/", "/en/controller-org.html", "/en/search?q=payroll", "/en/findings",
                 "/en/question/activities-of-controller?_run=1&controller=any"):
        browser.get(hostile_server + path)
        assert browser.title != "pwned", path
        assert not browser.find_elements(By.CSS_SELECTOR, "main img[src='x'], main script"), path
        with pytest.raises(NoAlertPresentException):
            _ = browser.switch_to.alert.text   # no script ran to open one
    browser.get(hostile_server + "/en/search?q=payroll")
    assert "Payroll " + PAYLOAD in browser.find_element(By.ID, "hits").text


def test_the_pages_break_no_rule_of_their_content_security_policy(browser, destiny_server):
    """Chromium reports a blocked script or style in its console: the pages must cause none."""
    for path in ("/en/", "/en/question/consent-activities?_run=1", "/en/diagram/controller/destiny-nv", "/en/findings"):
        browser.get(destiny_server + path)
        problems = [entry["message"] for entry in browser.get_log("browser")
                    if "Content Security Policy" in entry["message"]]
        assert not problems, (path, problems[:2])


@pytest.fixture(scope="module")
def large_server(tmp_path_factory):
    """A synthetic record of some six hundred activities: a summary overview, and registers of several pages."""
    from ropa.synthetic import generate

    folder = tmp_path_factory.mktemp("synthetic-live")
    generate(20_000, folder)
    with running(web.create_app([folder], as_of=AS_OF)) as base:
        yield base


def test_a_long_register_is_paged_and_filtered_in_the_browser(browser, large_server):
    from selenium.webdriver.common.by import By

    browser.get(large_server + "/en/")
    assert browser.find_element(By.ID, "overview-summary").text
    browser.find_element(By.CSS_SELECTOR, 'a[href="/en/processor-nimbus.html"]').click()
    first = [e.get_attribute("id") for e in browser.find_elements(By.CSS_SELECTOR, "section.entry")]
    assert len(first) == web.REGISTER_PAGE_SIZE
    browser.find_element(By.CSS_SELECTOR, '#register-pages a[rel="next"]').click()
    assert browser.current_url.endswith("_page=2")
    second = [e.get_attribute("id") for e in browser.find_elements(By.CSS_SELECTOR, "section.entry")]
    assert second and not set(first) & set(second)
    label = browser.find_element(By.CSS_SELECTOR, "section.entry h3").text
    box = browser.find_element(By.CSS_SELECTOR, '#register-pages input[name="q"]')
    box.send_keys(label)
    box.submit()
    found = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "section.entry h3")]
    assert found and all(label.casefold() in text.casefold() for text in found)
    problems = [entry["message"] for entry in browser.get_log("browser") if "Content Security Policy" in entry["message"]]
    assert not problems, problems[:2]


# --- The SPARQL endpoint from other clients ------------------------------------------------------------------------

def test_sparqlwrapper_asks_the_endpoint(destiny_server):
    from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper

    client = SPARQLWrapper(destiny_server + "/sparql")
    client.setQuery("PREFIX dpv: <https://w3id.org/dpv#> SELECT ?a WHERE { ?a a dpv:Process } ORDER BY ?a")
    client.setReturnFormat(JSON)
    rows = client.query().convert()["results"]["bindings"]
    assert len(rows) == len(load().select("SELECT ?a WHERE { ?a a dpv:Process }"))
    client.setMethod(POST)
    assert client.query().convert()["results"]["bindings"] == rows
    client.setReturnFormat(XML)
    assert len(client.query().convert().getElementsByTagName("result")) == len(rows)
    client.setReturnFormat(CSV)
    assert client.query().convert().decode().splitlines()[0] == "a"
    client.setQuery("CONSTRUCT { ?a a <https://w3id.org/dpv#Process> } WHERE { ?a a <https://w3id.org/dpv#Process> }")
    client.setReturnFormat(TURTLE)
    import rdflib

    assert len(rdflib.Graph().parse(data=client.query().convert(), format="turtle")) == len(rows)
    client.setQuery("INSERT DATA { <https://example.org/a> <https://example.org/b> 1 }")
    client.setMethod(POST)
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    with pytest.raises((SPARQLWrapperException, Exception)) as refused:
        client.query()
    assert "403" in str(refused.value) or "read-only" in str(refused.value)


@pytest.mark.parametrize("name, params", [
    ("activities-of-controller", ["controller=any"]),
    ("transfers-outside-eea", []),           # needs the transfer verdicts
    ("open-gaps-per-entity", []),            # needs the findings
])
def test_ropa_query_endpoint_gives_the_answer_it_gives_on_the_files(destiny_server, name, params):
    arguments = [a for p in params for a in ("--param", p)]
    remote = subprocess.run([sys.executable, "-m", "ropa", "query", name, *arguments, "--as-of", AS_OF.isoformat(),
                             "--endpoint", destiny_server + "/sparql", "--format", "json"],
                            capture_output=True, text=True, timeout=120)
    assert remote.returncode == 0, remote.stderr
    local = subprocess.run([sys.executable, "-m", "ropa", "query", name, *arguments, "--as-of", AS_OF.isoformat(),
                            "--format", "json"], capture_output=True, text=True, timeout=120)
    assert json.loads(remote.stdout) == json.loads(local.stdout)
    assert json.loads(remote.stdout)["rows"]


def test_ropa_query_endpoint_on_a_second_record(tmp_path):
    with running(web.create_app([EXAMPLES / "wolkenwerk"], as_of=AS_OF)) as base:
        remote = subprocess.run([sys.executable, "-m", "ropa", "query", "recipients-of-data-category", "--param",
                                 "category=any", "--endpoint", base + "/sparql", "--format", "csv"],
                                capture_output=True, text=True, timeout=120)
    local = subprocess.run([sys.executable, "-m", "ropa", "query", "recipients-of-data-category", str(EXAMPLES / "wolkenwerk"),
                            "--param", "category=any", "--format", "csv"], capture_output=True, text=True, timeout=120)
    assert remote.returncode == 0, remote.stderr
    assert remote.stdout == local.stdout and len(remote.stdout.splitlines()) > 2
    assert "Wolkenwerk GmbH" in remote.stdout


def test_ropa_serve_starts_on_the_command_line_and_refuses_a_request_without_its_token():
    import urllib.error
    import urllib.request

    port = free_port()
    token = "a-long-enough-test-token-0123456789"
    process = subprocess.Popen([sys.executable, "-m", "ropa", "serve", str(EXAMPLES / "chi-belleval"), "--port",
                                str(port), "--token", token], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
                time.sleep(0.2)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/en/", timeout=30)
        assert refused.value.code == 401
        request = urllib.request.Request(f"http://127.0.0.1:{port}/en/", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as page:
            assert "Belleval" in page.read().decode("utf-8")
            assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    finally:
        stop(process, grace=30)


def test_ropa_validate_endpoint_on_ropa_serve_reports_the_findings_of_the_files():
    """The findings `ropa serve` publishes at /sparql are the ones `ropa validate --endpoint` reads back (Art. 30(4):
    the record made available, with the same gaps, to whoever asks it through the endpoint)."""
    from ropa.validate import validate, validate_endpoint

    record = [EXAMPLES / "wolkenwerk"]
    with running(web.create_app(record, as_of=AS_OF)) as base:
        remote = validate_endpoint(base + "/sparql", None, as_of=AS_OF)
    local = validate(load(record), as_of=AS_OF)
    assert local.findings, "the record has findings to compare"

    def key(report):
        return sorted((f.check, f.focus if not f.focus.startswith("_:") else "_:", f.severity, f.message,
                       f.entity_label) for f in report.findings)

    assert key(remote) == key(local)
