"""``credential serve``: the inspector as a web page, on 127.0.0.1 only (standard library HTTP server).

The page and its own script and style are all it serves; the Content-Security-Policy lets the browser
load nothing else and send nothing elsewhere, and every answer carries it, error pages included.
A Host header other than this server's own name is refused (so a web site that rebinds a name to
127.0.0.1 cannot use the page), and so is a form posted from any other origin (so a page elsewhere
cannot make the operator's browser post to it). Requests are bounded in size and in time: each must
arrive within ``REQUEST_DEADLINE`` seconds of the connection, and eight are read at once, so a slow
client holds one of them for that long at most. Images are read in six formats and bounded in
pixels before they are decoded (``qr.scan``). Verification uses the configuration the server was
started with and, unless a fixed time was given, the system clock at each request; it runs on one
thread, the one that serves (``serve``), because a gate's configuration may hold SQLite connections
that belong to the thread that opened them. Inspecting never records a presentation in the gate's
replay cache.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import queue
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any, TypeVar

from ..base import limits
from ..gate.verify import Verifier
from . import forms, page
from .inspect import inspect

HOST = "127.0.0.1"
MAX_BODY = 4 * 1024 * 1024  # a phone photo or camera frame of a code; a larger request is refused unread
MAX_TEXT = 4 * limits.MAX_TEXT_CHARS  # a pasted text far longer than any credential is refused, not inspected
READ_TIMEOUT = 5.0  # seconds a client may pause between two pieces of its request
REQUEST_DEADLINE = 15.0  # seconds from the connection to the whole request read
WORK_TIMEOUT = 30.0  # seconds a request waits for its inspection or scan before it is answered 503
# Requests read and answered at once. Browsers open a spare connection or two ahead of need, which
# hold a slot until READ_TIMEOUT; eight leaves room for them. Bodies are at most MAX_BODY each, and
# images are decoded one at a time, so eight bound the memory too.
MAX_CONNECTIONS = 8
SLOT_WAIT = 1.0  # seconds a new connection waits for a free slot before it is answered 503
FORM_FIELDS = frozenset({"text", "image"})
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self' blob: mediastream:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" with the page's
    # own forms (Fetch, "serializing a request origin"), which the Origin check could not tell from a
    # sandboxed page elsewhere. Nothing leaves for another origin either way.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=()",
}
_STATIC = {"/app.js": ("app.js", "text/javascript; charset=utf-8"), "/app.css": ("app.css", "text/css; charset=utf-8")}
_LENGTH = re.compile(r"[0-9]{1,12}")  # ASCII digits only: str.isdigit() also takes "²"
# Sec-Fetch-Site values of a request the page itself made, or the operator typed (RFC 9110 has none:
# Fetch Metadata, W3C). A browser sends it with every request; other clients do not.
_OWN_SITES = ("same-origin", "none")
_ELSEWHERE = "this page accepts forms from itself only: a page elsewhere tried to send it one, and nothing was inspected"
T = TypeVar("T")


class _Refused(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Inspector:
    """What the server verifies with: the configuration it was started with, used on one thread.

    Handlers put their inspections in a queue (``run``); ``work`` runs them one at a time on the
    thread that calls it, so a configuration that holds thread-bound SQLite connections works.
    """

    def __init__(self, verifier: Verifier | None, now: int | None, templates: Mapping[str, bytes] | None) -> None:
        self.verifier, self.now, self.templates = verifier, now, templates
        self._jobs: queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()
        self._scanning = threading.Lock()  # one image decoded at a time: bounded memory

    def describe(self) -> str:
        if self.verifier is None:
            return "No trusted keys configured: credentials are decoded and checked as far as that goes, never verified."
        kids = ", ".join(f"{k.kid.hex()} ({'/'.join(sorted(k.issuers))})" for k in self.verifier.trust)
        when = "the system clock" if self.now is None else _dt.datetime.fromtimestamp(self.now, _dt.timezone.utc).isoformat()
        gate = ", ".join(
            f"{name} {value}" for name, value in (("destination", self.verifier.destination), ("channel", self.verifier.channel)) if value
        )
        return f"Verifying with keys {kids}; time: {when}" + (f"; {gate}" if gate else "") + "."

    def report(self, text: str | bytes) -> str:
        if self.verifier is None:
            result = inspect(text)
        else:
            now = self.now if self.now is not None else int(_dt.datetime.now(_dt.timezone.utc).timestamp())
            result = inspect(text, self.verifier, now=now, templates=self.templates)
        return page.report_page(result, self.describe())

    def run(self, job: Callable[[], T]) -> T:
        """``job()`` run on the inspection thread; 503 when it does not finish in ``WORK_TIMEOUT``."""
        future: Future[T] = Future()
        self._jobs.put((job, future))
        try:
            return future.result(WORK_TIMEOUT)
        except FutureTimeout:
            future.cancel()
            raise _Refused(HTTPStatus.SERVICE_UNAVAILABLE, "the inspector is busy; try again") from None

    def work(self) -> None:
        """Run queued inspections until ``stop``."""
        while True:
            item = self._jobs.get()
            if item is None:
                return
            job, future = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(job())
                except BaseException as err:  # handed to the waiting request, which answers it
                    future.set_exception(err)

    def stop(self) -> None:
        self._jobs.put(None)

    def scan(self, image: bytes) -> str:
        """The QR text in an uploaded image; ``qr.ScanError`` (a ValueError) when there is none."""
        from .. import qr

        if not self._scanning.acquire(timeout=WORK_TIMEOUT):
            raise _Refused(HTTPStatus.SERVICE_UNAVAILABLE, "the inspector is busy; try again")
        try:
            return qr.scan(image)
        finally:
            self._scanning.release()


class _DeadlineReader(io.RawIOBase):
    """The connection's bytes, each read waiting at most ``READ_TIMEOUT`` and none past the deadline.

    A per-read timeout alone lets a client that sends a byte every few seconds hold a handler for
    ever; the deadline bounds the whole request. ``received`` and ``timed_out`` tell the handler
    whether a request that began was cut off.
    """

    def __init__(self, connection: socket.socket, deadline: float) -> None:
        super().__init__()
        self.connection, self.deadline = connection, deadline
        self.received = 0
        self.timed_out = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.deadline - time.monotonic()
        try:
            if left <= 0:
                raise TimeoutError("the request was not received in time")
            self.connection.settimeout(min(READ_TIMEOUT, left))
            count = self.connection.recv_into(buffer)
        except TimeoutError:
            self.timed_out = True
            raise
        self.received += count
        return count


class Handler(BaseHTTPRequestHandler):
    server_version = "credential-inspector"
    sys_version = ""
    timeout = READ_TIMEOUT
    inspector: Inspector  # set on the subclass made for each server
    deadline_seconds: float = REQUEST_DEADLINE

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # the socket's own reader: closed, or the socket would stay open after the answer
        self._reader = _DeadlineReader(self.connection, time.monotonic() + self.deadline_seconds)
        self.rfile = io.BufferedReader(self._reader)
        self._answered = False

    def handle(self) -> None:
        super().handle()
        # http.server closes a connection whose request line or headers time out without a word; a
        # request that began is answered 408 (an idle connection a browser opened ahead is not).
        if self._reader.timed_out and self._reader.received and not self._answered:
            self.connection.settimeout(READ_TIMEOUT)
            self.send_error(HTTPStatus.REQUEST_TIMEOUT, "the request did not arrive in time")

    def send_response(self, code: int, message: str | None = None) -> None:
        self._answered = True
        super().send_response(code, message)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        # The request line and status only: credential data never reaches a log.
        if self.server.verbose:  # type: ignore[attr-defined]
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a malformed request line or header, an unknown method) as this
        page's problem page, with the security headers."""
        try:
            status = HTTPStatus(code)
        except ValueError:
            status = HTTPStatus.BAD_REQUEST
        self.log_error("code %d, message %s", code, message)
        if self.request_version == "HTTP/0.9":  # answered with a status line and headers all the same
            self.request_version = "HTTP/1.0"
        self.close_connection = True
        self._html(status, page.problem_page(message or status.phrase, "", "Request refused"))

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if self.request_version == "HTTP/0.9":  # a response of that version has no headers: no CSP
            self.send_error(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, "HTTP/0.9 is not served")
            return False
        return True

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        if self.close_connection or status >= 400:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _html(self, status: HTTPStatus, text: str) -> None:
        self._send(status, text.encode("utf-8"), "text/html; charset=utf-8")

    def _json(self, status: HTTPStatus, value: dict[str, Any]) -> None:
        self._send(status, json.dumps(value, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def _own_names(self) -> tuple[str, ...]:
        port = self.server.server_address[1]  # type: ignore[index]  # an (address, port) pair: bound to HOST
        return (f"{HOST}:{port}", f"localhost:{port}")

    def _check_host(self) -> None:
        if self.headers.get("Host", "") not in self._own_names():
            raise _Refused(HTTPStatus.MISDIRECTED_REQUEST, "this server answers to 127.0.0.1 and localhost only")

    def _check_origin(self) -> None:
        """A POST from another origin (a form on any web site, sent by the operator's own browser) is
        refused: by its Origin, which browsers send with every POST, and by Sec-Fetch-Site."""
        origin = self.headers.get("Origin")
        if origin is not None and origin not in tuple(f"http://{name}" for name in self._own_names()):
            raise _Refused(HTTPStatus.FORBIDDEN, _ELSEWHERE)
        site = self.headers.get("Sec-Fetch-Site")
        if site is not None and site not in _OWN_SITES:
            raise _Refused(HTTPStatus.FORBIDDEN, _ELSEWHERE)

    def _body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None:
            raise _Refused(HTTPStatus.LENGTH_REQUIRED, "a request body needs a Content-Length")
        if not _LENGTH.fullmatch(length.strip()):
            raise _Refused(HTTPStatus.BAD_REQUEST, "Content-Length is not a number of bytes")
        size = int(length)
        if size > MAX_BODY:
            raise _Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"requests are limited to {MAX_BODY // (1024 * 1024)} MiB")
        try:
            body = self.rfile.read(size)
        except OSError:  # the deadline, a per-read timeout, or a reset
            body = b""
            size = max(size, 1)
        if len(body) != size:
            raise _Refused(HTTPStatus.REQUEST_TIMEOUT, "the request did not arrive in time")
        return body

    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        self._answer(self._get)

    def do_HEAD(self) -> None:  # noqa: N802 - the base class's name
        self._answer(self._get)

    def do_POST(self) -> None:  # noqa: N802 - the base class's name
        self._answer(self._post)

    def _answer(self, handle: Callable[[], None]) -> None:
        """Every refusal a page (JSON for /scan) with the security headers; never a traceback."""
        path = self.path.split("?", 1)[0]
        try:
            handle()
        except _Refused as refused:
            self._refuse(path, refused.status, refused.message)
        except forms.FormError as err:
            self._refuse(path, HTTPStatus.BAD_REQUEST, str(err))
        except Exception as err:  # a defect: the operator sees its kind, the client a 500, nobody a traceback
            self.log_error("internal error %s", type(err).__name__)
            self._refuse(path, HTTPStatus.INTERNAL_SERVER_ERROR, "the inspector failed on this request")

    def _refuse(self, path: str, status: HTTPStatus, message: str) -> None:
        if path == "/scan":
            self._json(status, {"error": message})
        else:
            self._html(status, page.problem_page(message, "", "Request refused"))

    def _get(self) -> None:
        self._check_host()
        path = self.path.split("?", 1)[0]
        if path == "/":
            self._html(HTTPStatus.OK, page.start_page(self.inspector.describe()))
        elif path == "/favicon.ico":
            self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
        elif path in _STATIC:
            name, content_type = _STATIC[path]
            self._send(HTTPStatus.OK, resources.files("credential.tools").joinpath("web", name).read_bytes(), content_type)
        else:
            raise _Refused(HTTPStatus.NOT_FOUND, f"nothing at {path}")

    def _post(self) -> None:
        self._check_host()
        self._check_origin()
        path = self.path.split("?", 1)[0]
        if path == "/scan":
            self._post_scan()
        elif path == "/inspect":
            self._post_inspect()
        else:
            raise _Refused(HTTPStatus.NOT_FOUND, f"nothing at {path}")

    def _post_scan(self) -> None:
        body = self._body()
        try:
            self._json(HTTPStatus.OK, {"text": self.inspector.scan(body)})
        except ValueError as err:
            self._json(HTTPStatus.OK, {"error": str(err)})

    def _post_inspect(self) -> None:
        fields = forms.parse(self.headers.get("Content-Type", ""), self._body(), FORM_FIELDS)
        image = fields.get("image", b"")
        if image:
            try:
                text: str | bytes = self.inspector.scan(image)
            except ValueError as err:
                self._html(HTTPStatus.UNPROCESSABLE_ENTITY, page.problem_page(f"No credential could be read from the image: {err}", self.inspector.describe()))
                return
        else:
            raw = fields.get("text", b"")
            if len(raw) > MAX_TEXT:
                raise _Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"a text of {len(raw)} bytes is far longer than any credential")
            # A browser sends the textarea as UTF-8 with CR LF line ends; a credential is one line.
            text = raw.strip(b"\r\n").decode("utf-8", errors="replace")
            if not text:
                self._html(HTTPStatus.OK, page.problem_page("Paste a credential text, or give an image.", self.inspector.describe()))
                return
        inspected = text
        self._html(HTTPStatus.OK, self.inspector.run(lambda: self.inspector.report(inspected)))


