"""The claims model: what a credential says, in CBOR and in its JSON view (spec 3, 8).

The CWT claims and the XC map with their codecs (spec 3.1-3.6), the enumerations (3.3), the name
character table (3.2), the biometric binding digests (spec 8.1-8.4), the holder's device key in
``cnf`` (spec 4.5), and the encrypted reference templates of XC key 24 (spec 8.5).
"""
