"""The issuing authority's status list state in PostgreSQL (spec 17.6), for several issuing servers
(counters, kiosks, an application's back end) sharing one allocation and revocation state.

``StatusAuthority`` holds the rules; this module is its store: the tables of the SQLite store in
PostgreSQL types, and a connection (psycopg 3) that every change uses as one transaction. A change
first locks its list's row (``SELECT ... FOR UPDATE``), so the changes of one list run one at a time
across every issuer: two issuers never draw one index, and a publication waits for the changes under
way and includes them. The primary key on (list, index) would refuse a duplicate anyway.

Every network wait is bounded by ``timeout``: connecting, each statement (``statement_timeout``,
and ``lock_timeout`` for the list's lock), and data the server does not acknowledge
(``tcp_user_timeout``). A failure rolls the change back (a connection that dies takes its open
transaction with it) and raises ``StatusStoreError``; the next call connects again, so the authority
works again as soon as the server is back. A connection lost during COMMIT leaves the outcome
unknown, and the error says so.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .status_store import Store, StatusStoreError
from ..base.urls import redacted

DEFAULT_TIMEOUT = 5.0  # seconds
MAX_TIMEOUT = 300.0
_SCHEMA_LOCK = 0x58433137  # "XC17": concurrent first opens create the tables one at a time

SCHEMA = """
SELECT pg_advisory_xact_lock(%d);
CREATE TABLE IF NOT EXISTS authority (
    issuer TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS lists (
    list_id    TEXT    PRIMARY KEY,
    size       BIGINT  NOT NULL,
    bits       INTEGER NOT NULL CHECK (bits IN (1, 2)),
    created_at BIGINT  NOT NULL,
    allocated  BIGINT  NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS entries (
    list_id      TEXT    NOT NULL REFERENCES lists (list_id),
    idx          BIGINT  NOT NULL,
    cti          BYTEA   UNIQUE,
    allocated_at BIGINT  NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (list_id, idx)
);
CREATE INDEX IF NOT EXISTS set_entries ON entries (list_id, idx) WHERE status != 0;
CREATE TABLE IF NOT EXISTS changes (
    seq      BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    list_id  TEXT    NOT NULL,
    idx      BIGINT  NOT NULL,
    status   INTEGER NOT NULL,
    at       BIGINT  NOT NULL,
    reason   TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS publications (
    list_id   TEXT    NOT NULL REFERENCES lists (list_id),
    version   INTEGER NOT NULL,
    issued_at BIGINT  NOT NULL,
    expires   BIGINT  NOT NULL,
    kid       BYTEA   NOT NULL,
    last_seq  BIGINT  NOT NULL,
    token     BYTEA   NOT NULL,
    PRIMARY KEY (list_id, version)
)
""" % _SCHEMA_LOCK


def is_postgres(target: object) -> bool:
    """Whether ``target`` names a PostgreSQL database (a postgresql:// or postgres:// URL)."""
    return isinstance(target, str) and urlsplit(target).scheme in ("postgresql", "postgres")


class PostgresStore(Store):
    """A PostgreSQL database named by a ``postgresql://`` URL (libpq's form: user, password, host,
    port, database, and parameters such as ``sslmode``)."""

    lock = " FOR UPDATE"
    schema = SCHEMA

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= MAX_TIMEOUT:
            raise ValueError(f"timeout is a number of seconds in (0, {MAX_TIMEOUT:g}]")
        self.name = redacted(url)
        try:
            import psycopg
        except ImportError:
            raise ValueError(f"status database {self.name}: the psycopg client is not installed (pip install 'crossing-credential[servers]')") from None
        self._psycopg = psycopg
        self.integrity = (psycopg.errors.IntegrityError,)
        self._url = url
        self.timeout = float(timeout)
        self._connection: Any = None
        self._committing = False
        try:
            psycopg.conninfo.conninfo_to_dict(url)
        except psycopg.ProgrammingError as err:
            raise ValueError(f"status database {self.name}: {err}") from None
        self._connect()

    def _connect(self) -> Any:
        if self._connection is None or self._connection.closed:
            milliseconds = int(self.timeout * 1000)
            try:
                self._connection = self._psycopg.connect(
                    self._url,
                    autocommit=True,  # a read is its own transaction; a change opens one with begin()
                    connect_timeout=max(1, round(self.timeout)),
                    options=f"-c statement_timeout={milliseconds} -c lock_timeout={milliseconds}",
                    tcp_user_timeout=milliseconds,
                    keepalives=1,
                    keepalives_idle=max(1, round(self.timeout)),
                    keepalives_interval=1,
                    keepalives_count=3,
                )
            except self._psycopg.Error as err:
                self._connection = None
                raise StatusStoreError(f"status database {self.name}: {_reason(err)}") from None
        return self._connection

    def _failed(self, err: Exception) -> StatusStoreError:
        """The error for a failed statement; the connection is dropped, so the next call reconnects."""
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except self._psycopg.Error:  # pragma: no cover - closing a broken connection
                pass
        if self._committing:
            return StatusStoreError(
                f"status database {self.name}: {_reason(err)} while committing; the change may or may not have been "
                "committed: look (find, changes, lists) before repeating it"
            )
        return StatusStoreError(f"status database {self.name}: {_reason(err)}; nothing of this change was written")

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        connection = self._connect()
        try:
            return connection.execute(sql.replace("?", "%s"), params, prepare=False)
        except self.integrity:
            raise
        except self._psycopg.Error as err:
            raise self._failed(err) from None

    def begin(self) -> None:
        self.execute("BEGIN")

    def commit(self) -> None:
        self._committing = True
        try:
            self.execute("COMMIT")
        finally:
            self._committing = False

    def rollback(self) -> None:
        connection = self._connection
        if connection is None:  # lost: the server rolled the transaction back when it went
            return
        try:
            connection.execute("ROLLBACK")
        except self._psycopg.Error:
            self._failed(RuntimeError("rollback"))

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _reason(err: BaseException) -> str:
    """The first line of a driver error: what went wrong, without the server's hints."""
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
