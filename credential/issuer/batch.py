"""Batch issuance on every core: JSON lines in, one result per line out, in input order.

Each result names the input line it came from and the ``cti`` of the credential issued for it, so a
line that fails never shifts the others: the issuer can always tell which credential is whose.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, NamedTuple, Union

from ..base import jsonload
from ..cose.keys import SigningKey, load_private_key, private_key_to_pem
from ..cose.pkcs11 import TokenError, TokenKey, TokenKeySpec
from .eligibility import DEFAULT_POLICY, PHASES, PolicyArg
from .issue import complete, issue

_KEY: SigningKey | None = None
_KEY_ERROR: TokenError | None = None  # why this worker could not open the token key
_POLICY: PolicyArg = DEFAULT_POLICY
# What a worker is given to sign with: a private key's PEM, or how to open a key in a token. A token
# session belongs to the process that opened it, so each worker opens its own.
KeySource = Union[bytes, TokenKeySpec]
CHUNK = 64  # lines per task: large enough to amortize inter-process traffic, small enough to stream
MAX_LINE_BYTES = 4 * 1024 * 1024  # one line: its claims and any templates, in hexadecimal

# What one bad line can raise: it fails alone, with its reason, and the batch goes on. RecursionError
# and OverflowError stay here so that no input, however deep or large, can stop the other lines.
LINE_ERRORS = (ValueError, TypeError, KeyError, OverflowError, RecursionError)
_RECORD_MEMBERS = frozenset({"claims", "templates", "birth_date", "device_key"})


class Issued(NamedTuple):
    """The outcome of one input line: the credential and its ``cti`` (hex), or the reason it failed."""

    line: int
    cti: str | None
    text: str | None
    error: str | None


def parse_line(line: str | bytes) -> tuple[dict[str, Any], dict[str, bytes] | None, Any]:
    """A line is the claims object, or {"claims": {...}, "templates": {modality: hex}, "birth_date": ...,
    "device_key": PEM}.

    ``birth_date`` (optional) is the holder's, from the issuer's records, for the eligibility
    policy's age rule (spec 9.5); it is not put in the credential. ``device_key`` (optional) is the
    public key of the holder's device (P-256, PEM text), bound in ``cnf`` (spec 9.1 step 4a).
    """
    content = line.rstrip(b"\r\n") if isinstance(line, bytes) else line.rstrip("\r\n")
    if len(content) > MAX_LINE_BYTES:
        raise ValueError(f"line longer than {MAX_LINE_BYTES:,} bytes")
    record = jsonload.load(line)
    if not isinstance(record, dict):
        raise ValueError("each line is a JSON object")
    if "claims" not in record:
        return record, None, None
    if set(record) - _RECORD_MEMBERS:
        raise ValueError(f"unexpected members {', '.join(sorted(set(record) - _RECORD_MEMBERS))} beside claims, templates, birth_date and device_key")
    if "device_key" in record:
        record = {**record, "claims": with_device_key(record["claims"], record["device_key"])}
    templates = record.get("templates")
    if templates is None:
        return record["claims"], None, record.get("birth_date")
    if not isinstance(templates, dict) or not all(isinstance(t, str) for t in templates.values()):
        raise ValueError("templates is an object of modality to hexadecimal template")
    return record["claims"], {m: bytes.fromhex(t) for m, t in templates.items()}, record.get("birth_date")


def with_device_key(claims: Any, device_key: Any) -> dict[str, Any]:
    """The claims with ``cnf`` binding the device's public key (PEM text, or a key object)."""
    from ..claims.device import cnf_view
    from ..cose.keys import load_public_key

    if not isinstance(claims, dict):
        raise TypeError(f"claims are a JSON object, not {type(claims).__name__}")
    if "cnf" in claims:
        raise ValueError("cnf: give either the device key or cnf, not both")
    if isinstance(device_key, str):
        if "PRIVATE KEY" in device_key:
            raise ValueError("device_key: a private key; give the device's public key (the private one stays on the device)")
        device_key = load_public_key(device_key.encode("ascii", "replace"))
    return {**claims, "cnf": cnf_view(device_key)}


