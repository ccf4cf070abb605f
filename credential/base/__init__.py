"""What every layer stands on: the spec's tables as data and the few helpers all roles share.

The error codes (spec 9.4), the limits (spec 10), the verifier's step table (spec 9.2), the region
table (spec 3.3), times and the verification clock (spec 3.1, 9.3), bounded JSON from operators'
files, the SQLite files several processes share, and the URLs of the servers that hold shared state.
Nothing here imports another layer.
"""
