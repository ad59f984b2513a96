"""Invitation codes: easy to type, hard to guess, stored only as hashes."""

from __future__ import annotations

import hashlib
import math
import secrets

# No 0/O, 1/I/L: nothing a person can misread on paper or type wrongly.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
GROUPS = 3
GROUP_LENGTH = 6
CODE_LENGTH = GROUPS * GROUP_LENGTH
ENTROPY_BITS = CODE_LENGTH * math.log2(len(ALPHABET))  # about 89 bits


def new_code() -> str:
    """A fresh code like `K7M2QX-9FHT4P-RW3ZNB`."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(chars[i : i + GROUP_LENGTH] for i in range(0, CODE_LENGTH, GROUP_LENGTH))


def normalize(code: str) -> str:
    """What the person meant: case, spaces and dashes do not matter."""
    return "".join(code.split()).replace("-", "").upper()


def code_hash(code: str) -> str:
    """The only form in which a code is stored. A plain hash is enough: with about 89
    bits of entropy a code cannot be found from its hash by trying."""
    return hashlib.sha256(normalize(code).encode("utf-8")).hexdigest()
