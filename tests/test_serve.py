"""The inspector's server without a browser: what it refuses, the headers it always sends, escaping."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from credential import qr
from credential.tools import serve

from .vectors import ROOT, vectors

VECTOR = vectors()[0]


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    server = serve.start(0, verifier=VECTOR.verifier(), now=VECTOR["verifier"]["now"])
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read().decode("utf-8")
    connection.close()
    return response.status, dict(response.getheaders()), data


def form(text: str) -> tuple[bytes, dict[str, str]]:
    return ("text=" + quote(text)).encode(), {"Content-Type": "application/x-www-form-urlencoded"}


def test_server_listens_on_loopback_only(port: int) -> None:
    assert serve.HOST == "127.0.0.1"


@pytest.mark.parametrize("path", ["/", "/app.js", "/app.css", "/nothing"])
def test_every_response_carries_the_security_headers(port: int, path: str) -> None:
    status, headers, _ = request(port, "GET", path)
    assert status == (404 if path == "/nothing" else 200)
    for name, value in serve.SECURITY_HEADERS.items():
        assert headers[name] == value
    assert "default-src 'none'" in headers["Content-Security-Policy"]


def test_page_loads_nothing_from_elsewhere(port: int) -> None:
    _, _, page = request(port, "GET", "/")
    assert "http://" not in page and "https://" not in page and "//" not in page.replace("<!DOCTYPE", "")


def test_valid_credential_page(port: int) -> None:
    status, _, page = request(port, "POST", "/inspect", *form(VECTOR["text"]))
    assert status == 200 and 'class="verdict valid"' in page and "A1234563" in page


def test_credential_content_is_escaped(port: int) -> None:
    status, _, page = request(port, "POST", "/inspect", *form('XC1:<script>alert(1)</script>"\''))
    assert status == 200 and "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;" in page


def test_foreign_host_is_refused(port: int) -> None:
    status, _, _ = request(port, "GET", "/", headers={"Host": "attacker.example:80"})
    assert status == 421


def test_body_without_length_or_too_large_is_refused(port: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.putrequest("POST", "/inspect")
    connection.putheader("Content-Type", "application/x-www-form-urlencoded")
    connection.putheader("Content-Length", str(serve.MAX_BODY + 1))
    connection.endheaders()
    assert connection.getresponse().status == 413
    connection.close()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.putrequest("POST", "/inspect")
    connection.endheaders()
    assert connection.getresponse().status == 411
    connection.close()


def test_text_far_longer_than_a_credential_is_refused(port: int) -> None:
    status, _, _ = request(port, "POST", "/inspect", *form("XC1:" + "A" * serve.MAX_TEXT))
    assert status == 413


def test_scan_reads_a_code_and_reports_a_non_image(port: int) -> None:
    import json

    _, _, found = request(port, "POST", "/scan", qr.render(VECTOR["text"]), {"Content-Type": "image/png"})
    assert json.loads(found) == {"text": VECTOR["text"]}
    _, _, missing = request(port, "POST", "/scan", b"not an image", {"Content-Type": "image/png"})
    assert "not a readable image" in json.loads(missing)["error"]


def test_image_pixel_bomb_is_refused_before_decoding() -> None:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buffer, "PNG")
    with pytest.raises(ValueError, match="larger than this page reads"):
        serve._scan(buffer.getvalue())


def test_a_presentation_is_shown_layer_by_layer(port: int) -> None:
    import json

    document = json.loads((ROOT / "test-vectors" / "presentations.json").read_text(encoding="utf-8"))
    text = document["tests"][0]["scans"][0]["text"]
    status, _, page = request(port, "POST", "/inspect", *form(text))
    assert status == 200 and 'data-layer="presentation"' in page and 'data-step="5a"' in page
