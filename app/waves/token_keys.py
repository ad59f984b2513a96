"""A token wave's RSA key pair: made when the wave opens, the private key sealed under
MONITOR_TOKEN_SECRET_FILE (app.files.seal), deleted when it closes (app/waves/tokens.py)."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.files import seal, unseal
from app.waves import blindrsa
from app.waves.models import TokenKey, Wave


def _purpose(wave_id: str) -> bytes:
    return f"token-key\x1f{wave_id}".encode()


def make_key(session: Session, wave: Wave, secret: bytes) -> None:
    """The wave's new key pair, its private key sealed under `secret`."""
    key = blindrsa.new_key()
    private = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = _public_der(key.public_key())
    session.add(
        TokenKey(
            wave_id=wave.id,
            public_key=public,
            sealed_private_key=seal(secret, private, _purpose(wave.id)),
        )
    )
    session.flush()


def _public_der(public: rsa.RSAPublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(public: rsa.RSAPublicKey) -> str:
    """What an operator may publish for staff to compare with the key their page used:
    one key for everyone is what keeps tokens from being told apart by their key."""
    return "sha256:" + hashlib.sha256(_public_der(public)).hexdigest()


@lru_cache(maxsize=16)
def _load_public(der: bytes) -> rsa.RSAPublicKey:
    key = serialization.load_der_public_key(der)
    assert isinstance(key, rsa.RSAPublicKey)
    return key


def public_key(session: Session, wave_id: str) -> rsa.RSAPublicKey | None:
    """The key that checks the wave's tokens; None while it has none (not a token wave,
    not open yet, or closed)."""
    der = session.scalar(select(TokenKey.public_key).where(TokenKey.wave_id == wave_id))
    return None if der is None else _load_public(der)


def private_key(session: Session, wave_id: str, secret: bytes) -> rsa.RSAPrivateKey | None:
    """The wave's signing key, unsealed for one signature and not kept."""
    sealed = session.scalar(select(TokenKey.sealed_private_key).where(TokenKey.wave_id == wave_id))
    if sealed is None:
        return None
    # The key is ours, made at open and authenticated by its seal: OpenSSL's check of a
    # loaded RSA key (0.4 s for 3072 bits) would find nothing, and every signature is
    # checked before it leaves anyway (blindrsa.blind_sign).
    key = serialization.load_der_private_key(
        unseal(secret, sealed, _purpose(wave_id)), None, unsafe_skip_rsa_key_validation=True
    )
    assert isinstance(key, rsa.RSAPrivateKey)
    return key
