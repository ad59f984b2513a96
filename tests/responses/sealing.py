"""What the survey page does with WebCrypto (app/web/static/sealed.js), done with
`cryptography`: seal a body to a wave's answer key, and derive and encrypt a draft."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.serialization import load_der_public_key

from app.waves.answer_keys import associated_data
from app.waves.codes import normalize


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def compact(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def seal_body(
    document: dict[str, Any], wave_id: str, purpose: str, body: Any, *, size: int | None = None
) -> str:
    """The `sealed` field of a body for the route of `purpose`, padded to the wave's size
    (or to `size`, to try another)."""
    plain = compact(body)
    plain += b" " * ((size or document["plain_bytes"]) - len(plain))
    key = load_der_public_key(unb64url(document["key"]))
    assert isinstance(key, RSAPublicKey)
    aes_key, iv = AESGCM.generate_key(256), os.urandom(12)
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    envelope = (
        key.encrypt(aes_key, oaep)
        + iv
        + AESGCM(aes_key).encrypt(iv, plain, associated_data(wave_id, purpose))
    )
    return b64url(envelope)


def draft_secrets(wave_id: str, code: str, resume_key: str, iterations: int) -> tuple[bytes, bytes]:
    """The page's draft key and lookup secret from the code and the resume key."""
    master = PBKDF2HMAC(
        algorithm=hashes.SHA256(),
        length=32,
        salt=f"monitor-browser-draft\x1f{wave_id}".encode(),
        iterations=iterations,
    ).derive(f"{normalize(code)}\x1f{resume_key.strip()}".encode())

    def expand(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)

    return expand(b"monitor-draft-key"), expand(b"monitor-draft-lookup")


def seal_draft(key: bytes, answers: dict[str, Any], answers_bytes: int, wave_id: str) -> bytes:
    plain = compact(answers)
    plain += b" " * (answers_bytes - len(plain))
    iv = os.urandom(12)
    return iv + AESGCM(key).encrypt(iv, plain, f"monitor-draft\x1f{wave_id}".encode())
