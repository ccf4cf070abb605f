"""Crossing Credential (XC v1): issue and verify compact signed credentials carried in QR codes.

The normative description is ``spec/xc-v1.md``; section numbers in the modules refer to it.
"""

from . import qr
from .base.errors import ClaimsError, ErrorCode, StoreError, UnavailableError, VerificationError
from .claims.biometric import bind as bind_biometrics
from .claims.biometric import digest as biometric_digest
from .claims.device import cnf_view as device_cnf
from .claims.templates import (
    DecryptionKeys,
    Template,
    decryption_key_to_pem,
    generate_decryption_key,
    load_decryption_key,
    load_recipient_key,
    recipient_key_to_pem,
    recipient_kid,
)
from .cose.pkcs11 import TokenError, TokenKey, generate_token_key, open_token_key
from .cose.keys import (
    KeyLookup,
    KeySet,
    Signer,
    TrustedKey,
    generate_key,
    kid_of,
    load_private_key,
    load_public_key,
    private_key_to_pem,
    public_key_to_pem,
)
from .gate.decode import Layers, decode
from .gate.presentation import present
from .gate.replay import MemoryReplayCache, ReplayCache, ReplayCacheError, SqliteReplayCache
from .gate.replay_open import open_replay_cache
from .gate.replay_redis import RedisReplayCache
from .gate.status_cache import StatusCache
from .gate.verify import DEFAULT_SKEW, OPTIONAL_CHECKS, VerifiedCredential, Verifier, check_biometrics, verify
from .issuer.eligibility import DEFAULT_POLICY, FIRST_PHASE, NON_PERMANENT_PHASE, PHASES, IneligibleError, Policy, Rule
from .issuer.issue import complete_claims, issue
from .issuer.status_authority import StatusAuthority, StatusStoreError
from .lists.status_list import StatusList
from .lists.status_list import build_token as build_status_list
from .lists.status_list import read_token as read_status_list
from .lists.trust import ListedKey, ListError, TrustList, TrustListError, TrustStore

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
    "Signer",
    "SqliteReplayCache",
    "RedisReplayCache",
    "open_replay_cache",
    "UnavailableError",
    "StoreError",
    "StatusStoreError",
    "ListError",
    "ListedKey",
    "TrustList",
    "TrustListError",
    "TrustStore",
    "StatusAuthority",
    "StatusCache",
    "StatusList",
    "Template",
    "TokenError",
    "TokenKey",
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
    "generate_token_key",
    "issue",
    "kid_of",
    "load_private_key",
    "load_decryption_key",
    "load_public_key",
    "load_recipient_key",
    "open_token_key",
    "present",
    "private_key_to_pem",
    "public_key_to_pem",
    "qr",
    "read_status_list",
    "recipient_key_to_pem",
    "recipient_kid",
    "verify",
]

