"""The ``credential`` command line: the parser, and how each way out of a subcommand is reported.

Exit codes, one meaning each (``common``): 0 valid or done; 1 the credential was checked and
refused (its spec error code is printed first on standard error); 2 a usage or input-file mistake
(nothing was checked, or in ``issue --batch`` some lines were not issued); 3 an internal error, a
defect that should never happen; 4 a store of state (replay cache, status database) failed or could
not be reached, so nothing was accepted or written and the credential was not judged; 130
interrupted. Nothing prints a traceback, and everything printed is escaped so that no input reaches the terminal as a control character.

Each subcommand lives in a module of this package named in ``SUBCOMMAND_MODULES``, whose
``register(subparsers)`` function adds its parsers, each with ``set_defaults(run=FUNCTION)``;
``FUNCTION(args)`` returns the exit code and raises ``common.UsageError`` for usage mistakes (and
lets ``VerificationError`` out for a refused credential).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from typing import NoReturn

from ..base.errors import StoreError, UnavailableError, VerificationError
from ..cose.pkcs11 import TokenError
from . import common
from .common import EXIT_INTERNAL, EXIT_INVALID, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE, UsageError

# Modules (in this package) that add subcommands through their register(subparsers) function, in
# the order --help lists them. One per line, so that adding one is a one-line change.
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "keygen",
    "issue",
    "verify",
    "decode",
    "render",
    "scan",
    "demo",
    "conformance",
    "status",
    "templates",
    "trust",
    "present",
    "inspect",  # last: inspect and serve take every option the modules above give verify
)
EXIT_INTERRUPTED = 130  # the shell's code for SIGINT: the operator stopped it


EPILOG = """\
exit codes: 0 valid or done; 1 the credential was checked and refused (its error code is printed
first on standard error); 2 a usage or input-file mistake, or batch lines not issued; 3 an internal
error (a defect; please report it); 4 the replay cache or status database failed or could not be
reached (nothing accepted or written; try again when it is back); 130 interrupted.
A CREDENTIAL argument is the text itself when it begins with a prefix such as XC1:, - for standard
input, or else a file: credential text, or a PNG, JPEG, GIF, BMP, WebP or TIFF image of its QR code."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its error messages escaped like all other output (they quote arguments)."""

    def error(self, message: str) -> NoReturn:
        super().error(common.escape(message))


def parser() -> argparse.ArgumentParser:
    top = _Parser(prog="credential", description="Issue, verify and inspect XC v1 crossing credentials.",
                  epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = top.add_subparsers(dest="command", required=True)

    for name in SUBCOMMAND_MODULES:
        importlib.import_module(f"{__package__}.{name}").register(sub)
    return top


# --- main -----------------------------------------------------------------------------------------


def _quiet_stdout() -> None:
    """After a closed pipe, send what is left of standard output nowhere, so exit prints no error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor: nothing to quiet
        pass


def _usage(command: str, err: BaseException) -> str:
    return f"{command}: {common.escape(str(err))}"


def _refused(command: str, err: BaseException) -> str:
    assert isinstance(err, VerificationError)
    return f"{err.code.value}: {common.escape(err.detail)}"


def _closed(command: str, err: BaseException) -> str:
    _quiet_stdout()
    return f"{command}: output closed before it was all written"


def _internal(command: str, err: BaseException) -> str:
    return f"{command}: internal error ({type(err).__name__}): {common.escape(str(err))}"


# How each way out of a subcommand is reported, first match wins: (exception, message, exit code).
OUTCOMES: tuple[tuple[type[BaseException], Callable[[str, BaseException], str | None], int], ...] = (
    (UsageError, _usage, EXIT_USAGE),
    (UnavailableError, _refused, EXIT_UNAVAILABLE),  # the gate's state failed: not the credential's fault
    (StoreError, _usage, EXIT_UNAVAILABLE),  # a store that cannot be reached: nothing checked, nothing written
    (VerificationError, _refused, EXIT_INVALID),
    (TokenError, _usage, EXIT_USAGE),  # a token that fails while signing (one opened is checked first)
    (BrokenPipeError, _closed, EXIT_USAGE),
    (KeyboardInterrupt, lambda command, err: None, EXIT_INTERRUPTED),
    (Exception, _internal, EXIT_INTERNAL),  # the last resort: one line, never a traceback
)


def _run(argv: list[str] | None) -> int:
    command = "credential"  # the name messages start with: the subcommand's once it is known
    try:
        args = parser().parse_args(argv)
        command = f"credential {args.command}"
        code = int(args.run(args))
        sys.stdout.flush()  # here, so that a closed pipe is reported like any other outcome
        return code
    except SystemExit as done:  # --help, or a usage message argparse has printed
        return EXIT_OK if done.code is None else done.code if isinstance(done.code, int) else EXIT_USAGE
    except BaseException as err:
        for kind, message, code in OUTCOMES:
            if isinstance(err, kind):
                line = message(command, err)
                if line is not None:
                    print(line, file=sys.stderr)
                return code
        raise


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")  # a terminal that cannot show a character gets an escape
    with common.escaped_output():
        return _run(argv)

