"""An issuing authority's status list state (spec 17.6), kept in SQLite or PostgreSQL.

Every change (a list created, an index allocated, a status set, a version published) is one
transaction, committed before the call returns: a process killed at any point afterwards loses
nothing, and one killed inside a change leaves no half of it. A list's published tokens are built
from the database alone, so the next publication after a crash carries every status set before it.

Indices are drawn uniformly at random from the unused indices of the list, never in sequence, so that
neighbouring indices say nothing about when or to whom credentials were issued (spec 17.6).

The rules live here once, over a ``Store``: the SQLite file (``SqliteStore``, the embedded default)
or a PostgreSQL database that several issuing servers share (``credential.issuer.status_postgres``, the
optional ``servers`` extra). ``StatusAuthority.open`` chooses by path or URL. A change is one
transaction that first locks its list (in SQLite the transaction locks the whole file), so that
concurrent issuers never draw one index twice, and a publication includes every change committed
before it. A store that fails, cannot be reached or does not answer in time raises
``StatusStoreError``, and the change is rolled back: nothing is half-written.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..cose.keys import SigningKey, signer_for
from ..lists import status_list
from ..lists.status_list import LIST_ID, REVOKED, STATUS_NAMES, SUSPENDED, VALID
from .status_postgres import DEFAULT_TIMEOUT as POSTGRES_TIMEOUT
from .status_postgres import PostgresStore, is_postgres
from .status_store import SqliteStore, StatusStoreError, Store, Transaction

__all__ = ["MAX_FILL", "Change", "Publication", "StatusAuthority", "StatusStoreError", "Store"]

# An allocation stops at this share of a list's entries: random draws stay cheap (at most 4 tries
# expected), and the unused quarter keeps an index from telling how full the list is.
MAX_FILL = 0.75
_DRAWS = 64  # random draws before falling back to a scan from a random point (the list is near full)
_REGION = re.compile(r"[A-Z]{2}")
_CTI = re.compile(r"(?:[0-9a-f]{2}){8,16}")
# How far a publication time may be from the issuer's clock (spec 17.6): the skew of 9.3. A token from
# the future would be held by gates and make them refuse every correct later token as a rollback.
MAX_CLOCK_OFFSET = 300


def system_clock() -> float:
    """The issuer's clock: the system's."""
    return time.time()


@dataclass(frozen=True)
class Change:
    """One status change as recorded: which entry, the new status, when and why."""

    seq: int
    list_id: str
    index: int
    status: int
    at: int
    reason: str


@dataclass(frozen=True)
class Publication:
    list_id: str
    version: int
    issued_at: int
    expires: int
    kid: bytes
    last_seq: int
    token: bytes


def _cti(value: bytes | str | None) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        if not _CTI.fullmatch(value):
            raise ValueError(f"cti {value!r} is not 8 to 16 bytes in lowercase hexadecimal")
        return bytes.fromhex(value)
    if not isinstance(value, (bytes, bytearray)) or not 8 <= len(value) <= 16:
        raise ValueError("cti is 8 to 16 bytes")
    return bytes(value)


class StatusAuthority:
    """The status lists of one issuer, in the SQLite database at ``path``."""

    def __init__(
        self,
        path: str | Path,
        issuer: str | None = None,
        *,
        store: Store | None = None,
        clock: Callable[[], float] | None = None,
        read_only: bool = False,
    ) -> None:
        """Open (or, with ``issuer``, create) the SQLite database at ``path``; None opens an existing one
        for its issuer. ``store``: another database instead (``StatusAuthority.open`` makes one).

        ``clock``: the issuer's clock in epoch seconds (default the system's), against which
        ``publish`` checks the publication time it is given. ``read_only`` opens an existing database
        for reading only. sqlite3.OperationalError when the file cannot be used (no such folder,
        locked past the busy timeout, read-only, disk full); ValueError when it is not a status list
        database."""
        if clock is not None and not callable(clock):
            raise TypeError(f"clock is a function returning epoch seconds, not {type(clock).__name__}")
        self._clock = clock
        if issuer is not None and (not isinstance(issuer, str) or not _REGION.fullmatch(issuer)):
            raise ValueError(f"issuer {issuer!r} is not a region code")
        if store is None:
            if issuer is None and (str(path) == ":memory:" or not Path(path).is_file()):
                raise ValueError(f"{path} is not a status list database: create it by naming its issuer")
            try:
                store = SqliteStore(path, mode="ro" if read_only else "rwc" if issuer is not None else "rw")
            except sqlite3.DatabaseError as err:
                if isinstance(err, sqlite3.OperationalError):
                    raise  # the file could not be used: not a question of its content
                raise ValueError(f"{path} is not a status list database ({err})") from None
        self._db = store
        try:
            self._open(store.name, issuer, read_only)
        except sqlite3.DatabaseError as err:
            store.close()
            if isinstance(err, sqlite3.OperationalError) and "no such table" not in str(err):
                raise  # the file could not be used: not a question of its content
            raise ValueError(f"{path} is not a status list database ({err})") from None
        except BaseException:
            store.close()
            raise

    @classmethod
    def open(
        cls,
        target: str | Path,
        issuer: str | None = None,
        *,
        timeout: float | None = None,
        clock: Callable[[], float] | None = None,
        read_only: bool = False,
    ) -> StatusAuthority:
        """The status lists at ``target``: a ``postgresql://`` URL (a database shared by several issuing
        servers), or else an SQLite file path. ``issuer`` creates them as with the constructor.
        ``timeout``: PostgreSQL only, seconds to connect and for each statement (default 5). ``clock``
        and ``read_only`` as for the constructor."""
        if is_postgres(target):
            assert isinstance(target, str)
            return cls(target, issuer, store=PostgresStore(target, POSTGRES_TIMEOUT if timeout is None else timeout), clock=clock, read_only=read_only)
        if isinstance(target, str) and "://" in target:
            raise ValueError(f"status database {target.split('://')[0]}:// is not a kind this program opens: a file path, or postgresql://")
        if timeout is not None:
            raise ValueError("timeout applies to a PostgreSQL database only")
        return cls(target, issuer, clock=clock, read_only=read_only)

    def _open(self, path: str | Path, issuer: str | None, read_only: bool) -> None:
        if read_only:
            row = self._db.execute("SELECT issuer FROM authority").fetchone()
            if row is None:
                raise ValueError(f"{path} is not a status list database: create it by naming its issuer")
            self.issuer = str(row[0])
            return
        with self._transaction():
            for statement in self._db.schema.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            row = self._db.execute("SELECT issuer FROM authority").fetchone()
            if row is None:
                if issuer is None:
                    raise ValueError(f"{path} is not a status list database: create it by naming its issuer")
                self._db.execute("INSERT INTO authority VALUES (?)", (issuer,))
            elif issuer is not None and row[0] != issuer:
                raise ValueError(f"{path} holds the status lists of {row[0]}, not {issuer}")
        self.issuer = str(row[0]) if row is not None else str(issuer)

    def close(self) -> None:
        self._db.close()

    def _transaction(self) -> Transaction:
        return Transaction(self._db)

    # --- lists ---------------------------------------------------------------------------------

    def create_list(self, list_id: str, size: int, *, bits: int = 1, now: int) -> None:
        """A new list of ``size`` entries of ``bits`` bits each (1: valid or revoked; 2: also suspended)."""
        if not isinstance(list_id, str) or not LIST_ID.fullmatch(list_id):
            raise ValueError(f"list identifier {list_id!r} does not match {LIST_ID.pattern}")
        status_list.check_shape(size, bits)
        with self._transaction():
            if self._db.execute("SELECT 1 FROM lists WHERE list_id = ?", (list_id,)).fetchone():
                raise ValueError(f"list {list_id} exists already")
            try:
                self._db.execute(
                    "INSERT INTO lists (list_id, size, bits, created_at) VALUES (?, ?, ?, ?)", (list_id, size, bits, status_list.epoch_time(now, "now"))
                )
            except self._db.integrity:  # created by another issuer at the same moment
                raise ValueError(f"list {list_id} exists already") from None

    def _shape(self, list_id: str, *, lock: bool = False) -> tuple[int, int]:
        """The list's size and bits; ``lock``, inside a change: and hold its row until the change ends."""
        row = self._db.execute("SELECT size, bits FROM lists WHERE list_id = ?" + (self._db.lock if lock else ""), (list_id,)).fetchone()
        if row is None:
            raise KeyError(f"no list {list_id!r}")
        return row[0], row[1]

    def lists(self) -> list[tuple[str, int, int, int]]:
        """(list, size, bits, allocated) for every list."""
        return [
            (r[0], r[1], r[2], r[3])
            for r in self._db.execute(
                "SELECT list_id, size, bits, allocated FROM lists ORDER BY list_id"
            )
        ]

    # --- allocation ----------------------------------------------------------------------------

    def allocate(self, list_id: str, *, cti: bytes | str | None = None, now: int) -> int:
        """A random unused index of the list for a new credential (with its ``cti``, to revoke it by)."""
        cti_bytes = _cti(cti)
        status_list.epoch_time(now, "now")
        with self._transaction():
            return self._allocate(list_id, cti_bytes, now)

    def _allocate(self, list_id: str, cti_bytes: bytes | None, now: int) -> int:
        size, _ = self._shape(list_id, lock=True)
        used = self._db.execute("SELECT allocated FROM lists WHERE list_id = ?", (list_id,)).fetchone()[0]
        if used >= int(size * MAX_FILL):
            raise ValueError(f"list {list_id} has {used} of {size} entries allocated: create the next list")
        index = self._draw(list_id, size)
        try:
            self._db.execute(
                "INSERT INTO entries (list_id, idx, cti, allocated_at) VALUES (?, ?, ?, ?)", (list_id, index, cti_bytes, now)
            )
        except self._db.integrity:
            raise ValueError(f"cti {cti_bytes.hex() if cti_bytes else ''} has an index already") from None
        self._db.execute("UPDATE lists SET allocated = allocated + 1 WHERE list_id = ?", (list_id,))
        return index

    @contextlib.contextmanager
    def issuing(self) -> Iterator[Allocations]:
        """One transaction for the entries of credentials being issued (spec 17.6): allocate an entry,
        sign the credential that names it, and ``release`` the entry of one that was not issued. The
        allocations are committed when the block ends without an error and rolled back otherwise, so
        the caller hands out credentials only after the block: no entry is kept for a credential that
        was not issued, and no credential goes out whose entry is not committed."""
        with self._transaction():
            yield Allocations(self)


    def _draw(self, list_id: str, size: int) -> int:
        taken = "SELECT 1 FROM entries WHERE list_id = ? AND idx = ?"
        for _ in range(_DRAWS):
            index = secrets.randbelow(size)
            if self._db.execute(taken, (list_id, index)).fetchone() is None:
                return index
        # Practically unreachable below MAX_FILL; stays uniform enough and always terminates.
        start = secrets.randbelow(size)
        for index in itertools.chain(range(start, size), range(start)):
            if self._db.execute(taken, (list_id, index)).fetchone() is None:
                return index
        raise ValueError(f"list {list_id} is full")  # pragma: no cover - MAX_FILL stops it first

    # --- status --------------------------------------------------------------------------------

    def set_status(self, list_id: str, index: int, status: int, *, now: int, reason: str) -> Change:
        """Record a status change (revoke 1, suspend 2, reinstate 0) with its time and reason.

        Revocation is final: a revoked entry never changes again. Committed before returning."""
        if status not in STATUS_NAMES:
            raise ValueError(f"status is one of {sorted(STATUS_NAMES)}, not {status!r}")
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError("a status change records its reason")
        status_list.epoch_time(now, "now")
        with self._transaction():
            size, bits = self._shape(list_id, lock=True)
            if status == SUSPENDED and bits < 2:
                raise ValueError(f"list {list_id} has 1-bit entries: it can revoke, not suspend")
            row = self._db.execute("SELECT status FROM entries WHERE list_id = ? AND idx = ?", (list_id, index)).fetchone()
            if row is None:
                raise ValueError(f"index {index} of list {list_id} is not allocated")
            if row[0] == REVOKED:
                raise ValueError(f"index {index} of list {list_id} is revoked; revocation is final")
            if row[0] == status:
                raise ValueError(f"index {index} of list {list_id} is {STATUS_NAMES[status]} already")
            self._db.execute("UPDATE entries SET status = ? WHERE list_id = ? AND idx = ?", (status, list_id, index))
            (seq,) = self._db.execute(
                "INSERT INTO changes (list_id, idx, status, at, reason) VALUES (?, ?, ?, ?, ?) RETURNING seq", (list_id, index, status, now, reason)
            ).fetchone()
        return Change(int(seq), list_id, index, status, now, reason)

    def revoke(self, list_id: str, index: int, *, now: int, reason: str) -> Change:
        return self.set_status(list_id, index, REVOKED, now=now, reason=reason)

    def find(self, cti: bytes | str) -> tuple[str, int]:
        """The list and index allocated to a credential's ``cti``."""
        row = self._db.execute("SELECT list_id, idx FROM entries WHERE cti = ?", (_cti(cti),)).fetchone()
        if row is None:
            raise KeyError(f"no index is allocated to cti {_cti(cti).hex()}")  # type: ignore[union-attr]
        return row[0], row[1]

    def status(self, list_id: str, index: int) -> int:
        row = self._db.execute("SELECT status FROM entries WHERE list_id = ? AND idx = ?", (list_id, index)).fetchone()
        return VALID if row is None else int(row[0])

    def changes(self, list_id: str | None = None) -> list[Change]:
        query = "SELECT seq, list_id, idx, status, at, reason FROM changes"
        rows = self._db.execute(query + " WHERE list_id = ? ORDER BY seq" if list_id else query + " ORDER BY seq", (list_id,) if list_id else ())
        return [Change(*row) for row in rows]

    # --- publication ---------------------------------------------------------------------------

    def bit_array(self, list_id: str) -> bytes:
        """The list's entries as they stand, packed (spec 17.3)."""
        size, bits = self._shape(list_id)
        rows = self._db.execute("SELECT idx, status FROM entries WHERE list_id = ? AND status != 0", (list_id,))
        return status_list.pack(rows, size, bits)

    def publish(
        self, list_id: str, key: SigningKey, *, now: int, lifetime: int, ttl: int | None = None,
        deliver: Callable[[Publication], None] | None = None,
    ) -> Publication:
        """Sign the list as it stands, valid from ``now`` for ``lifetime`` seconds, and record the version.

        ``now`` becomes the token's ``iat``: it must be within MAX_CLOCK_OFFSET seconds of the issuer's
        clock, and later than the ``iat`` of the list's previous version (spec 17.6). ``deliver``
        (optional) puts the token where gates fetch it, before the record is committed: if it raises,
        nothing is recorded, so no version is listed as published that nobody has."""
        status_list.epoch_time(now, "now")
        clock = int((self._clock or system_clock)())
        if abs(now - clock) > MAX_CLOCK_OFFSET:
            raise ValueError(
                f"publication time {now} is {now - clock:+d} s from the issuer's clock ({clock}); at most {MAX_CLOCK_OFFSET} s apart (spec 17.6)"
            )
        signer = signer_for(key)  # a private key, or a key in a token (pkcs11.TokenKey)
        if isinstance(lifetime, bool) or not isinstance(lifetime, int) or lifetime < 1:
            raise ValueError("lifetime is a positive number of seconds")
        with self._transaction():
            size, bits = self._shape(list_id, lock=True)  # waits for the list's changes under way: it includes them
            last = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0]
            token = status_list.build_token(
                signer, self.issuer, list_id, issued_at=now, expires=now + lifetime, bits=bits, bit_array=self.bit_array(list_id), ttl=ttl
            )
            previous = self._db.execute(
                "SELECT COALESCE(MAX(version), 0), COALESCE(MAX(issued_at), -1) FROM publications WHERE list_id = ?", (list_id,)
            ).fetchone()
            if now <= previous[1]:
                # Two versions with one iat could not be told apart by a gate's rollback check (17.5).
                raise ValueError(f"list {list_id} was last published at {previous[1]}; a new version is issued later")
            publication = Publication(list_id, previous[0] + 1, now, now + lifetime, signer.kid, last, token)
            self._db.execute(
                "INSERT INTO publications VALUES (?, ?, ?, ?, ?, ?, ?)",
                (list_id, publication.version, now, now + lifetime, publication.kid, last, token),
            )
            if deliver is not None:
                deliver(publication)
        return publication

    def publications(self, list_id: str) -> list[Publication]:
        rows = self._db.execute(
            "SELECT list_id, version, issued_at, expires, kid, last_seq, token FROM publications WHERE list_id = ? ORDER BY version",
            (list_id,),
        )
        return [Publication(r[0], r[1], r[2], r[3], bytes(r[4]), r[5], bytes(r[6])) for r in rows]

    def unpublished(self, list_id: str) -> list[Change]:
        """Changes made since the list's last publication: what the next one will carry."""
        row = self._db.execute("SELECT COALESCE(MAX(last_seq), 0) FROM publications WHERE list_id = ?", (list_id,)).fetchone()
        rows = self._db.execute(
            "SELECT seq, list_id, idx, status, at, reason FROM changes WHERE list_id = ? AND seq > ? ORDER BY seq", (list_id, row[0])
        )
        return [Change(*r) for r in rows]


class Allocations:
    """The allocations of one ``StatusAuthority.issuing`` transaction."""

    def __init__(self, authority: StatusAuthority) -> None:
        self._authority = authority

    def allocate(self, list_id: str, *, cti: bytes | str, now: int) -> int:
        """A random unused index of the list for the credential with this ``cti``, within the transaction."""
        cti_bytes = _cti(cti)
        status_list.epoch_time(now, "now")
        return self._authority._allocate(list_id, cti_bytes, now)  # noqa: SLF001 - the authority's own transaction

    def release(self, list_id: str, index: int) -> None:
        """Give back the entry of a credential that was not issued after all (it was never set)."""
        db = self._authority._db  # noqa: SLF001
        if db.execute("DELETE FROM entries WHERE list_id = ? AND idx = ? AND status = 0", (list_id, index)).rowcount:
            db.execute("UPDATE lists SET allocated = allocated - 1 WHERE list_id = ?", (list_id,))
