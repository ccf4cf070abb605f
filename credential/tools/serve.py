"""``credential serve``: the inspector as a web page, on 127.0.0.1 only (standard library HTTP server).

The page and its own script and style are all it serves; the Content-Security-Policy lets the browser
load nothing else and send nothing elsewhere. Requests are bounded in size and time, images in
pixels, and a Host header other than this server's own name is refused (so a web site that rebinds
a name to 127.0.0.1 cannot use the page). Verification uses the configuration the server was
started with and, unless a fixed time was given, the system clock at each request.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import sys
import threading
from collections.abc import Mapping
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from ..base import limits
from ..gate.verify import Verifier
from . import page
from .inspect import inspect

HOST = "127.0.0.1"
MAX_BODY = 12 * 1024 * 1024  # a phone photo of a code, with room; larger requests are refused unread
MAX_IMAGE_PIXELS = 40_000_000  # checked from the image header before any pixel is decoded
MAX_TEXT = 4 * limits.MAX_TEXT_CHARS  # a pasted text far longer than any credential is refused, not inspected
REQUEST_TIMEOUT = 20  # seconds a client may take to send its request
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self' blob: mediastream:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=()",
}
_STATIC = {"/app.js": ("app.js", "text/javascript; charset=utf-8"), "/app.css": ("app.css", "text/css; charset=utf-8")}


class _Refused(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Inspector:
    """What the server verifies with: the configuration it was started with."""

    def __init__(self, verifier: Verifier | None, now: int | None, templates: Mapping[str, bytes] | None) -> None:
        self.verifier, self.now, self.templates = verifier, now, templates

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
        shown = text if isinstance(text, str) else text.decode("latin-1")
        return page.report_page(result, self.describe(), shown)


def _scan(image: bytes) -> str:
    """The QR text in an uploaded image; ``qr.ScanError`` (a ValueError) when there is none."""
    from PIL import Image

    from .. import qr

    try:
        with Image.open(io.BytesIO(image)) as picture:
            width, height = picture.size
            if width * height > MAX_IMAGE_PIXELS:
                raise qr.ScanError(f"an image of {width}x{height} pixels is larger than this page reads")
            picture.load()
            return qr.scan(picture)
    except (OSError, Image.DecompressionBombError, SyntaxError) as err:
        raise qr.ScanError(f"not a readable image ({err})") from None


def _form(content_type: str, body: bytes) -> dict[str, bytes]:
    """The fields of a urlencoded or multipart form (name to bytes; the first of each name)."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        parsed = parse_qs(body.decode("latin-1"), keep_blank_values=True, max_num_fields=8)
        return {name: values[0].encode("latin-1") for name, values in parsed.items()}
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
        fields: dict[str, bytes] = {}
        parts = message.iter_parts() if isinstance(message, Message) and message.is_multipart() else ()
        for part in list(parts)[:8]:
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes) and name not in fields:
                fields[name] = payload
        return fields
    raise _Refused(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send a form (multipart or urlencoded)")


class Handler(BaseHTTPRequestHandler):
    server_version = "credential-inspector"
    sys_version = ""
    timeout = REQUEST_TIMEOUT
    inspector: Inspector  # set on the subclass made for each server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        # The request line and status only: credential data never reaches a log.
        if self.server.verbose:  # type: ignore[attr-defined]
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _html(self, status: HTTPStatus, text: str) -> None:
        self._send(status, text.encode("utf-8"), "text/html; charset=utf-8")

    def _json(self, status: HTTPStatus, value: dict[str, Any]) -> None:
        self._send(status, json.dumps(value, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def _check_host(self) -> None:
        port = self.server.server_address[1]  # type: ignore[index]  # an (address, port) pair: bound to HOST
        if self.headers.get("Host", "") not in (f"{HOST}:{port}", f"localhost:{port}"):
            raise _Refused(HTTPStatus.MISDIRECTED_REQUEST, "this server answers to 127.0.0.1 and localhost only")

    def _body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise _Refused(HTTPStatus.LENGTH_REQUIRED, "a request body needs a Content-Length")
        if int(length) > MAX_BODY:
            raise _Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"requests are limited to {MAX_BODY // (1024 * 1024)} MiB")
        return self.rfile.read(int(length))

    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        try:
            self._check_host()
        except _Refused as refused:
            self._html(refused.status, page.problem_page(refused.message, ""))
            return
        path = self.path.split("?", 1)[0]
        if path == "/":
            self._html(HTTPStatus.OK, page.start_page(self.inspector.describe()))
        elif path == "/favicon.ico":
            self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
        elif path in _STATIC:
            name, content_type = _STATIC[path]
            self._send(HTTPStatus.OK, resources.files("credential.tools").joinpath("web", name).read_bytes(), content_type)
        else:
            self._html(HTTPStatus.NOT_FOUND, page.problem_page(f"nothing at {path}", self.inspector.describe()))

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802 - the base class's name
        path = self.path.split("?", 1)[0]
        try:
            self._check_host()
            if path == "/scan":
                self._post_scan()
            elif path == "/inspect":
                self._post_inspect()
            else:
                raise _Refused(HTTPStatus.NOT_FOUND, f"nothing at {path}")
        except _Refused as refused:
            if path == "/scan":
                self._json(refused.status, {"error": refused.message})
            else:
                self._html(refused.status, page.problem_page(refused.message, self.inspector.describe()))

    def _post_scan(self) -> None:
        try:
            self._json(HTTPStatus.OK, {"text": _scan(self._body())})
        except ValueError as err:
            self._json(HTTPStatus.OK, {"error": str(err)})

    def _post_inspect(self) -> None:
        fields = _form(self.headers.get("Content-Type", ""), self._body())
        image = fields.get("image", b"")
        describe = self.inspector.describe()
        if image:
            try:
                text: str | bytes = _scan(image)
            except ValueError as err:
                self._html(HTTPStatus.UNPROCESSABLE_ENTITY, page.problem_page(f"No credential could be read from the image: {err}", describe))
                return
        else:
            raw = fields.get("text", b"")
            if len(raw) > MAX_TEXT:
                raise _Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"a text of {len(raw)} bytes is far longer than any credential")
            # A browser sends the textarea as UTF-8 with CR LF line ends; a credential is one line.
            text = raw.strip(b"\r\n").decode("utf-8", errors="replace")
            if not text:
                self._html(HTTPStatus.OK, page.problem_page("Paste a credential text, or give an image.", describe))
                return
        self._html(HTTPStatus.OK, self.inspector.report(text))


class Server(HTTPServer):
    """One request at a time, on the thread that serves: the gate's configuration may hold SQLite
    connections (a status list cache), which belong to one thread. The time limit per request keeps
    a slow client from holding the page for long."""

    def __init__(self, port: int, inspector: Inspector, verbose: bool = False) -> None:
        handler = type("BoundHandler", (Handler,), {"inspector": inspector})
        self.verbose = verbose
        super().__init__((HOST, port), handler)


def start(
    port: int = 0,
    *,
    verifier: Verifier | None = None,
    now: int | None = None,
    templates: Mapping[str, bytes] | None = None,
) -> Server:
    """A server running on a background thread (for tests and embedding); ``server.shutdown()`` stops it."""
    server = Server(port, Inspector(verifier, now, templates))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def serve(
    port: int,
    *,
    verifier: Verifier | None = None,
    now: int | None = None,
    templates: Mapping[str, bytes] | None = None,
) -> None:
    """Serve until interrupted, printing the address to open."""
    server = Server(port, Inspector(verifier, now, templates), verbose=True)
    print(f"Inspector on http://{HOST}:{server.server_address[1]}/ (this computer only; Ctrl-C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
