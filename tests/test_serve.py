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
    with pytest.raises(ValueError, match="larger than the 40,000,000 pixels read"):
        qr.scan(buffer.getvalue())


def test_a_presentation_is_shown_layer_by_layer(port: int) -> None:
    import json

    document = json.loads((ROOT / "test-vectors" / "presentations.json").read_text(encoding="utf-8"))
    text = document["tests"][0]["scans"][0]["text"]
    status, _, page = request(port, "POST", "/inspect", *form(text))
    assert status == 200 and 'data-layer="presentation"' in page and 'data-step="5a"' in page


def raw(port: int, data: bytes) -> bytes:
    """What the server answers to ``data`` sent as it is, up to the close of the connection."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(data)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def parsed(answer: bytes) -> tuple[int, dict[str, str], str]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body.decode("utf-8")


def assert_secured(headers: dict[str, str]) -> None:
    for name, value in serve.SECURITY_HEADERS.items():
        assert headers[name] == value, name


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),  # no method, path and version
        (b"BREW / HTTP/1.1\r\nHost: x\r\n\r\n", 501),  # a method the server does not have
        (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(120)) + b"\r\n", 431),  # too many headers
        (b"GET / HTTP/7.0\r\n\r\n", 505),
        (b"GET /\r\n\r\n", 505),  # HTTP/0.9, whose answer would have no headers
    ],
)
def test_the_http_servers_own_error_pages_carry_the_security_headers(port: int, request_bytes: bytes, status: int, capfd: pytest.CaptureFixture[str]) -> None:
    got, headers, body = parsed(raw(port, request_bytes))
    assert got == status
    assert_secured(headers)
    assert 'id="verdict"' in body  # the page's own problem page, not http.server's
    assert "Traceback" not in capfd.readouterr().err


def own(port: int) -> str:
    return f"127.0.0.1:{port}"


@pytest.mark.parametrize("length", ["²", "-1", "1e3", "0x10", " ", "12 12"])
def test_malformed_content_length_is_a_400_page_not_a_traceback(port: int, length: str, capfd: pytest.CaptureFixture[str]) -> None:
    request_bytes = f"POST /inspect HTTP/1.1\r\nHost: {own(port)}\r\nContent-Length: {length}\r\n\r\ntext=x".encode()
    status, headers, body = parsed(raw(port, request_bytes))
    assert status == 400 and "Content-Length" in body
    assert_secured(headers)
    assert "Traceback" not in capfd.readouterr().err


def test_a_form_of_more_than_eight_fields_is_refused(port: int, capfd: pytest.CaptureFixture[str]) -> None:
    body = "&".join(f"f{i}=1" for i in range(9)).encode()
    status, headers, page = request(port, "POST", "/inspect", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and "at most 8 fields" in page
    assert_secured(headers)
    boundary = "b0undary"
    parts = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\nx\r\n' for _ in range(9))
    status, headers, page = request(
        port, "POST", "/inspect", (parts + f"--{boundary}--\r\n").encode(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert status == 400 and "at most 8 fields" in page
    assert_secured(headers)
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        ("multipart/form-data", b"--x\r\n\r\n--x--", "boundary"),
        ("multipart/form-data; boundary=x", b"no delimiter", "does not begin"),
        ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="text"\r\n\r\nXC1:', "complete multipart"),
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Type: text/plain\r\n\r\nXC1:\r\n--x--\r\n", "no Content-Disposition"),
        ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="other"\r\n\r\n1\r\n--x--\r\n', "a field &#x27;other&#x27;"),
        ("application/x-www-form-urlencoded", b"text=1&text=2", "twice"),
        ("application/x-www-form-urlencoded", b"text=\xff", "urlencoded"),
        ("text/plain", b"XC1:", "multipart/form-data or"),
    ],
)
def test_malformed_forms_are_refused_with_a_400_page(port: int, content_type: str, body: bytes, message: str) -> None:
    status, headers, page = request(port, "POST", "/inspect", body, {"Content-Type": content_type})
    assert status == 400 and message in page
    assert_secured(headers)


def test_a_multipart_form_as_a_browser_sends_it(port: int) -> None:
    boundary = "----WebKitFormBoundaryX3b9"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\n{VECTOR["text"]}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename=""\r\nContent-Type: application/octet-stream\r\n\r\n\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    status, _, page = request(port, "POST", "/inspect", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 200 and 'class="verdict valid"' in page


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://elsewhere.example"},
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1:1"},  # another port is another origin
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_a_form_posted_from_another_origin_is_refused(port: int, headers: dict[str, str]) -> None:
    body, form_headers = form(VECTOR["text"])
    status, answer_headers, page = request(port, "POST", "/inspect", body, {**form_headers, **headers})
    assert status == 403 and "from itself only" in page and VECTOR["text"][:20] not in page
    assert_secured(answer_headers)
    status, _, _ = request(port, "POST", "/scan", qr.render(VECTOR["text"]), {"Content-Type": "image/png", **headers})
    assert status == 403


def test_a_form_from_the_page_itself_is_accepted(port: int) -> None:
    body, form_headers = form(VECTOR["text"])
    for name in (own(port), f"localhost:{port}"):
        headers = {**form_headers, "Host": name, "Origin": f"http://{name}", "Sec-Fetch-Site": "same-origin"}
        status, _, page = request(port, "POST", "/inspect", body, headers)
        assert status == 200 and 'class="verdict valid"' in page


def test_an_ico_holding_a_large_png_is_refused_unread(port: int) -> None:
    import json

    from .test_qr import ico_around, png_header

    for image in (ico_around(png_header(13000, 13000)), ico_around(qr.render(VECTOR["text"]))):
        _, _, answer = request(port, "POST", "/scan", image, {"Content-Type": "image/x-icon"})
        assert "not a readable image" in json.loads(answer)["error"]
    big = png_header(13000, 13000)
    _, _, answer = request(port, "POST", "/scan", big, {"Content-Type": "image/png"})
    assert "13000x13000 pixels is larger" in json.loads(answer)["error"]
    boundary = "x"
    body = f'--x\r\nContent-Disposition: form-data; name="image"; filename="a.ico"\r\n\r\n'.encode() + ico_around(big) + b"\r\n--x--\r\n"
    status, headers, page = request(port, "POST", "/inspect", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 422 and "not a readable image" in page
    assert_secured(headers)


@pytest.fixture()
def quick() -> Iterator[serve.Server]:
    """A server whose requests must arrive within 2 seconds."""
    server = serve.start(0, verifier=VECTOR.verifier(), now=VECTOR["verifier"]["now"], deadline=2.0)
    yield server
    server.shutdown()
    server.server_close()


def drip(port: int, head: bytes, limit: int = 60) -> bytes:
    """Send ``head``, then one byte each 0.5 s, until the server answers or closes; what it answered."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(head)
        connection.settimeout(0.5)
        for _ in range(limit):
            try:
                answer = connection.recv(65536)
            except TimeoutError:
                pass
            else:  # an answer, read to its end, or b"" for a closed connection
                connection.settimeout(30)
                while answer and (more := connection.recv(65536)):
                    answer += more
                return answer
            try:
                connection.send(b"a")
            except OSError:
                return b""
    raise AssertionError(f"the server still reads a request dripped for {limit / 2} seconds")


