"""Batch issuance on every core: one JSON line in, one credential line out, in input order."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from .eligibility import DEFAULT_POLICY, PHASES, PolicyArg
from .issue import issue
from .keys import PrivateKey, load_private_key, private_key_to_pem

_KEY: PrivateKey | None = None
_POLICY: PolicyArg = DEFAULT_POLICY
CHUNK = 64  # lines per task: large enough to amortize inter-process traffic, small enough to stream


def parse_line(line: str) -> tuple[dict[str, Any], dict[str, bytes] | None, Any]:
    """A line is the claims object, or {"claims": {...}, "templates": {modality: hex}, "birth_date": ...}.

    ``birth_date`` is the holder's, from the issuer's records, for the eligibility policy's age rule
    (spec 9.5); it is not put in the credential.
    """
    record = json.loads(line)
    if not isinstance(record, dict):
        raise ValueError("each line is a JSON object")
    if "claims" not in record:
        return record, None, None
    templates = record.get("templates")
    if templates is not None and not isinstance(templates, dict):
        raise ValueError("templates is an object of modality to hexadecimal template")
    return record["claims"], {m: bytes.fromhex(t) for m, t in templates.items()} if templates else None, record.get("birth_date")


def _init(pem: bytes, phase: str | None) -> None:
    global _KEY, _POLICY
    _KEY = load_private_key(pem)
    _POLICY = None if phase is None else PHASES[phase]


def _issue_chunk(lines: list[tuple[int, str]]) -> list[tuple[int, str, str | None]]:
    """Issue each line; a bad line yields its error instead of stopping the batch."""
    assert _KEY is not None
    out: list[tuple[int, str, str | None]] = []
    for number, line in lines:
        try:
            claims, templates, birth_date = parse_line(line)
            out.append((number, issue(claims, _KEY, templates=templates, policy=_POLICY, birth_date=birth_date), None))
        except (ValueError, TypeError, KeyError) as err:
            out.append((number, "", f"{type(err).__name__}: {err}"))
    return out


def _chunks(lines: Iterable[str]) -> Iterator[list[tuple[int, str]]]:
    chunk: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            chunk.append((number, line))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def issue_lines(
    lines: Iterable[str],
    key: PrivateKey,
    *,
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    phase: str | None = "first",
) -> Iterator[tuple[int, str, str | None]]:
    """(line number, credential text, error or None) for each non-blank line, in input order.

    ``phase`` names the eligibility tables applied (``eligibility.PHASES``), None for none.
    """
    if phase is not None and phase not in PHASES:
        raise ValueError(f"phase {phase!r} is not one of {sorted(PHASES)} or None")
    jobs = jobs or os.cpu_count() or 1
    pem = private_key_to_pem(key)
    pending: deque[Future[list[tuple[int, str, str | None]]]] = deque()
    done = 0

    def drain(keep: int) -> Iterator[tuple[int, str, str | None]]:
        nonlocal done
        while len(pending) > keep:
            results = pending.popleft().result()
            done += len(results)
            if progress is not None:
                progress(done)
            yield from results

    with ProcessPoolExecutor(max_workers=jobs, initializer=_init, initargs=(pem, phase)) as pool:
        # A bounded window of chunks in flight keeps memory flat however long the input is.
        for chunk in _chunks(lines):
            pending.append(pool.submit(_issue_chunk, chunk))
            yield from drain(4 * jobs)
        yield from drain(0)
