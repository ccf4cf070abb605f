"""The inspector's web page, as HTML: the input form, and a report a person can read.

Everything that comes from a credential or from the request is escaped here (``_e``), in text and in
attributes; the page loads only its own script and style sheet.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
from typing import Any

from ..base.regions import REGIONS
from .inspect import FAILED, INVALID, NOT_VERIFIED, VALID, Report

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


def form(configuration: str, text: str = "") -> str:
    return f"""<section><h2>Credential</h2>
<form id="inspect-form" method="post" action="/inspect" enctype="multipart/form-data">
<label for="text">Paste the credential text (XC1:&hellip;)</label>
<textarea id="text" name="text" spellcheck="false" autocomplete="off">{_e(text)}</textarea>
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


def _verdict(report: Report) -> str:
    css = _VERDICT_CLASSES.get(report.verdict, "error")
    title = _VERDICT_TITLES.get(report.verdict, report.verdict)
    if report.first_failure is not None:
        f = report.first_failure
        title = f"{title}: {f.code} at step {f.number}"
        detail = f"{f.check}. {f.detail} ({f.reference})"
    else:
        detail = report.summary
    return f'<div id="verdict" class="verdict {css}">{_e(title)}<small>{_e(detail)}</small></div>'


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
        '<section id="steps"><h2>Steps of the verification procedure (spec 9.2)</h2><table>'
        "<tr><th>Step</th><th>Verdict</th><th>Check</th><th>Rule</th></tr>"
        f"{''.join(rows)}</table></section>"
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
    return f'<section id="layers"><h2>Layers, from the outside in</h2>{"".join(parts)}</section>'


def report_page(report: Report, configuration: str, text: str) -> str:
    body = _verdict(report) + card(report) + _steps(report) + _layers(report) + form(configuration, text)
    return document(f"{_VERDICT_TITLES.get(report.verdict, report.verdict)} - inspector", body)


def problem_page(message: str, configuration: str) -> str:
    body = f'<div id="verdict" class="verdict error">Could not read the input<small>{_e(message)}</small></div>' + form(configuration)
    return document("Could not read the input - inspector", body)


def start_page(configuration: str) -> str:
    return document("Crossing Credential inspector", form(configuration))