def issue_line(line: str | bytes, key: SigningKey, policy: PolicyArg = DEFAULT_POLICY) -> tuple[str, str]:
    """The ``cti`` and credential text for one input line, if the holder is eligible under ``policy``."""
    claims, templates, birth_date = parse_line(line)
    completed = complete(claims, templates)
    return completed["cti"], issue(completed, key, policy=policy, birth_date=birth_date)


def reason(err: Exception) -> str:
    """Why a line failed, in the operator's words: the message, or what kind of failure it was."""
    if isinstance(err, RecursionError):
        return "nested too deeply"
    if isinstance(err, KeyError):
        return f"missing member {err}"
    return str(err) or type(err).__name__


def _init(source: KeySource, phase: str | None, opening: Any) -> None:
    global _KEY, _KEY_ERROR, _POLICY
    _POLICY = None if phase is None else PHASES[phase]
    if isinstance(source, TokenKeySpec):
        try:
            # One worker logs in at a time: SoftHSM2 records a login in the token's file, and a worker
            # reading that file while another writes it fails.
            with opening:
                _KEY = TokenKey(source)
        except TokenError as err:
            _KEY_ERROR = err  # raised by the first chunk, so the caller gets it (an initializer's error is only logged)
        return
    _KEY = load_private_key(source)


def _key_source(key: SigningKey) -> tuple[KeySource, Any, Any]:
    """What the workers get, how they start, and the lock they open a token under: a fork for a key
    in memory; a fresh interpreter for a key in a token, because a forked child must not use the
    PKCS#11 module its parent initialised."""
    if isinstance(key, TokenKey):
        context = multiprocessing.get_context("spawn")
        return key.spec, context, context.Lock()
    if hasattr(key, "private_bytes"):
        return private_key_to_pem(key), None, None  # type: ignore[arg-type]
    raise TypeError("batch issuance takes a private key or a pkcs11.TokenKey: each worker process opens its own")


def _issue_chunk(lines: list[tuple[int, str | bytes]]) -> list[Issued]:
    """Issue each line; a bad line yields its error instead of stopping the batch. A token that
    fails (TokenError) stops it: that is no fault of the line."""
    if _KEY_ERROR is not None:
        raise _KEY_ERROR
    assert _KEY is not None
    out: list[Issued] = []
    for number, line in lines:
        try:
            cti, text = issue_line(line, _KEY, _POLICY)
            out.append(Issued(number, cti, text, None))
        except LINE_ERRORS as err:
            out.append(Issued(number, None, None, reason(err)))
    return out


def _chunks(lines: Iterable[str | bytes]) -> Iterator[list[tuple[int, str | bytes]]]:
    chunk: list[tuple[int, str | bytes]] = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            chunk.append((number, line))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def issue_lines(
    lines: Iterable[str | bytes],
    key: SigningKey,
    *,
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    phase: str | None = "first",
) -> Iterator[Issued]:
    """One ``Issued`` for each non-blank line (numbered from 1, blank lines counted), in input order.

    ``phase`` names the eligibility tables applied (``eligibility.PHASES``, spec 9.5), None for none.
    ``key`` is a private key or a key in a token (``pkcs11.TokenKey``); each worker then opens its own
    session on the token, and a token failure raises ``TokenError``.
    """
    if phase is not None and phase not in PHASES:
        raise ValueError(f"phase {phase!r} is not one of {sorted(PHASES)} or None")
    jobs = jobs or os.cpu_count() or 1
    source, context, opening = _key_source(key)
    pending: deque[Future[list[Issued]]] = deque()
    done = 0

    def drain(keep: int) -> Iterator[Issued]:
        nonlocal done
        while len(pending) > keep:
            results = pending.popleft().result()
            done += len(results)
            if progress is not None:
                progress(done)
            yield from results

    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init, initargs=(source, phase, opening)) as pool:
        # A bounded window of chunks in flight keeps memory flat however long the input is.
        for chunk in _chunks(lines):
            pending.append(pool.submit(_issue_chunk, chunk))
            yield from drain(4 * jobs)
        yield from drain(0)
