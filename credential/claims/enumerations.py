"""The enumerations of the XC map (spec 3.3): each value's number in CBOR and its name in JSON."""

from __future__ import annotations

DOC_TYPES = {1: "identity-card", 2: "passport", 3: "travel-permit"}
RESIDENCY = {1: "permanent", 2: "non-permanent"}
CHANNELS = {1: "e-channel", 2: "counter"}
MODALITIES = {1: "face", 2: "fingerprint", 3: "iris"}
