"""The inspector's web page in a real browser: headless Chromium driven by selenium, one session for all cases.

Each case checks what a person sees and writes a screenshot to ``test-artifacts/`` (or to
``$XC_TEST_ARTIFACTS``). Without Chromium these tests skip, saying how to install it, except in CI
(``CI=true``), where they fail: CI installs the browser (``.ci/run``) and must run them.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import credential
from credential import qr
from credential.issuer import samples
from credential.tools import serve

from .vectors import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(os.environ.get("XC_TEST_ARTIFACTS", ROOT / "test-artifacts"))
NOW = samples.ISSUED_AT + 3600


def _require_browser() -> Any:
    missing = []
    if CHROMIUM is None or CHROMEDRIVER is None:
        missing.append("Chromium and its driver (Debian: apt-get install -y chromium chromium-driver)")
    try:
        from selenium import webdriver
    except ImportError:
        missing.append("selenium (pip install -e '.[test]')")
        webdriver = None
    if missing:
        reason = "browser tests need " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(reason + "; CI installs them in .ci/run", pytrace=False)
        pytest.skip(reason)
    return webdriver


def _y4m(image: Any, path: Path) -> None:
    """A two-frame Y4M video of ``image`` (grey), which Chromium plays as a fake camera."""
    from PIL import Image

    frame = Image.new("L", (640, 480), 255)
    frame.paste(image.convert("L"), ((640 - image.width) // 2, (480 - image.height) // 2))
    chroma = bytes([128]) * (320 * 240)
    with path.open("wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(2):
            out.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)


@pytest.fixture(scope="module")
def key() -> Any:
    return credential.generate_key("Ed25519")


DEVICE = credential.generate_key("ES256")


@pytest.fixture(scope="module")
def texts(key: Any) -> dict[str, str]:
    valid = credential.issue(samples.full("HK"), key, templates=samples.TEMPLATES)
    old = samples.full("HK")
    old.update(iat=samples.ISSUED_AT - 2 * samples.YEAR, exp=samples.ISSUED_AT - samples.YEAR, cti="0102030405060708")
    bound = credential.issue(dict(samples.full("HK"), cnf=credential.device_cnf(DEVICE)), key, templates=samples.TEMPLATES)
    return {
        "valid": valid,
        "expired": credential.issue(old, key, templates=samples.TEMPLATES),
        "presentation": credential.present(bound, DEVICE, now=NOW, destination="MO"),
    }


@pytest.fixture(scope="module")
def replay() -> credential.MemoryReplayCache:
    return credential.MemoryReplayCache()


@pytest.fixture(scope="module")
def base(key: Any, replay: credential.MemoryReplayCache) -> Iterator[str]:
    gate = credential.Verifier(credential.KeySet([credential.TrustedKey(key.public_key(), frozenset({"HK"}))]), destination="MO", replay=replay)
    server = serve.start(0, verifier=gate, now=NOW)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory, texts: dict[str, str]) -> Iterator[Any]:
    webdriver = _require_browser()
    from PIL import Image
    from selenium.webdriver.chrome.service import Service

    camera = tmp_path_factory.mktemp("camera") / "camera.y4m"
    _y4m(Image.open(io.BytesIO(qr.render(texts["valid"], box=4))), camera)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1200,1000",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={camera}",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def _screenshot(driver: Any, name: str) -> None:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1200, min(max(height + 40, 800), 6000))
    assert driver.save_screenshot(str(ARTIFACTS / f"inspector-{name}.png"))
    driver.set_window_size(1200, 1000)


def _by(kind: str) -> Any:
    from selenium.webdriver.common.by import By

    return getattr(By, kind)


def _submit_text(driver: Any, base: str, text: str) -> None:
    driver.get(base + "/")
    box = driver.find_element(_by("ID"), "text")
    box.clear()
    driver.execute_script("arguments[0].value = arguments[1];", box, text)  # as a paste: one step, no key events
    driver.find_element(_by("ID"), "inspect-button").click()
    _wait_for_verdict(driver)


def _wait_for_verdict(driver: Any) -> str:
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 30).until(expected_conditions.presence_of_element_located((_by("ID"), "verdict")))
    return str(driver.find_element(_by("ID"), "verdict").text)


def _step_row(driver: Any, number: str) -> Any:
    return driver.find_element(_by("CSS_SELECTOR"), f'#steps tr[data-step="{number}"]')


def _badge(driver: Any, number: str) -> str:
    """A step's verdict; the steps are folded, so read the text the page holds, not what is drawn."""
    return str(_step_row(driver, number).find_element(_by("CLASS_NAME"), "badge").get_attribute("textContent"))


