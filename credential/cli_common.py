"""What every ``credential`` subcommand shares: exit codes and the usage error.

A subcommand module (``cli.py`` itself, or one listed in ``cli.SUBCOMMAND_MODULES``) raises
``UsageError`` for an operator's mistake; ``cli.main`` prints it on one line and exits 2.
"""

from __future__ import annotations

EXIT_OK = 0  # valid, or the command did what it was asked
EXIT_INVALID = 1  # the credential was checked and refused; its spec error code is printed first
EXIT_USAGE = 2  # a usage or input-file mistake: nothing was checked
EXIT_INTERNAL = 3  # a defect in this program: it should never happen, and a report should follow


class UsageError(Exception):
    """An operator's mistake (arguments, files, configuration): exit 2 with this one-line message."""