def test_a_client_dripping_its_request_is_cut_off_at_the_deadline(quick: serve.Server) -> None:
    port = quick.server_address[1]
    for head in (b"GET / HTTP/1.1\r\nX-Slow: ", f"POST /inspect HTTP/1.1\r\nHost: {own(port)}\r\nContent-Length: 1000\r\n\r\ntext=".encode()):
        status, headers, page = parsed(drip(port, head))  # in the headers or in the body: answered 408
        assert status == 408 and "did not arrive in time" in page
        assert_secured(headers)


def test_an_idle_connection_is_closed_without_an_answer(quick: serve.Server) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", quick.server_address[1]), timeout=30) as idle:
        assert idle.recv(100) == b""  # a browser's spare connection: closed, not answered


def test_a_slow_client_does_not_hold_the_server(port: int) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=30) as slow:
        slow.sendall(b"GET / HTTP/1.1\r\nX-Slow: ")  # and nothing more for now
        status, _, _ = request(port, "GET", "/")
        assert status == 200


def test_more_clients_than_slots_are_answered_busy(port: int) -> None:
    import socket

    held = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(serve.MAX_CONNECTIONS)]
    try:
        for connection in held:
            connection.sendall(b"GET / HTTP/1.1\r\nX-Slow: ")
        import time

        time.sleep(0.3)  # let the server take them all
        status, headers, _ = parsed(raw(port, b"GET / HTTP/1.1\r\n\r\n"))
        assert status == 503
        assert_secured(headers)
    finally:
        for connection in held:
            connection.close()