def _assert_officer_layout(driver: Any) -> None:
    """What an officer needs is on the first screen: the verdict with its reason, then the input for
    the next credential; the steps and layers follow, folded."""
    verdict = driver.find_element(_by("ID"), "verdict")
    box = driver.find_element(_by("ID"), "text")
    view = driver.execute_script("return window.innerHeight")
    assert verdict.location["y"] < box.location["y"] and box.location["y"] + box.size["height"] < view
    assert driver.find_element(_by("ID"), "reason").is_displayed()
    for folded in ("steps", "layers"):
        element = driver.find_element(_by("ID"), folded)
        assert element.tag_name == "details" and element.get_attribute("open") is None
        assert element.location["y"] > box.location["y"]
    claims = driver.find_elements(_by("ID"), "claims")
    if claims:
        assert claims[0].location["y"] > box.location["y"]


def _csp_violations(driver: Any) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]


def test_start_page(browser: Any, base: str) -> None:
    browser.get(base + "/")
    assert browser.title == "Crossing Credential inspector"
    assert browser.find_element(_by("ID"), "text").is_displayed()
    assert "nothing you paste" in browser.find_element(_by("TAG_NAME"), "header").text
    assert "Verifying with keys" in browser.find_element(_by("TAG_NAME"), "main").text
    assert not _csp_violations(browser)
    _screenshot(browser, "start")


def test_valid_credential(browser: Any, base: str, texts: dict[str, str]) -> None:
    _submit_text(browser, base, texts["valid"])
    verdict = browser.find_element(_by("ID"), "verdict")
    assert verdict.text.startswith("Valid") and "valid" in verdict.get_attribute("class").split()
    assert browser.find_element(_by("ID"), "reason").text == "The credential is genuine and in date, and admits the holder to Macau SAR."
    checks = browser.find_element(_by("ID"), "checks").text
    assert "Issuer signature checked" in checks and "Not tied to a phone" in checks
    _assert_officer_layout(browser)
    card = browser.find_element(_by("ID"), "claims").text
    for seen in ("VERIFIED", "CHAN", "TAI MAN", "陳大文", "A1234563", "Macau SAR", "2028-01-01 00:00:00 UTC", "face, fingerprint"):
        assert seen in card, seen
    assert "NOT VERIFIED" not in card
    assert _badge(browser, "13") == "passed"
    assert _badge(browser, "21") == "not checked"  # not configured: no reference templates
    for number in ("5a", "5b", "5c", "5d", "5e", "18b", "18c", "18d", "18e", "21b"):
        assert _badge(browser, number) == "does not apply", number  # a bare credential
    layers = [element.get_attribute("data-layer") for element in browser.find_elements(_by("CSS_SELECTOR"), "details.layer")]
    assert layers == ["text", "prefix", "message", "protected", "signature", "payload", "claims"]
    assert not _csp_violations(browser)
    _screenshot(browser, "valid")


def test_expired_credential(browser: Any, base: str, texts: dict[str, str]) -> None:
    _submit_text(browser, base, texts["expired"])
    verdict = browser.find_element(_by("ID"), "verdict")
    assert "invalid" in verdict.get_attribute("class").split()
    assert verdict.text.startswith("Refused")
    reason = browser.find_element(_by("ID"), "reason").text
    assert reason == f"The credential expired on {_local(samples.ISSUED_AT - samples.YEAR)} (Hong Kong and Macau time)."
    assert "now" not in reason and "skew" not in reason  # the engineer's words are below, folded
    assert "EXPIRED at spec 9.2 step 18 (9.3)" in verdict.text
    _assert_officer_layout(browser)
    row = _step_row(browser, "18")
    assert "failed" in row.get_attribute("class").split() and "EXPIRED" in row.get_attribute("textContent")
    assert "skew" in browser.find_element(_by("ID"), "summary").get_attribute("textContent")
    assert _badge(browser, "17") == "passed"
    assert _badge(browser, "19") == "not reached"
    assert _badge(browser, "18b") == "does not apply"
    assert "NOT VERIFIED" in browser.find_element(_by("ID"), "claims").text
    _screenshot(browser, "expired")
    browser.find_element(_by("CSS_SELECTOR"), "#steps > summary").click()  # an engineer unfolds the steps
    assert row.is_displayed() and "EXPIRED" in row.text
    _screenshot(browser, "expired-steps-unfolded")


def _local(seconds: int) -> str:
    from credential.tools import reasons

    return reasons.local_time(seconds)


