"""The text layers between a QR code's text and the signed message (spec 5, 6, 7.1, 7.2).

Deterministic CBOR with the strict reader (spec 5), raw DEFLATE with its bounded inflater (spec 6),
the prefix and Base45 (spec 7.1, 7.2), and CBOR diagnostic notation for people reading the layers.
"""
