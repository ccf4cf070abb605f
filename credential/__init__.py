"""Crossing Credential (XC v1): issue and verify compact signed credentials carried in QR codes.

The normative description is ``spec/xc-v1.md``; section numbers in the modules refer to it.
"""

from . import qr
from .biometric import bind as bind_biometrics, digest as biometric_digest
from .decode import Layers, decode
from .device import cnf_view as device_cnf
from .eligibility import DEFAULT_POLICY, FIRST_PHASE, NON_PERMANENT_PHASE, PHASES, IneligibleError, Policy, Rule
from .errors import ClaimsError, ErrorCode, VerificationError, StoreError, UnavailableError
from .issue import complete_claims, issue
from .keys import (
    KeyLookup,
    KeySet,
    TrustedKey,
    generate_key,
    kid_of,
    load_private_key,
    load_public_key,
    private_key_to_pem,
    public_key_to_pem,
)
from .presentation import present
from .replay import MemoryReplayCache, ReplayCache, ReplayCacheError, SqliteReplayCache, open_replay_cache
from .replay_redis import RedisReplayCache
from .trust import ListedKey, ListError, TrustList, TrustListError, TrustStore
from .status_authority import StatusAuthority
from .status_cache import StatusCache
from .status_list import StatusList, build_token as build_status_list, read_token as read_status_list
from .templates import (
    DecryptionKeys,
    Template,
    decryption_key_to_pem,
    generate_decryption_key,
    load_decryption_key,
    load_recipient_key,
    recipient_key_to_pem,
    recipient_kid,
)
from .verify import DEFAULT_SKEW, OPTIONAL_CHECKS, VerifiedCredential, Verifier, check_biometrics, verify

__all__ = [
    "DEFAULT_POLICY",
    "FIRST_PHASE",
    "NON_PERMANENT_PHASE",
    "PHASES",
    "IneligibleError",
    "Policy",
    "Rule",
    "DEFAULT_SKEW",
    "OPTIONAL_CHECKS",
    "ClaimsError",
    "DecryptionKeys",
    "ErrorCode",
    "KeyLookup",
    "KeySet",
    "Layers",
    "MemoryReplayCache",
    "ReplayCache",
    "ReplayCacheError",
    "SqliteReplayCache",
    "RedisReplayCache",
    "open_replay_cache",
    "UnavailableError",
    "StoreError",
    "ListError",
    "ListedKey",
    "TrustList",
    "TrustListError",
    "TrustStore",
    "StatusAuthority",
    "StatusCache",
    "StatusList",
    "Template",
    "TrustedKey",
    "VerificationError",
    "VerifiedCredential",
    "Verifier",
    "bind_biometrics",
    "biometric_digest",
    "build_status_list",
    "check_biometrics",
    "complete_claims",
    "decode",
    "decryption_key_to_pem",
    "generate_decryption_key",
    "device_cnf",
    "generate_key",
    "issue",
    "kid_of",
    "load_private_key",
    "load_decryption_key",
    "load_public_key",
    "load_recipient_key",
    "present",
    "private_key_to_pem",
    "public_key_to_pem",
    "qr",
    "read_status_list",
    "recipient_key_to_pem",
    "recipient_kid",
    "verify",
]

