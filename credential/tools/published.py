"""Where the published files are: the conformance vectors (spec 14) and the spec's own folder.

An installed wheel carries copies of both under ``credential/published/`` (setup.py puts them there);
a checkout of the repository, or an editable install of it, has them beside the package.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent
# published name -> its folder in a repository checkout
_CHECKOUT = {"vectors": "test-vectors", "spec": "spec"}


def folder(name: str) -> Path:
    """The folder of the published ``name`` ("vectors" or "spec"); FileNotFoundError if there is none."""
    if name not in _CHECKOUT:
        raise ValueError(f"no published folder {name!r}; expected one of {sorted(_CHECKOUT)}")
    for candidate in (_PACKAGE / "published" / name, _PACKAGE.parent / _CHECKOUT[name]):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the published {name} are neither in the installed package nor beside it")
