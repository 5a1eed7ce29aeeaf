"""The one HTTP client of ropa: a total deadline, a size limit and one-line errors, whatever the server does.

A socket timeout alone does not bound a request: a server that trickles one byte every few seconds never trips
it. Here a timer closes the connection when the deadline passes, wherever the request is (connecting, sending,
waiting for headers, reading the body), and the body is read in pieces up to a limit, so a huge answer is refused
instead of filling memory. Every failure of the remote side (an invalid URL, no answer, an HTTP error, a cut
connection) is a RopaError naming the endpoint. urllib is kept underneath for its proxy and redirect handling.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from ropa.errors import RopaError

DEFAULT_TIMEOUT = 30.0
"""Seconds a query may take from the first byte sent to the last byte read."""
MAX_RESPONSE_BYTES = 512 * 1024 * 1024
"""The largest answer read (512 MB); a larger one is refused."""


def check_url(url: str) -> str:
    """The URL if it is a well-formed http(s) URL with a host; otherwise a RopaError that says what is wrong."""
    text = str(url)
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        raise RopaError(f"endpoint {text!r} is not a URL: it contains a space or a control character")
    try:
        parsed = urllib.parse.urlsplit(text)
        parsed.port  # noqa: B018  (raises ValueError on a port that is not a number in range)
    except ValueError as error:
        raise RopaError(f"endpoint {text!r} is not a valid URL: {error}") from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise RopaError(f"endpoint {text!r} is not an http(s) URL with a host, e.g. http://127.0.0.1:7878/query")
    return text


class _Deadline:
    """Closes every connection opened under it once ``seconds`` have passed."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.expired = False
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.timer = threading.Timer(seconds, self.expire)
        self.timer.daemon = True

    def remaining(self) -> float:
        return max(0.001, self.end - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        with self.lock:
            self.sockets.append(sock)
            if self.expired:
                _shut(sock)

    def expire(self) -> None:
        with self.lock:
            self.expired = True
            for sock in self.sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _opener(deadline: _Deadline) -> urllib.request.OpenerDirector:
    """A urllib opener whose connections register their socket with the deadline and time out when it ends."""

    def watched(base):
        class Connection(base):
            def connect(self):
                self.timeout = deadline.remaining()
                super().connect()
                deadline.watch(self.sock)
        return Connection

    class Http(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(watched(http.client.HTTPConnection), req)

    class Https(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(watched(http.client.HTTPSConnection), req, context=self._context)

    return urllib.request.build_opener(Http, Https)


def request(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None, method: str = "GET",
            timeout: float = DEFAULT_TIMEOUT, max_bytes: int = MAX_RESPONSE_BYTES, what: str = "the endpoint") -> bytes:
    """Send one request and return the whole body, within ``timeout`` seconds in total and ``max_bytes`` in size."""
    check_url(url)
    if not timeout > 0:
        raise RopaError(f"--timeout must be a positive number of seconds, not {timeout}")
    where = f"{what} {url}"
    deadline = _Deadline(timeout)
    late = RopaError(f"{where} gave no complete answer within {timeout:g} seconds (--timeout)")
    deadline.timer.start()
    try:
        try:
            req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
            with _opener(deadline).open(req, timeout=deadline.remaining()) as response:
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise _too_large(where, max_bytes)
                body = _read(response, max_bytes, where, deadline)
                if declared and declared.isdigit() and len(body) < int(declared):
                    raise RopaError(f"the answer of {where} was cut off before its end "
                                    f"({len(body)} of {declared} bytes)")
                return body
        except urllib.error.HTTPError as error:
            if deadline.expired:
                raise late from None
            raise RopaError(f"{where} answered HTTP {error.code} {_one_line(error.reason)}{_detail(error)}") from None
        except RopaError:
            raise
        except http.client.IncompleteRead:
            if deadline.expired:
                raise late from None
            raise RopaError(f"the answer of {where} was cut off before its end") from None
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
            reason = error.reason if isinstance(error, urllib.error.URLError) else error
            if deadline.expired or isinstance(reason, TimeoutError):   # the timer or the socket's own timeout
                raise late from None
            raise RopaError(f"cannot reach {where}: {_one_line(reason) or type(error).__name__}") from None
    finally:
        deadline.timer.cancel()


def _read(response, max_bytes: int, where: str, deadline: _Deadline) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(where, max_bytes)
        chunks.append(chunk)
    if deadline.expired:
        raise RopaError(f"{where} gave no complete answer within {deadline.seconds:g} seconds (--timeout)")
    return b"".join(chunks)


def _too_large(where: str, max_bytes: int) -> RopaError:
    return RopaError(f"{where} answered with more than {max_bytes // (1024 * 1024)} MB; ropa reads no more")


def _detail(error: urllib.error.HTTPError) -> str:
    try:
        lines = error.read(2000).decode("utf-8", "replace").strip().splitlines()
    except (OSError, http.client.HTTPException, ValueError):
        return ""
    return f": {_one_line(lines[0])[:300]}" if lines else ""


def _one_line(value) -> str:
    from ropa.safe import one_line

    return one_line(str(value)).strip()
