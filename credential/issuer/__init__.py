"""The issuing authority: from a resident's record to credential text (spec 9.1, 9.5, 17.6).

The issuer's procedure and its input forms (spec 9.1), the eligibility policy (9.5), batch issuance,
the sample records of the demo, and the status authority that allocates status entries and
publishes status lists (spec 17.6), over its store: an SQLite file or a PostgreSQL database.
"""
