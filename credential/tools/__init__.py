"""Tools around the format: the inspector (spec 9.2 step by step, spec 12.11), the conformance runner
(spec 15), and the local inspection page with its server."""
