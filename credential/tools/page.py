"""The inspector's web page, as HTML: the input form, and a report a person can read.

A report page is laid out for an officer at a gate: the verdict and its reason in plain words first,
with what was checked (the issuer's signature, the phone's), then the input for the next
credential, then the claims; the steps of the procedure and the layers, for engineers, come last
and folded. Everything that comes from a credential or from the request is escaped here (``_e``),
in text and in attributes; the page loads only its own script and style sheet.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
from typing import Any

from ..base.regions import REGIONS
from ..claims import device as device_key
from .inspect import FAILED, INVALID, NOT_VERIFIED, PASSED, VALID, Report

_VERDICT_TITLES = {
    VALID: "Valid",
    INVALID: "Refused",
    NOT_VERIFIED: "Not verified: decoded only",
}
_VERDICT_CLASSES = {VALID: "valid", INVALID: "invalid", NOT_VERIFIED: "unverified"}

# The claims card: (label, path in the JSON view, how to show it). Fields not listed here are shown
# after these under their JSON names, so a claim added later is never hidden.
_CARD: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("Issued by", ("iss",), "region"),
    ("Document", ("xc", "doc_type"), "text"),
    ("Document number", ("xc", "doc_number"), "text"),
    ("Family name", ("xc", "family_name"), "text"),
    ("Given name", ("xc", "given_name"), "text"),
    ("Name in Chinese", ("xc", "name_zh"), "text"),
    ("Date of birth", ("xc", "birth_date"), "text"),
    ("Residency", ("xc", "residency"), "text"),
    ("Card symbols", ("xc", "symbols"), "list"),
    ("Admits to", ("xc", "destinations"), "regions"),
    ("Channel", ("xc", "channel"), "text"),
    ("Enrolment", ("xc", "enrolment"), "text"),
    ("Enrolment expires", ("xc", "enrolment_expiry"), "text"),
    ("Limit of stay", ("xc", "stay_limit"), "text"),
    ("Issued at", ("iat",), "time"),
    ("Valid from", ("nbf",), "time"),
    ("Expires", ("exp",), "time"),
    ("Credential ID", ("cti",), "text"),
    ("Device key", ("cnf",), "device"),
    ("Biometric binding", ("xc", "biometrics"), "keys"),
    ("Status list", ("xc", "status"), "json"),
    ("Extensions", ("xc", "extensions"), "keys"),
)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def document(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{_e(title)}</title><link rel=\"stylesheet\" href=\"/app.css\">"
        "<script src=\"/app.js\" defer></script></head><body>"
        "<header><h1>Crossing Credential inspector</h1>"
        "<p>Runs on this computer only: nothing you paste, drop or show the camera leaves it.</p></header>"
        f"<main>{body}</main></body></html>\n"
    )


def form(configuration: str, *, next_one: bool = False) -> str:
    heading = "Next credential" if next_one else "Credential"
    focus = " autofocus" if next_one else ""
    return f"""<section id="input"><h2>{heading}</h2>
