"""Server processes the tests start (Oxigraph, rdflib-endpoint, ropa serve): a free loopback port, waiting until one
answers, and stopping it, in one place."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(process: subprocess.Popen, url: str, log: Path, timeout: float = 60) -> None:
    """Return once ``url`` answers; fail the test with the end of the server's log if the process ends or the time
    runs out first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server at {url} did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)


def stop(process: subprocess.Popen, log=None, grace: float = 10) -> None:
    """Ask the server to end (SIGTERM), kill it if it has not within ``grace`` seconds, and close its log."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=grace)
    if log is not None:
        log.close()
