"""The ``credential`` command line: the issuer's procedure (spec 9.1), the gate's (9.2), presentations
(4.5), trust lists (16), status lists (17) and the conformance protocol (15), for operators.

One module per subcommand; the options several share live in ``common``, the gate's configuration
from options in ``gate``; ``main`` builds the parser and reports each outcome with its exit code.
"""
