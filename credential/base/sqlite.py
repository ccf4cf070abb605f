"""Opening the SQLite files that several gate processes share (replay cache, trust store).

Switching a new file to write-ahead logging takes an exclusive lock, and SQLite answers a second
process doing the same at that moment with "database is locked" at once: its busy timeout does not
apply to the switch. Gate processes that start together would then fail to open their shared file,
so the switch is retried until the caller's timeout runs out.

Every file is opened in one of SQLite's three URI modes (``MODES``): a command that only reads state
opens it read-only and never creates it, so a mistyped name is refused rather than left behind as a
new empty database; only the commands that write state may create their file.
"""

from __future__ import annotations

import sqlite3
import time
import urllib.parse
from pathlib import Path

_RETRY_SECONDS = 0.01

# SQLite's URI modes: read only; read and write an existing file; read and write, created if absent.
MODES = ("ro", "rw", "rwc")


def connect(path: str | Path, *, mode: str = "rwc", timeout: float = 5.0, check_same_thread: bool = True) -> sqlite3.Connection:
    """An autocommit connection to the file ``path`` opened in ``mode`` (``MODES``); ``":memory:"`` is
    a private in-memory database whatever the mode. sqlite3.Error when the file cannot be opened so."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r} is not one of {', '.join(MODES)}")
    if str(path) == ":memory:":
        return sqlite3.connect(":memory:", timeout=timeout, isolation_level=None, check_same_thread=check_same_thread)
    # A URI, so that the mode applies; the path quoted so that "?" or "#" in a file name stay the name's.
    uri = f"file:{urllib.parse.quote(str(Path(path).absolute()))}?mode={mode}"
    return sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None, check_same_thread=check_same_thread)


def open_shared(path: str | Path, timeout: float, *, mode: str = "rwc", check_same_thread: bool = True) -> sqlite3.Connection:
    """An autocommit connection to ``path`` in WAL mode; sqlite3.Error if it cannot be had in ``timeout`` s.

    Read-only (``mode="ro"``), the file is used in the journal mode it has: switching needs a write."""
    connection = connect(path, mode=mode, timeout=timeout, check_same_thread=check_same_thread)
    if mode == "ro":
        connection.execute("PRAGMA schema_version")  # reads the header: "not a database" shows here, not later
        return connection
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return connection
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() >= deadline:  # only a lock passes with waiting
                connection.close()
                raise
            time.sleep(_RETRY_SECONDS)


def rollback(connection: sqlite3.Connection) -> None:
    """End the open transaction after an error without hiding that error: SQLite has already rolled
    back after some failures (a full disk, an I/O error), and a second ROLLBACK would then raise
    "no transaction is active" in place of the reason."""
    if connection.in_transaction:
        connection.execute("ROLLBACK")