_BUSY_TEXT = b"The inspector is busy; try again.\n"
_BUSY = (
    f"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {len(_BUSY_TEXT)}\r\n"
    + "Connection: close\r\n"
    + "".join(f"{name}: {value}\r\n" for name, value in SECURITY_HEADERS.items())
    + "\r\n"
).encode("ascii") + _BUSY_TEXT


class Server(ThreadingHTTPServer):
    """A few requests at once, each on its own thread for at most its deadline; the inspections
    themselves run one at a time on the ``Inspector``'s thread."""

    daemon_threads = True

    def __init__(self, port: int, inspector: Inspector, verbose: bool = False, deadline: float = REQUEST_DEADLINE) -> None:
        handler = type("BoundHandler", (Handler,), {"inspector": inspector, "deadline_seconds": deadline})
        self.verbose = verbose
        self.inspector = inspector
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__((HOST, port), handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(timeout=SLOT_WAIT):
            # Every slot is held (by slow clients, perhaps): answer soon rather than queue behind them.
            try:
                request.settimeout(1.0)
                request.sendall(_BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A connection that broke mid-answer (the client went away): one line for the operator, no
        # traceback, nothing from the request.
        if self.verbose:
            sys.stderr.write(f"{client_address[0]} connection error: {type(sys.exc_info()[1]).__name__}\n")

    def server_close(self) -> None:
        super().server_close()
        self.inspector.stop()


def start(
    port: int = 0,
    *,
    verifier: Verifier | None = None,
    now: int | None = None,
    templates: Mapping[str, bytes] | None = None,
    deadline: float = REQUEST_DEADLINE,
) -> Server:
    """A server running on background threads (for tests and embedding); ``server.shutdown()`` and
    ``server.server_close()`` stop it. Its inspections run on a thread of their own, so a
    configuration with thread-bound SQLite connections needs ``serve`` instead."""
    inspector = Inspector(verifier, now, templates)
    server = Server(port, inspector, deadline=deadline)
    threading.Thread(target=inspector.work, daemon=True).start()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def serve(
    port: int,
    *,
    verifier: Verifier | None = None,
    now: int | None = None,
    templates: Mapping[str, bytes] | None = None,
) -> None:
    """Serve until interrupted, printing the address to open; inspections run on the calling thread."""
    inspector = Inspector(verifier, now, templates)
    server = Server(port, inspector, verbose=True)
    print(f"Inspector on http://{HOST}:{server.server_address[1]}/ (this computer only; Ctrl-C stops it)", flush=True)
    listener = threading.Thread(target=server.serve_forever, daemon=True)
    listener.start()
    try:
        inspector.work()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
