"""RSA blind signatures (RFC 9474), RSABSSA-SHA384-PSS-Randomized: the signer's half.

The client prepares a message (32 random bytes, then its own message), encodes it with
EMSA-PSS (SHA-384, MGF1 with SHA-384, a 48-byte salt), multiplies it by r^e for a random
r and sends that: the blinded message, which looks random to the signer. The signer
raises it to its private exponent (`blind_sign`); the client divides by r and holds an
ordinary RSASSA-PSS signature of the prepared message (`verify`), which the signer has
never seen and cannot tell from any other signature it made. The client's half runs in
the survey page (app/web/static/blindrsa.js).

Binary fields travel as base64url without padding (`to_b64`, `from_b64`).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import secrets

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

KEY_BITS = 3072
PUBLIC_EXPONENT = 65537
SALT_BYTES = 48
PREFIX_BYTES = 32  # the random prefix of a prepared message
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=SALT_BYTES)
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


class BadMessage(ValueError):
    """A blinded message that this key cannot sign (wrong length, or not below n)."""


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(PUBLIC_EXPONENT, KEY_BITS)


def modulus_bytes(public: rsa.RSAPublicKey) -> int:
    return math.ceil(public.key_size / 8)


def blind_sign(key: rsa.RSAPrivateKey, blinded_msg: bytes) -> bytes:
    """RFC 9474 BlindSign: blinded_msg^d mod n, checked before it is returned.

    Python's modular exponentiation takes a time that depends on its operands. So the
    exponentiation works on blinded_msg * u^e for a fresh random u (and the result is
    divided by u afterwards): what it is raised to the private exponent is random and
    unknown to the requester, and its timing tells nothing about the key.
    """
    private = key.private_numbers()
    public = private.public_numbers
    n, e = public.n, public.e
    k = modulus_bytes(key.public_key())
    if len(blinded_msg) != k:
        raise BadMessage(f"the blinded message must be {k} bytes")
    m = int.from_bytes(blinded_msg, "big")
    if m >= n:
        raise BadMessage("the blinded message is not below the modulus")
    u = _unit(n)
    x = m * pow(u, e, n) % n
    # Chinese remainder theorem: two exponentiations modulo the primes, a quarter the work.
    s1 = pow(x, private.dmp1, private.p)
    s2 = pow(x, private.dmq1, private.q)
    h = private.iqmp * (s1 - s2) % private.p
    s = (s2 + h * private.q) * pow(u, -1, n) % n
    # RFC 9474 step 3: a faulty exponentiation must never leave (it could reveal a prime).
    if pow(s, e, n) != m:
        raise RuntimeError("the blind signature failed its check")
    return s.to_bytes(k, "big")


def _unit(n: int) -> int:
    while True:
        u = secrets.randbelow(n - 2) + 2
        if math.gcd(u, n) == 1:
            return u


def verify(public: rsa.RSAPublicKey, msg: bytes, sig: bytes) -> bool:
    """RFC 9474 Verify: whether `sig` is an RSASSA-PSS signature of the prepared message
    `msg` (SHA-384, MGF1-SHA-384, 48-byte salt) under `public`."""
    if len(sig) != modulus_bytes(public):
        return False
    try:
        public.verify(sig, msg, _PSS, hashes.SHA384())
    except InvalidSignature:
        return False
    return True


def to_b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def from_b64(text: str) -> bytes:
    """base64url without padding; ValueError for anything else (padding included)."""
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url without padding")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError("not base64url without padding") from exc
