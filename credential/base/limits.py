"""Hard limits (spec section 10). Every one is checked before the work it bounds is done."""

# The longest alphanumeric content a QR code holds at error-correction level M (version 40):
# every credential must be showable at the level spec 7.3 chose, so issuers refuse longer texts
# and verifiers need not read them.
MAX_TEXT_CHARS = 3391
# Upper bound of inflated DEFLATE output; a decompression bomb costs at most this much memory.
MAX_INFLATED_BYTES = 4096
# CBOR structure bounds, per decoded item (the COSE message, its protected header, the claims).
MAX_DEPTH = 8
MAX_ITEMS = 256
MAX_CONTAINER_LENGTH = 64
# A protected header holds alg and kid only: 13 bytes. Anything far larger is not ours.
MAX_PROTECTED_BYTES = 64
# Encrypted templates (spec 8.5), checked before any key agreement or decryption.
MAX_RECIPIENTS = 4
# The padded plaintext: a face template of 512 bytes and two fingerprint templates of 60 minutiae fit.
MAX_TEMPLATE_PLAINTEXT = 1024
# Status lists (spec 17): the inflated bit array, and the signed token that carries it compressed.
# 16 MiB holds 134 million 1-bit entries; a decompression bomb costs at most this much memory.
MAX_STATUS_BYTES = 16 * 1024 * 1024
# The inflated cap plus room for zlib's worst-case growth on random data, the claims and the signature.
MAX_STATUS_TOKEN_BYTES = MAX_STATUS_BYTES + 64 * 1024
