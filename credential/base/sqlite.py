"""Opening the SQLite files that several gate processes share (replay cache, trust store).

Switching a new file to write-ahead logging takes an exclusive lock, and SQLite answers a second
process doing the same at that moment with "database is locked" at once: its busy timeout does not
apply to the switch. Gate processes that start together would then fail to open their shared file,
so the switch is retried until the caller's timeout runs out.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

_RETRY_SECONDS = 0.01


def open_shared(path: str | Path, timeout: float, *, check_same_thread: bool = True) -> sqlite3.Connection:
    """An autocommit connection to ``path`` in WAL mode; sqlite3.Error if it cannot be had in ``timeout`` s."""
    connection = sqlite3.connect(str(path), timeout=timeout, isolation_level=None, check_same_thread=check_same_thread)
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return connection
        except sqlite3.OperationalError:
            if time.monotonic() >= deadline:
                connection.close()
                raise
            time.sleep(_RETRY_SECONDS)
