"""Signatures: the COSE_Sign1 profile and the keys that make and check it (spec 4).

The algorithms and their point rules (spec 4.2), key identifiers (4.3), the tag and header profile
(4.1, 4.4), and the key sets a verifier trusts, each key naming the issuers it vouches for (spec 9.2,
16.8). ``pkcs11`` signs with a key held in a PKCS#11 token (12.2), where a key in memory would;
``pkcs11_uri`` reads the RFC 7512 URI that names it.
"""
