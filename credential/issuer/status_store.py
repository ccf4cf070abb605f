"""Where an issuing authority's status state is kept (spec 17.6): the database side of
``StatusAuthority``, whose rules hold over any ``Store``.

``SqliteStore`` is the embedded default, one file; ``credential.issuer.status_postgres`` holds the
PostgreSQL store that several issuing servers share. A store runs statements written with ``?``
parameters, one transaction per change, and raises ``StatusStoreError`` when the database fails,
cannot be reached or does not answer in time.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from ..base.errors import StoreError

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS authority (
    issuer TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS lists (
    list_id    TEXT    PRIMARY KEY,
    size       INTEGER NOT NULL,
    bits       INTEGER NOT NULL CHECK (bits IN (1, 2)),
    created_at INTEGER NOT NULL,
    allocated  INTEGER NOT NULL DEFAULT 0   -- kept with each allocation, so none counts the entries
);
CREATE TABLE IF NOT EXISTS entries (
    list_id      TEXT    NOT NULL REFERENCES lists (list_id),
    idx          INTEGER NOT NULL,
    cti          BLOB    UNIQUE,
    allocated_at INTEGER NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (list_id, idx)
);
-- The entries a publication packs: only those set, however large the list.
CREATE INDEX IF NOT EXISTS set_entries ON entries (list_id, idx) WHERE status != 0;
CREATE TABLE IF NOT EXISTS changes (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    list_id  TEXT    NOT NULL,
    idx      INTEGER NOT NULL,
    status   INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    reason   TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS publications (
    list_id   TEXT    NOT NULL REFERENCES lists (list_id),
    version   INTEGER NOT NULL,
    issued_at INTEGER NOT NULL,
    expires   INTEGER NOT NULL,
    kid       BLOB    NOT NULL,
    last_seq  INTEGER NOT NULL,   -- the last change the version includes
    token     BLOB    NOT NULL,
    PRIMARY KEY (list_id, version)
);
"""


class StatusStoreError(StoreError):
    """The authority's database failed, could not be reached or did not answer in time. The change
    was rolled back and nothing of it is written, unless the message says the commit's outcome is
    unknown (the connection was lost while committing): then look before repeating it."""


class Store:
    """What ``StatusAuthority`` asks of a database: statements with ``?`` parameters, and one
    transaction per change. ``lock`` is the clause that locks the rows a SELECT reads until the
    transaction ends ("" where a transaction locks the whole database)."""

    name: str
    lock: str = ""
    schema: str = ""
    integrity: tuple[type[BaseException], ...] = ()

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        raise NotImplementedError

    def begin(self) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def rollback(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class SqliteStore(Store):
    """The status lists in one SQLite file: the embedded default."""

    schema = SQLITE_SCHEMA
    integrity = (sqlite3.IntegrityError,)

    def __init__(self, path: str | Path) -> None:
        self.name = str(path)
        self.connection = sqlite3.connect(str(path), isolation_level=None)  # autocommit; every change opens its own transaction
        try:
            self.connection.execute("PRAGMA busy_timeout = 5000")
            self.connection.execute("PRAGMA foreign_keys = ON")
            self.connection.execute("PRAGMA synchronous = FULL")  # a committed change survives a power loss, not only a crash
        except sqlite3.DatabaseError as err:
            self.connection.close()
            raise ValueError(f"{path} is not a status list database ({err})") from None

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        try:
            return self.connection.execute(sql, params)
        except sqlite3.IntegrityError:
            raise
        except sqlite3.OperationalError as err:  # locked beyond the busy timeout, disk I/O, ...
            raise StatusStoreError(f"status database {self.name}: {err}; nothing of this change was written") from None

    def begin(self) -> None:
        self.execute("BEGIN IMMEDIATE")  # the write lock first: one change at a time, whole

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        if self.connection.in_transaction:
            self.connection.execute("ROLLBACK")

    def close(self) -> None:
        self.connection.close()


class Transaction:
    """BEGIN ... COMMIT, or ROLLBACK on any error: one change, all or nothing."""

    def __init__(self, db: Store) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.begin()

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is None:
            self._db.commit()
        else:
            self._db.rollback()