def test_presentation(browser: Any, base: str, texts: dict[str, str], replay: credential.MemoryReplayCache) -> None:
    for _ in range(2):  # inspecting twice: looking never consumes the presentation
        _submit_text(browser, base, texts["presentation"])
        verdict = browser.find_element(_by("ID"), "verdict")
        assert verdict.text.startswith("Valid"), verdict.text
    assert len(replay) == 0
    reason = browser.find_element(_by("ID"), "reason").text
    assert reason.endswith("and the phone that shows it is the one it is tied to.")
    checks = browser.find_element(_by("ID"), "checks").text
    assert "Device signature checked" in checks and "P-256 key" in checks
    assert "Inspecting did not record it" in checks
    card = browser.find_element(_by("ID"), "claims").text
    assert "Device key" in card and "P-256 (EC2) key, thumbprint " in card
    assert "cose_key" not in card and "{" not in card  # no raw JSON
    assert _badge(browser, "18b") == "passed"
    assert _badge(browser, "21b") == "passed"
    assert "does not apply" not in browser.find_element(_by("ID"), "steps").get_attribute("textContent")
    _assert_officer_layout(browser)
    _screenshot(browser, "presentation")


def test_corrupted_image(browser: Any, base: str, texts: dict[str, str], tmp_path: Path) -> None:
    picture = qr.render(texts["valid"])
    damaged = tmp_path / "damaged.png"
    damaged.write_bytes(picture[: len(picture) // 2])  # cut in half: not a readable image
    browser.get(base + "/")
    browser.find_element(_by("ID"), "image").send_keys(str(damaged))  # the page submits a chosen file at once
    verdict = _wait_for_verdict(browser)
    assert verdict.startswith("Could not read the input") and "No credential could be read from the image" in verdict
    assert browser.find_element(_by("ID"), "text").is_displayed()  # the form is there to try again
    _screenshot(browser, "corrupted-image")


def test_image_of_a_damaged_credential(browser: Any, base: str, texts: dict[str, str], tmp_path: Path) -> None:
    text = texts["valid"]
    image = tmp_path / "tampered.png"
    image.write_bytes(qr.render(text[:40] + ("A" if text[40] != "A" else "B") + text[41:]))
    browser.get(base + "/")
    browser.find_element(_by("ID"), "image").send_keys(str(image))
    verdict = _wait_for_verdict(browser)
    assert verdict.startswith("Refused") and "step" in verdict
    assert browser.find_element(_by("ID"), "reason").text == "The issuer's signature does not match: the credential was altered or forged."
    failed = browser.find_elements(_by("CSS_SELECTOR"), "#steps tr.failed")
    assert len(failed) == 1
    _screenshot(browser, "damaged-credential-image")


def test_camera(browser: Any, base: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(base + "/")
    browser.find_element(_by("ID"), "camera-start").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(_by("ID"), "verdict"))
    assert browser.find_element(_by("ID"), "verdict").text.startswith("Valid")
    _screenshot(browser, "camera")


def test_credential_content_is_escaped(browser: Any, base: str) -> None:
    hostile = 'XC1:<img id="injected" src="x"><script>document.title="owned"</script>'
    _submit_text(browser, base, hostile)
    assert not browser.find_elements(_by("ID"), "injected")
    assert browser.title != "owned"
    assert hostile in browser.find_element(_by("ID"), "layers").get_attribute("textContent")
    verdict = browser.find_element(_by("ID"), "verdict").text
    assert verdict.startswith("Refused") and "BASE45 at spec 9.2 step 3 " in verdict


def test_a_form_on_another_origin_cannot_post_to_the_page(browser: Any, base: str, texts: dict[str, str], replay: credential.MemoryReplayCache) -> None:
    """An ordinary web page elsewhere, opened in the operator's browser, posts a form to the inspector."""
    import html
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    attack = (
        f'<!DOCTYPE html><form id="f" method="post" action="{base}/inspect" enctype="multipart/form-data">'
        f'<input name="text" value="{html.escape(texts["presentation"])}"></form><script>document.getElementById("f").submit()</script>'
    ).encode()

    class Elsewhere(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(attack)))
            self.end_headers()
            self.wfile.write(attack)
            self.close_connection = True

        def log_message(self, *args: Any) -> None:
            pass

    other = ThreadingHTTPServer(("127.0.0.1", 0), Elsewhere)
    other.daemon_threads = True
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        browser.get(f"http://localhost:{other.server_address[1]}/")  # another origin (and, by port, another site)
        verdict = _wait_for_verdict(browser)
        assert verdict.startswith("Request refused") and "accepts forms from itself only" in verdict
        assert len(replay) == 0
        _screenshot(browser, "cross-site-form-refused")
    finally:
        other.shutdown()
        other.server_close()


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_without_a_browser_skip_locally_but_fail_in_ci(monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type[BaseException]) -> None:
    monkeypatch.setattr(__import__(__name__, fromlist=["CHROMIUM"]), "CHROMIUM", None)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="apt-get install -y chromium chromium-driver"):
        _require_browser()
