"""The gate's configuration from the options of ``verify``, which ``inspect`` and ``serve`` share."""

from __future__ import annotations

import argparse
from typing import Any

from . import common
from . import present as cli_present
from . import status as cli_status
from . import templates as cli_templates
from . import trust as cli_trust
from .common import UsageError


def gate(args: argparse.Namespace, command: str = "verify") -> tuple[Any, Any, dict[str, bytes] | None]:
    """The gate's configuration from the options of ``verify`` (which ``inspect`` and ``serve`` share):
    (Verifier, now, templates). A mistake in it is the operator's, found before any credential is read."""
    from ..gate.verify import Verifier

    now = common.parse_now(args.now)
    trust = cli_trust.gate_keys(args, now, command)
    try:
        verifier = Verifier(
            trust, skew=args.skew, destination=args.destination, channel=args.channel, **cli_status.verifier_options(args),
            **cli_present.verifier_options(args), **cli_templates.verifier_options(args),
        )
    except (ValueError, TypeError) as err:
        raise UsageError(common.cli_words(str(err))) from None
    return verifier, now, common.read_templates(args.template)
