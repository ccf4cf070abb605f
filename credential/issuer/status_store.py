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
from ..base.sqlite import connect, rollback

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
    """The status lists in one SQLite file: the embedded default. Its errors are sqlite3's own
    (``sqlite3.OperationalError`` for a file that cannot be used or stays locked past the busy
    timeout), which the command line turns into the operator's words."""

    schema = SQLITE_SCHEMA
    integrity = (sqlite3.IntegrityError,)

    def __init__(self, path: str | Path, mode: str = "rwc") -> None:
        self.name = str(path)
        self.connection = connect(path, mode=mode)  # autocommit; every change opens its own transaction
        try:
            self.connection.execute("PRAGMA busy_timeout = 5000")
            self.connection.execute("PRAGMA foreign_keys = ON")
            if mode != "ro":
                self.connection.execute("PRAGMA synchronous = FULL")  # a committed change survives a power loss, not only a crash
        except sqlite3.DatabaseError:
            self.connection.close()
            raise

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.connection.execute(sql, params)

    def begin(self) -> None:
        self.execute("BEGIN IMMEDIATE")  # the write lock first: one change at a time, whole

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        rollback(self.connection)

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
