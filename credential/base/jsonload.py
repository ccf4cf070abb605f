"""JSON from an operator's files and lines: a typed error for anything that is not plain, shallow JSON."""

from __future__ import annotations

import json
from typing import Any

# Claims nest a few levels (spec section 10 allows 8 in CBOR); far deeper JSON is a mistake or an
# attack, refused here before anything recurses over it.
MAX_JSON_DEPTH = 64


def _depth(value: Any) -> int:
    """The nesting depth of a parsed JSON value, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return deepest


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load(data: str | bytes) -> Any:
    """The JSON value in ``data``; ValueError says why there is none, or why it is refused."""
    try:
        value = json.loads(data, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as err:
        raise ValueError(f"not JSON ({err})") from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return value
