"""The client's half of RFC 9474 (RSABSSA-SHA384-PSS-Randomized) in Python, written from
the RFC for the tests: it plays the staff member's browser where no browser runs, and
checks the page's JavaScript (app/web/static/blindrsa.js) from the other side."""

from __future__ import annotations

import hashlib
import math
import os
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import rsa

from app.waves.blindrsa import PREFIX_BYTES, SALT_BYTES, verify


def mgf1(seed: bytes, length: int) -> bytes:
    out = b""
    for counter in range(math.ceil(length / 48)):
        out += hashlib.sha384(seed + counter.to_bytes(4, "big")).digest()
    return out[:length]


def emsa_pss_encode(message: bytes, em_bits: int, salt: bytes) -> bytes:
    m_hash = hashlib.sha384(message).digest()
    em_len = math.ceil(em_bits / 8)
    h = hashlib.sha384(b"\x00" * 8 + m_hash + salt).digest()
    db = b"\x00" * (em_len - len(salt) - len(h) - 2) + b"\x01" + salt
    masked = bytes(a ^ b for a, b in zip(db, mgf1(h, len(db)), strict=True))
    first = masked[0] & (0xFF >> (8 * em_len - em_bits))
    return bytes([first]) + masked[1:] + h + b"\xbc"


@dataclass(frozen=True)
class Blinded:
    blinded_msg: bytes
    inv: int  # r^-1 mod n: the client's secret until the signature comes back


def prepare(msg: bytes, prefix: bytes | None = None) -> bytes:
    return (prefix if prefix is not None else os.urandom(PREFIX_BYTES)) + msg


def blind(
    public: rsa.RSAPublicKey, prepared: bytes, salt: bytes | None = None, r: int | None = None
) -> Blinded:
    n, e = public.public_numbers().n, public.public_numbers().e
    k = math.ceil(n.bit_length() / 8)
    encoded = emsa_pss_encode(prepared, n.bit_length() - 1, salt or os.urandom(SALT_BYTES))
    m = int.from_bytes(encoded, "big")
    while r is None or math.gcd(r, n) != 1:
        r = secrets.randbelow(n - 2) + 2
    return Blinded((m * pow(r, e, n) % n).to_bytes(k, "big"), pow(r, -1, n))


def finalize(public: rsa.RSAPublicKey, prepared: bytes, blind_sig: bytes, inv: int) -> bytes:
    n = public.public_numbers().n
    k = math.ceil(n.bit_length() / 8)
    sig = (int.from_bytes(blind_sig, "big") * inv % n).to_bytes(k, "big")
    if not verify(public, prepared, sig):
        raise ValueError("the signature does not verify")
    return sig