<form id="inspect-form" method="post" action="/inspect" enctype="multipart/form-data">
<label for="text">Paste the credential text (XC1:&hellip; or XP1:&hellip;)</label>
<textarea id="text" name="text" spellcheck="false" autocomplete="off"{focus}></textarea>
<div class="inputs">
<div id="drop" class="drop"><label for="image">Drop a QR code image here, or choose one:</label><br>
<input id="image" name="image" type="file" accept="image/*"></div>
<div class="drop"><button type="button" id="camera-start" class="secondary">Use the camera</button>
<button type="button" id="camera-stop" class="secondary" hidden>Stop the camera</button>
<div id="camera-status" class="muted">Hold the phone's QR code up to this computer's camera.</div>
<video id="camera-view" autoplay muted playsinline hidden></video></div>
</div>
<p><button type="submit" id="inspect-button">Inspect</button></p>
</form><p class="muted">{_e(configuration)}</p></section>"""


def _dig(claims: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = claims
    for name in path:
        if not isinstance(value, dict) or name not in value:
            return None
        value = value[name]
    return value


def _shown(value: Any, kind: str) -> str:
    if kind == "region":
        return f"{value} ({REGIONS[value]})" if value in REGIONS else str(value)
    if kind == "regions" and isinstance(value, list):
        return ", ".join(_shown(v, "region") for v in value)
    if kind == "list" and isinstance(value, list):
        return " ".join(str(v) for v in value)
    if kind == "time" and isinstance(value, int) and not isinstance(value, bool):
        try:
            moment = _dt.datetime.fromtimestamp(value, _dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return str(value)
        return f"{moment:%Y-%m-%d %H:%M:%S} UTC ({moment.astimezone(_dt.timezone(_dt.timedelta(hours=8))):%Y-%m-%d %H:%M} UTC+8)"
    if kind == "keys" and isinstance(value, dict):
        return ", ".join(str(k) for k in value)
    if kind == "device" and isinstance(value, dict):
        return _device(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def card(report: Report) -> str:
    claims = report.claims
    if claims is None:
        return ""
    rows = []
    shown_paths = set()
    for label, path, kind in _CARD:
        shown_paths.add(path)
        value = _dig(claims, path)
        if value is not None:
            rows.append(f"<dt>{_e(label)}</dt><dd>{_e(_shown(value, kind))}</dd>")
    others = [(k,) for k in claims if k != "xc"] + [("xc", k) for k in (claims.get("xc") or {})]
    for path in others:
        if path not in shown_paths:
            rows.append(f"<dt>{_e('.'.join(path))}</dt><dd>{_e(_shown(_dig(claims, path), 'json'))}</dd>")
    stamp = (
        '<span class="stamp verified">VERIFIED</span>'
        if report.claims_verified
        else '<span class="stamp unverified">NOT VERIFIED</span>'
    )
    return f'<section id="claims"><h2>Claims {stamp}</h2><dl class="card">{"".join(rows)}</dl></section>'


def _device(cnf: dict[str, Any]) -> str:
    """A device key as a person compares it: its type and RFC 7638 thumbprint, never raw JSON."""
    try:
        key = device_key.summary(cnf)
    except (KeyError, TypeError, ValueError):
        return "a device key this version cannot read"
    return f"{key['crv']} ({key['kty']}) key, thumbprint {key['thumbprint']}"


def _checks(report: Report) -> list[tuple[str, str]]:
    """What was checked, next to the verdict: (class, sentence)."""
    steps = {s.number: s for s in report.steps}
    checks = []
    if steps["13"].verdict == PASSED:
        checks.append(("ok", "Issuer signature checked: a trusted key signed this credential."))
    elif steps["13"].verdict == FAILED:
        checks.append(("bad", "Issuer signature checked: it does not match."))
    else:
        checks.append(("muted", "Issuer signature not checked."))
    if report.form == "presentation":
        if report.device_checked:
            held = f" ({_device_text(report)})" if report.device else ""
            checks.append(("ok", f"Device signature checked: the phone holds the key the credential is tied to{held}."))
        elif steps["18b"].verdict == FAILED:
            checks.append(("bad", "Device signature checked: it does not match the key the credential is tied to."))
        else:
            checks.append(("muted", "Device signature not checked."))
        replay = steps["21b"]
        if replay.verdict == PASSED:
            checks.append(("ok", "Not used at this gate before. Inspecting did not record it: the traveller can still present it."))
        elif replay.verdict == FAILED:
            checks.append(("bad", "Already used at this gate."))
    elif report.device is not None:
        checks.append(("muted", f"Tied to a phone ({_device_text(report)}), but shown without the phone's signature."))
    elif report.claims is not None:
        checks.append(("muted", "Not tied to a phone: a bare credential, so there is no device signature to check."))
    return checks


def _device_text(report: Report) -> str:
    assert report.device is not None
    return f"{report.device['crv']} key {report.device['thumbprint'][:16]}\u2026"


def _verdict(report: Report) -> str:
    css = _VERDICT_CLASSES.get(report.verdict, "error")
    title = _VERDICT_TITLES.get(report.verdict, report.verdict)
    checks = "".join(f'<li class="{_e(kind)}">{_e(text)}</li>' for kind, text in _checks(report))
    where = ""
    if report.first_failure is not None:
        f = report.first_failure
        where = f'<small class="code">{_e(f.code)} at {_e(f.reference)}</small>'
    return (
        f'<div id="verdict" class="verdict {css}"><div class="title">{_e(title)}</div>'
        f'<p id="reason">{_e(report.reason)}</p><ul id="checks">{checks}</ul>{where}</div>'
    )


def _steps(report: Report) -> str:
    rows = []
    for s in report.steps:
        badge = s.verdict.replace(" ", "-")
        note = f"{s.code}: {s.detail}" if s.verdict == FAILED else (s.detail or "")
        rows.append(
            f'<tr class="{_e(badge)}" data-step="{_e(s.number)}"><td class="num">{_e(s.number)}</td>'
            f'<td><span class="badge {_e(badge)}">{_e(s.verdict)}</span></td><td>{_e(s.check)}'
            f'<div class="muted">{_e(note)}</div></td><td class="muted">{_e(s.reference)}</td></tr>'
        )
    return (
        '<details id="steps"><summary>Steps of the verification procedure (spec 9.2)</summary>'
        f'<p class="muted" id="summary">{_e(report.summary)}</p><table>'
        "<tr><th>Step</th><th>Verdict</th><th>Check</th><th>Rule</th></tr>"
        f"{''.join(rows)}</table></details>"
    )


def _layers(report: Report) -> str:
    parts = []
    for layer in report.layers:
        fields = "".join(
            f"<tr><td>{_e(name)}</td><td>{_e(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))}</td></tr>"
            for name, value in layer.fields.items()
        )
        error = ""
        flag = ""
        if layer.error:
            err = layer.error
            error = f'<p class="error-box">{_e(err["code"])} at {_e(err["reference"] or "an unknown step")}: {_e(err["detail"])}</p>'
            flag = ' <span class="err">(unreadable)</span>'
        diagnostic = f"<p class=\"muted\">CBOR diagnostic notation (RFC 8949 section 8)</p><pre>{_e(layer.diagnostic)}</pre>" if layer.diagnostic else ""
        steps = ", ".join(layer.steps)
        opened = " open" if layer.error else ""
        parts.append(
            f'<details class="layer" data-layer="{_e(layer.name)}"{opened}><summary>{_e(layer.title)} '
            f'<span class="muted">(step{"s" if len(layer.steps) > 1 else ""} {_e(steps)})</span>{flag}</summary>'
            f'{error}<table class="fields">{fields}</table>{diagnostic}</details>'
        )
    return f'<details id="layers"><summary>Layers, from the outside in</summary>{"".join(parts)}</details>'


def report_page(report: Report, configuration: str) -> str:
    """The verdict and the next input at the top; the claims; the steps and layers folded below.
    What was inspected is shown in the layers; the input is left empty for the next credential."""
    engineers = f'<section id="engineers"><h2>For engineers</h2>{_steps(report)}{_layers(report)}</section>'
    body = _verdict(report) + form(configuration, next_one=True) + card(report) + engineers
    return document(f"{_VERDICT_TITLES.get(report.verdict, report.verdict)} - inspector", body)


def problem_page(message: str, configuration: str, title: str = "Could not read the input") -> str:
    """No report: the input could not be read (``title``), or the request was refused."""
    sentence = message[:1].upper() + message[1:]
    body = (
        f'<div id="verdict" class="verdict error"><div class="title">{_e(title)}</div>'
        f'<p id="reason">{_e(sentence)}</p></div>' + form(configuration, next_one=True)
    )
    return document(f"{title} - inspector", body)


def start_page(configuration: str) -> str:
    return document("Crossing Credential inspector", form(configuration))
