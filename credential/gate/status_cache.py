"""A gate's cache of status list tokens (spec 17.5), kept in SQLite so that every process of a gate
shares one copy and a restart keeps what was fetched.

The cache files each token under the issuer and list identifier it was fetched as, with the time it
was fetched. It stores tokens, not verdicts: the verifier checks a token against its own trust when it
first uses it (step 19a) and keeps the checked list in memory, so a lookup afterwards is one query for
the token's digest and a read of one byte.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from ..base.errors import ErrorCode, VerificationError
from ..base.sqlite import connect, rollback
from ..base.times import MAX_SKEW
from ..lists import status_list
from ..lists.status_list import LIST_ID, StatusList, TrustedKeys

_SCHEMA = """
CREATE TABLE IF NOT EXISTS held (
    issuer     TEXT    NOT NULL,
    list_id    TEXT    NOT NULL,
    token      BLOB    NOT NULL,
    digest     BLOB    NOT NULL,   -- SHA-256 of the token: what a verifier's memory of the checked list is keyed by
    issued_at  INTEGER NOT NULL,   -- the token's iat, to refuse a rollback to an older list
    fetched_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, list_id)
)
"""


@dataclass(frozen=True)
class Held:
    """One cached token: the name it is filed under, its bytes and digest, and when it was fetched."""

    issuer: str
    list_id: str
    token: bytes
    digest: bytes
    issued_at: int
    fetched_at: int


# How far a token's iat may be ahead of the time it is fetched (spec 17.5): the skew of 9.3, as step
# 19a applies it. A token from further ahead would, once held, refuse every correct later token as a
# rollback.
DEFAULT_FETCH_SKEW = 300


class StatusCache:
    """The status list tokens a gate holds, in the SQLite database at ``path`` (":memory:" for one process).

    One connection serves every thread of the process in turn (a gate's server verifies on worker
    threads); processes share the file."""

    def __init__(self, path: str | Path = ":memory:", *, mode: str = "rwc") -> None:
        """``mode`` (``base.sqlite.MODES``): "ro" for a gate that only reads the cache, which is then
        never created; "rwc" (the default) creates it. sqlite3.OperationalError when the file cannot
        be opened so (no such folder, locked, read-only); ValueError when it is not a status cache."""
        if not isinstance(path, (str, Path)):
            raise TypeError(f"path is a file name or ':memory:', not {type(path).__name__}")
        self.path = str(path)
        self._lock = threading.RLock()
        # autocommit; transactions are explicit. Not bound to the opening thread: the lock serialises use.
        self._db = connect(self.path, mode=mode, check_same_thread=False)
        try:
            self._db.execute("PRAGMA busy_timeout = 5000")
            self._db.execute("SELECT 1 FROM held LIMIT 1" if mode == "ro" else _SCHEMA)
        except sqlite3.DatabaseError as err:
            self._db.close()
            if isinstance(err, sqlite3.OperationalError) and "no such table" not in str(err):
                raise  # the file could not be used (locked, read-only, full): not a question of its content
            raise ValueError(f"{self.path} is not a status list cache ({err})") from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def store(self, issuer: str, list_id: str, token: bytes, fetched_at: int) -> None:
        """File a token as fetched, without judging it: the verifier checks it at use (step 19a).

        Replaces what was held under that name, whatever it was: for filing a gate's configured tokens
        and test data. ``add`` is the operator's path, which checks first and refuses rollbacks."""
        if not isinstance(issuer, str) or not isinstance(list_id, str) or not LIST_ID.fullmatch(list_id):
            raise ValueError(f"a list is filed under an issuer code and an identifier matching {LIST_ID.pattern}")
        if not isinstance(token, (bytes, bytearray)):
            raise TypeError(f"a status list token is bytes, not {type(token).__name__}")
        token = bytes(token)
        try:
            issued_at = status_list.peek(token)[2]
        except VerificationError:
            issued_at = 0  # unreadable: kept as fetched, and refused when used
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO held VALUES (?, ?, ?, ?, ?, ?)",
                (issuer, list_id, token, hashlib.sha256(token).digest(), issued_at, status_list.epoch_time(fetched_at, "fetched_at")),
            )

    def add(self, token: bytes, *, fetched_at: int, trust: TrustedKeys, skew: int = DEFAULT_FETCH_SKEW) -> StatusList:
        """Check a fetched token against ``trust`` and hold it under the issuer and list it names.

        Raises VerificationError (STATUS_LIST_INVALID) for a token that fails its checks or whose
        ``iat`` is more than ``skew`` seconds after ``fetched_at``, and ValueError for one that is not
        newer than the list already held (an earlier ``iat``: a rollback; the same ``iat`` with other
        content: two versions of one moment): the held list stays (spec 17.5). Adding the held token
        again changes nothing."""
        if isinstance(skew, bool) or not isinstance(skew, int) or not 0 <= skew <= MAX_SKEW:
            raise ValueError(f"skew is a whole number of seconds in 0..{MAX_SKEW}")
        checked = status_list.read_token(token, trust)
        status_list.epoch_time(fetched_at, "fetched_at")
        if checked.issued_at > fetched_at + skew:
            raise VerificationError(
                ErrorCode.STATUS_LIST_INVALID,
                f"list {checked.issuer}/{checked.list_id} is issued at {checked.issued_at}, after its fetch at {fetched_at} (skew {skew} s)",
            )
        digest = hashlib.sha256(bytes(token)).digest()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT issued_at, digest FROM held WHERE issuer = ? AND list_id = ?", (checked.issuer, checked.list_id)
                ).fetchone()
                if row is not None and bytes(row[1]) != digest and row[0] >= checked.issued_at:
                    same = "the same moment as" if row[0] == checked.issued_at else "older than"
                    raise ValueError(
                        f"list {checked.issuer}/{checked.list_id} issued at {checked.issued_at} is {same} the one held "
                        f"(issued at {row[0]}): refused as a rollback"
                    )
                if row is None or bytes(row[1]) != digest:
                    self.store(checked.issuer, checked.list_id, bytes(token), fetched_at)
                self._db.execute("COMMIT")
            except BaseException:
                rollback(self._db)
                raise
        return checked

    def drop(self, issuer: str, list_id: str) -> bool:
        """Stop holding the token filed under this name; True if one was held.

        The operator's way out when a held token is wrong in a way no newer token can repair, such as
        an ``iat`` in the future (spec 17.5): the next token added for the list is then judged against
        nothing held. Gate processes that have used a token of this list keep refusing older ones
        until they restart."""
        with self._lock:
            return bool(self._db.execute("DELETE FROM held WHERE issuer = ? AND list_id = ?", (issuer, list_id)).rowcount)

    def digest(self, issuer: str, list_id: str) -> bytes | None:
        """The digest of the token held under this name, or None: one indexed query."""
        with self._lock:
            row = self._db.execute("SELECT digest FROM held WHERE issuer = ? AND list_id = ?", (issuer, list_id)).fetchone()
        return None if row is None else bytes(row[0])

    def get(self, issuer: str, list_id: str) -> Held | None:
        with self._lock:
            row = self._db.execute(
                "SELECT issuer, list_id, token, digest, issued_at, fetched_at FROM held WHERE issuer = ? AND list_id = ?",
                (issuer, list_id),
            ).fetchone()
        return None if row is None else Held(row[0], row[1], bytes(row[2]), bytes(row[3]), row[4], row[5])

    def held(self) -> list[Held]:
        """Everything held, by issuer and list."""
        with self._lock:
            rows = self._db.execute(
                "SELECT issuer, list_id, token, digest, issued_at, fetched_at FROM held ORDER BY issuer, list_id"
            ).fetchall()
        return [Held(r[0], r[1], bytes(r[2]), bytes(r[3]), r[4], r[5]) for r in rows]
