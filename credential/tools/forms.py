"""The inspector page's forms, parsed with fixed limits in time linear in the body.

Two encodings, as browsers send them: ``application/x-www-form-urlencoded`` and
``multipart/form-data`` (RFC 7578). Only the field names the caller allows are taken, each at most
once, and at most ``MAX_FIELDS`` of them; anything else is a ``FormError``. The standard library's
``email`` parser is not used: its cost grows faster than the body.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from urllib.parse import parse_qsl

MAX_FIELDS = 8
MAX_PART_HEADER = 1024  # bytes of the headers of one multipart part: a name, a file name and a type

# RFC 2046 section 5.1.1: 1 to 70 characters of this set, quoted or not, the last not a space.
_BOUNDARY = re.compile(r'boundary=(?:"([0-9A-Za-z\'()+_,\-./:=? ]{0,69}[0-9A-Za-z\'()+_,\-./:=?])"|([0-9A-Za-z\'()+_,\-./:=?]{1,70}))(?:;|$)')
_NAME = re.compile(rb'^form-data(?:;\s*(?:name="([^"\r\n]*)"|filename="[^"\r\n]*"|filename\*=[^;\r\n]*))+\s*$', re.IGNORECASE)


class FormError(ValueError):
    """The request's body is not a form this page sends."""


def parse(content_type: str, body: bytes, allowed: Collection[str]) -> dict[str, bytes]:
    """The fields of the form (name to bytes) whose names are all in ``allowed``."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        pairs = _urlencoded(body)
    elif kind == "multipart/form-data":
        pairs = _multipart(content_type, body)
    else:
        raise FormError("send the form as multipart/form-data or application/x-www-form-urlencoded")
    fields: dict[str, bytes] = {}
    for name, value in pairs:
        if name not in allowed:
            raise FormError(f"the form has a field {name[:40]!r}; this page's form has {', '.join(sorted(allowed))}")
        if name in fields:
            raise FormError(f"the form has the field {name!r} twice")
        fields[name] = value
    return fields


def _urlencoded(body: bytes) -> list[tuple[str, bytes]]:
    try:
        text = body.decode("ascii")  # a browser escapes every other byte
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS, encoding="latin-1", errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise FormError(f"not a urlencoded form of at most {MAX_FIELDS} fields") from None
    return [(name, value.encode("latin-1")) for name, value in pairs]


def _multipart(content_type: str, body: bytes) -> list[tuple[str, bytes]]:
    found = _BOUNDARY.search(content_type)
    if found is None:
        raise FormError("a multipart form needs a boundary (RFC 2046)")
    delimiter = b"--" + (found.group(1) or found.group(2)).encode("ascii")
    if not body.startswith(delimiter + b"\r\n"):
        raise FormError("the multipart form does not begin with its boundary")
    # Each part follows CR LF and the delimiter; the last delimiter is followed by "--". One split,
    # bounded in pieces, reads the whole body once.
    pieces = body[len(delimiter) :].split(b"\r\n" + delimiter, MAX_FIELDS)
    if len(pieces) < 2 or not pieces[-1].startswith(b"--"):
        raise FormError(f"not a complete multipart form of at most {MAX_FIELDS} fields")
    pairs = []
    for piece in pieces[:-1]:
        head, blank, value = piece.partition(b"\r\n\r\n")
        if not head.startswith(b"\r\n") or not blank or len(head) > MAX_PART_HEADER:
            raise FormError("a part of the multipart form has no readable headers")
        name = None
        for line in head[2:].split(b"\r\n"):
            header, colon, rest = line.partition(b":")
            if not colon:
                raise FormError("a part of the multipart form has a malformed header")
            if header.strip().lower() == b"content-disposition":
                match = _NAME.match(rest.strip())
                if match is None or match.group(1) is None:
                    raise FormError("a part of the multipart form has no field name")
                name = match.group(1).decode("utf-8", errors="replace")
        if name is None:
            raise FormError("a part of the multipart form has no Content-Disposition")
        pairs.append((name, value))
    return pairs
