"""The gate: the verifier and what it keeps between travellers (spec 9.2-9.6, 4.5, 17.5).

The verifier's configuration and ordered procedure (spec 9.2), holders' presentations (4.5, 9.6),
replay caches (9.6: in memory, in an SQLite file, or on a Redis server, opened from a path or URL by
``replay_open``), the cache of status list tokens (17.5), and decoding without verifying.
"""
