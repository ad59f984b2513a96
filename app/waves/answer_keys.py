"""The wave's answer key: with JavaScript, the survey page encrypts what a respondent
sends (answers, a draft, a code to check) to the wave's public key before it leaves the
browser, so that an inspecting proxy on the way reads nothing, and pads it to one size
per wave, so that the size of a request says nothing either.

A *sealed envelope* is hybrid encryption, all of it in WebCrypto on the page:

    RSA-OAEP-SHA256(the AES key) | 12-byte IV | AES-256-GCM(plain text) with its tag

with as associated data `monitor-sealed`, the wave's id and the route's purpose, so that an
envelope made for one wave or route does not open at another. The plain text is compact
JSON followed by spaces up to the wave's `plain_bytes`, exactly: an envelope of any other
size is refused, so every envelope of a wave has the same size on the wire.

The key pair is made when the wave opens (RSA 3072), its private half kept sealed under
the server's secret key (app.files.seal) and deleted when the wave closes: after that no
envelope of the wave opens, whoever recorded it.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.files import seal, unseal
from app.questionnaires.schema import Questionnaire
from app.waves.models import AnswerKey

ALGORITHM = "RSA-OAEP-256+A256GCM"
RSA_BITS = 3072
WRAPPED_KEY_BYTES = RSA_BITS // 8
IV_BYTES, TAG_BYTES = 12, 16
OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)

# Room in every envelope for who is sending: a code (18 characters) or the token of
# CONTRACT section 3 (a 32-byte random prefix and a message, and a signature of up to
# 4096 bits, base64url), with its JSON around it.
CREDENTIAL_BYTES = 1024
# A draft's lookup: 32 bytes, base64url without padding.
LOOKUP_CHARS = 43
# Room for the JSON keys and punctuation around the parts of the largest envelope.
FRAMING_BYTES = 64


def b64url_length(size: int) -> int:
    """Characters of `size` bytes in base64url without padding."""
    return (4 * size + 2) // 3


@dataclass(frozen=True)
class Sizes:
    """The fixed sizes of a wave's sealed data, derived from its questionnaire."""

    answers_bytes: int  # a complete set of answers as compact JSON, at most
    draft_bytes: int  # a draft as the page encrypts it: IV, the padded answers, tag
    plain_bytes: int  # the plain text of every envelope, padded

    @classmethod
    def of(cls, questionnaire: Questionnaire) -> Sizes:
        answers = questionnaire.answers_bytes()
        draft = IV_BYTES + answers + TAG_BYTES
        # The largest plain text is a draft being saved: a credential, its lookup and the
        # draft in base64url; a submission (a credential and the answers) is smaller.
        plain = CREDENTIAL_BYTES + LOOKUP_CHARS + b64url_length(draft) + FRAMING_BYTES
        return cls(answers, draft, plain)

    @property
    def envelope_bytes(self) -> int:
        return WRAPPED_KEY_BYTES + IV_BYTES + self.plain_bytes + TAG_BYTES


def _purpose(wave_id: str) -> bytes:
    return f"monitor-answer-key\x1f{wave_id}".encode()


def make(session: Session, wave_id: str, secret: bytes) -> None:
    """A new key pair for the wave, its private half sealed under `secret`."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    der = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    session.execute(delete(AnswerKey).where(AnswerKey.wave_id == wave_id))
    session.add(
        AnswerKey(
            wave_id=wave_id,
            public_key=private.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
            sealed_private_key=seal(secret, der, _purpose(wave_id)),
        )
    )
    session.flush()


def find(session: Session, wave_id: str) -> AnswerKey | None:
    return session.get(AnswerKey, wave_id)


def destroy(session: Session, wave_id: str) -> None:
    """At close: no envelope of the wave can be opened any more."""
    session.execute(delete(AnswerKey).where(AnswerKey.wave_id == wave_id))


class EnvelopeRefused(Exception):
    """An envelope that does not open: of another size, wave or route, or tampered with."""


ASSOCIATED_DATA = "monitor-sealed"


def associated_data(wave_id: str, purpose: str) -> bytes:
    return f"{ASSOCIATED_DATA}\x1f{wave_id}\x1f{purpose}".encode()


def open_envelope(
    key: AnswerKey, secret: bytes, sizes: Sizes, envelope: bytes, purpose: str
) -> str:
    """The JSON text in a sealed envelope (its padding removed), or EnvelopeRefused."""
    if len(envelope) != sizes.envelope_bytes:
        raise EnvelopeRefused(f"a sealed body of this wave has {sizes.envelope_bytes} bytes")
    # Our own key, made by `make` and authenticated by its seal: checking it again (over
    # half a second for 3072 bits) would cost every request that much.
    private = serialization.load_der_private_key(
        unseal(secret, key.sealed_private_key, _purpose(key.wave_id)),
        password=None,
        unsafe_skip_rsa_key_validation=True,
    )
    assert isinstance(private, rsa.RSAPrivateKey)
    wrapped = envelope[:WRAPPED_KEY_BYTES]
    iv = envelope[WRAPPED_KEY_BYTES : WRAPPED_KEY_BYTES + IV_BYTES]
    try:
        aes_key = private.decrypt(wrapped, OAEP)
        plain = AESGCM(aes_key).decrypt(
            iv, envelope[WRAPPED_KEY_BYTES + IV_BYTES :], associated_data(key.wave_id, purpose)
        )
        return plain.decode("utf-8").rstrip(" ")
    except (ValueError, InvalidTag, UnicodeDecodeError) as exc:
        raise EnvelopeRefused("the sealed body does not open with this wave's key") from exc
